//! `deployer logs SERVICE`: the CloudWatch Logs of the service's log group (FilterLogEvents over
//! all its streams), `--since` back, and with `--follow` new events as they arrive until Ctrl-C.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, SystemTime};

use crate::aws::AwsClients;
use crate::diagnose::LogLine;
use crate::error::DeployError;
use crate::settings::ServiceTarget;

#[derive(Debug, Clone)]
pub struct LogsRequest {
    pub target: ServiceTarget,
    pub since: Duration,
    pub follow: bool,
    pub lines: i32,
    /// Time between two reads while following.
    pub poll_interval: Duration,
}

fn millis(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Events of `group` from `start_ms` on, oldest first, with their event ids.
async fn events_since(
    clients: &AwsClients,
    group: &str,
    start_ms: i64,
) -> Result<Vec<(String, LogLine)>, DeployError> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    // Bounded: 20 pages of up to 10,000 events is more than a terminal wants.
    for _ in 0..20 {
        let page = clients
            .logs
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms)
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| match crate::error::error_code(&e) {
                Some("ResourceNotFoundException") => DeployError::Config(format!(
                    "log group {group} does not exist (terraform output <service>_log_group_name)"
                )),
                _ => DeployError::aws(format!("reading log group {group}"), &e),
            })?;
        for event in page.events() {
            events.push((
                event.event_id().unwrap_or_default().to_string(),
                LogLine {
                    timestamp_ms: event.timestamp().unwrap_or(0),
                    stream: event.log_stream_name().unwrap_or("").to_string(),
                    message: event.message().unwrap_or("").to_string(),
                },
            ));
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() || page.events().is_empty() {
            break;
        }
    }
    events.sort_by_key(|(_, line)| line.timestamp_ms);
    Ok(events)
}

pub async fn logs(
    clients: &AwsClients,
    request: &LogsRequest,
    out: &mut dyn Write,
) -> Result<(), DeployError> {
    let target = &request.target;
    let group = target.log_group.as_deref().ok_or_else(|| {
        DeployError::Config(format!(
            "no log group known for service {}: pass --terraform-dir infra/terraform (output \
             {}_log_group_name)",
            target.service,
            target.component.name()
        ))
    })?;
    let write_err = |e: std::io::Error| DeployError::Config(format!("cannot write output: {e}"));
    let mut start = millis(
        SystemTime::now()
            .checked_sub(request.since)
            .unwrap_or(SystemTime::UNIX_EPOCH),
    );
    let mut seen: HashSet<String> = HashSet::new();
    let first = events_since(clients, group, start).await?;
    let skip = first
        .len()
        .saturating_sub(usize::try_from(request.lines).unwrap_or(0));
    for (id, line) in first.iter().skip(skip) {
        writeln!(out, "{}", line.render()).map_err(write_err)?;
        seen.insert(id.clone());
    }
    if let Some((_, last)) = first.last() {
        start = last.timestamp_ms;
    }
    if !request.follow {
        return Ok(());
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(request.poll_interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
        for (id, line) in events_since(clients, group, start).await? {
            // Events at the boundary millisecond come again: print each once.
            if seen.insert(id) {
                writeln!(out, "{}", line.render()).map_err(write_err)?;
                start = start.max(line.timestamp_ms);
            }
        }
        out.flush().map_err(write_err)?;
    }
}
