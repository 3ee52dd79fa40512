//! What an operator needs when a service does not come up: why its recent tasks stopped
//! (DescribeTasks' stoppedReason and the containers' exit codes) and the last lines of its log
//! group. Each read that fails is reported in the text instead of hiding the others.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatchlogs::types::OrderBy;
use aws_sdk_ecs::types::DesiredStatus;

use crate::aws::AwsClients;
use crate::ecs::service_tasks;
use crate::error::{DeployError, sdk_reason};
use crate::settings::ServiceTarget;
use crate::task_definition::short_name;

/// How many stopped tasks and log lines a diagnosis shows.
pub const STOPPED_TASKS: usize = 5;
pub const LOG_LINES: i32 = 20;

/// One log event, as `deployer logs` and a diagnosis print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub timestamp_ms: i64,
    pub stream: String,
    pub message: String,
}

impl LogLine {
    pub fn render(&self) -> String {
        let at = humantime_ms(self.timestamp_ms);
        format!(
            "{at} {} {}",
            short_stream(&self.stream),
            self.message.trim_end()
        )
    }
}

fn short_stream(stream: &str) -> &str {
    // ECS's awslogs streams are `<prefix>/<container>/<task id>`: the task id says enough.
    stream.rsplit('/').next().unwrap_or(stream)
}

/// RFC 3339 in UTC, to the second.
pub fn humantime_ms(ms: i64) -> String {
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    aws_sdk_ecs::primitives::DateTime::from(at)
        .fmt(aws_sdk_ecs::primitives::DateTimeFormat::DateTime)
        .map(|s| {
            // Drop sub-seconds: "2026-12-03T10:20:53.123Z" -> "2026-12-03T10:20:53Z".
            match s.split_once('.') {
                Some((head, _)) => format!("{head}Z"),
                None => s,
            }
        })
        .unwrap_or_else(|_| ms.to_string())
}

/// "task 1a2b (hwdash-portal:8) stopped: Essential container in task exited; portal exit 1".
pub async fn stopped_tasks(clients: &AwsClients, target: &ServiceTarget) -> Vec<String> {
    match read_stopped_tasks(clients, target).await {
        Ok(lines) => lines,
        Err(e) => vec![format!("(cannot read the stopped tasks: {e})")],
    }
}

async fn read_stopped_tasks(
    clients: &AwsClients,
    target: &ServiceTarget,
) -> Result<Vec<String>, DeployError> {
    let mut tasks = service_tasks(clients, target, DesiredStatus::Stopped).await?;
    // Newest first: the last failures are the ones that explain the state now.
    tasks.sort_by_key(|t| {
        std::cmp::Reverse(
            t.stopped_at()
                .or(t.created_at())
                .map(|at| (at.secs(), at.subsec_nanos())),
        )
    });
    Ok(tasks
        .iter()
        .take(STOPPED_TASKS)
        .map(|task| {
            let id = task
                .task_arn()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or("?");
            let revision = task.task_definition_arn().map_or("?", short_name);
            let mut line = format!(
                "task {id} ({revision}) stopped: {}",
                task.stopped_reason().unwrap_or("no stoppedReason")
            );
            for container in task.containers() {
                let name = container.name().unwrap_or("?");
                match (container.exit_code(), container.reason()) {
                    (Some(code), Some(reason)) => {
                        line.push_str(&format!("; {name} exit {code}: {reason}"))
                    }
                    (Some(code), None) => line.push_str(&format!("; {name} exit {code}")),
                    (None, Some(reason)) => line.push_str(&format!("; {name}: {reason}")),
                    (None, None) => {}
                }
            }
            line
        })
        .collect())
}

/// The newest `limit` lines of `log_group` since `since` (all of its recent streams merged),
/// oldest first.
pub async fn last_log_lines(
    clients: &AwsClients,
    log_group: &str,
    limit: i32,
    since: Option<SystemTime>,
) -> Result<Vec<LogLine>, DeployError> {
    let streams = clients
        .logs
        .describe_log_streams()
        .log_group_name(log_group)
        .order_by(OrderBy::LastEventTime)
        .descending(true)
        .limit(5)
        .send()
        .await
        .map_err(|e| DeployError::Aws {
            action: format!("listing the log streams of {log_group}"),
            reason: sdk_reason(&e),
            hint: Some("the deployer needs logs:DescribeLogStreams and logs:GetLogEvents".into()),
        })?;
    let since_ms = since
        .and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut lines = Vec::new();
    for stream in streams.log_streams() {
        let Some(name) = stream.log_stream_name() else {
            continue;
        };
        let events = clients
            .logs
            .get_log_events()
            .log_group_name(log_group)
            .log_stream_name(name)
            .start_from_head(false)
            .limit(limit)
            .set_start_time(since_ms)
            .send()
            .await
            .map_err(|e| DeployError::aws(format!("reading log stream {name}"), &e))?;
        lines.extend(events.events().iter().map(|event| LogLine {
            timestamp_ms: event.timestamp().unwrap_or(0),
            stream: name.to_string(),
            message: event.message().unwrap_or("").to_string(),
        }));
    }
    lines.sort_by_key(|l| l.timestamp_ms);
    let keep = usize::try_from(limit).unwrap_or(0);
    if lines.len() > keep {
        lines.drain(..lines.len() - keep);
    }
    Ok(lines)
}

/// The log part of a diagnosis, as lines of text.
pub async fn log_tail(clients: &AwsClients, target: &ServiceTarget) -> Vec<String> {
    let Some(group) = &target.log_group else {
        return vec![
            "(no log group known: pass --terraform-dir so the deployer reads \
             <service>_log_group_name)"
                .into(),
        ];
    };
    match last_log_lines(clients, group, LOG_LINES, None).await {
        Ok(lines) if lines.is_empty() => vec![format!("(log group {group} has no events)")],
        Ok(lines) => lines.iter().map(LogLine::render).collect(),
        Err(e) => vec![format!("(cannot read log group {group}: {e})")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_show_the_time_and_the_task_id() {
        let line = LogLine {
            timestamp_ms: 1_796_293_253_123,
            stream: "portal/portal/0123abcd".into(),
            message: "listening on 0.0.0.0:8080\n".into(),
        };
        assert_eq!(
            line.render(),
            "2026-12-03T10:20:53Z 0123abcd listening on 0.0.0.0:8080"
        );
    }
}
