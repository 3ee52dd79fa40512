//! Following an ECS service deployment to its end: the state machine shared by `release` and
//! `rollback`. It polls DescribeServiceDeployments, shows progress, runs smoke checks and watches
//! alarms while the new revision takes traffic, and rolls back when either fails: first with
//! StopServiceDeployment(ROLLBACK), or - when ECS says that is not possible for this service - by
//! updating the service back to the previous task definition.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_ecs::types::{
    Service, ServiceDeployment, ServiceDeploymentLifecycleStage as Stage,
    ServiceDeploymentStatus as Status, StopServiceDeploymentStopType,
};

use crate::aws::AwsClients;
use crate::error::{DeployError, error_code, sdk_reason};
use crate::progress::{DeploymentView, Reporter};
use crate::smoke::{SmokeChecker, SmokeSettings, SmokeVerdict};
use crate::task_definition::short_name;

#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Time between two DescribeServiceDeployments calls.
    pub poll_interval: Duration,
    /// Give up following (not the deployment itself) after this long.
    pub timeout: Duration,
    pub smoke: Option<SmokeSettings>,
    /// CloudWatch alarms that mean "this release hurts": any in ALARM rolls back.
    pub alarm_names: Vec<String>,
}

/// The service a deployment belongs to, and where a rollback returns to.
#[derive(Debug, Clone)]
pub struct RollbackTarget {
    pub cluster: String,
    pub service: String,
    /// The task definition the service ran before; used when ECS cannot stop with rollback.
    pub previous_task_definition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowOutcome {
    /// The deployment finished: its revision serves production traffic.
    Successful,
    /// The deployment was rolled back (by ECS, or by us after a failed check).
    RolledBack {
        reason: String,
    },
    RollbackFailed {
        reason: String,
    },
    /// Someone stopped the deployment without rollback.
    Stopped {
        reason: String,
    },
}

/// Stages from which the test listener routes to the new revision, so smoke checks see it.
fn receives_test_traffic(stage: Option<&Stage>) -> bool {
    matches!(
        stage,
        Some(
            Stage::TestTrafficShift
                | Stage::PostTestTrafficShift
                | Stage::ProductionTrafficShift
                | Stage::PostProductionTrafficShift
                | Stage::BakeTime
        )
    )
}

/// Errors that mean "this deployment cannot be stopped with rollback", where updating the
/// service back to its previous revision is the way out.
fn rollback_unsupported(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("InvalidParameterException" | "UnsupportedFeatureException" | "ClientException")
    )
}

pub async fn describe(clients: &AwsClients, arn: &str) -> Result<ServiceDeployment, DeployError> {
    let output = clients
        .ecs
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .map_err(|e| DeployError::aws(format!("describing service deployment {arn}"), &e))?;
    if let Some(found) = output.service_deployments().first() {
        return Ok(found.clone());
    }
    let why = output
        .failures()
        .first()
        .and_then(|f| f.reason())
        .unwrap_or("not returned");
    Err(DeployError::Unexpected(format!(
        "service deployment {arn} not found ({why})"
    )))
}

/// The deployment an UpdateService just started: ECS names it in the returned service; older
/// answers do not, then the newest pending or running deployment of the service is it.
pub async fn started_by_update(
    clients: &AwsClients,
    updated: &Service,
    cluster: &str,
    service: &str,
) -> Result<String, DeployError> {
    if let Some(arn) = updated.current_service_deployment() {
        return Ok(arn.to_string());
    }
    in_flight(clients, cluster, service).await?.ok_or_else(|| {
        DeployError::Unexpected(format!(
            "ECS started no deployment for service {service} in cluster {cluster}; check \
                 `deployer status`"
        ))
    })
}

/// The newest PENDING or IN_PROGRESS deployment of a service, if any.
pub async fn in_flight(
    clients: &AwsClients,
    cluster: &str,
    service: &str,
) -> Result<Option<String>, DeployError> {
    let output = clients
        .ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(service)
        .status(Status::Pending)
        .status(Status::InProgress)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws(
                format!("listing deployments of ECS service {service} in cluster {cluster}"),
                &e,
            )
        })?;
    Ok(output
        .service_deployments()
        .iter()
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos())))
        .and_then(|d| d.service_deployment_arn())
        .map(str::to_string))
}

fn view_of(deployment: &ServiceDeployment, bake_left: Option<Duration>) -> DeploymentView {
    let target = deployment.target_service_revision();
    DeploymentView {
        status: deployment
            .status()
            .map_or("UNKNOWN", |s| s.as_str())
            .to_string(),
        stage: deployment.lifecycle_stage().map(|s| s.as_str().to_string()),
        running: target.map_or(0, |t| t.running_task_count()),
        desired: target.map_or(0, |t| t.requested_task_count()),
        production_traffic: target.and_then(|t| t.requested_production_traffic_weight()),
        bake_left,
    }
}

/// Why ECS rolled back or stopped, from the fields it fills in.
fn reason_of(deployment: &ServiceDeployment) -> String {
    if let Some(alarms) = deployment.alarms()
        && !alarms.triggered_alarm_names().is_empty()
    {
        return format!("alarm {} fired", alarms.triggered_alarm_names().join(", "));
    }
    deployment
        .rollback()
        .and_then(|r| r.reason())
        .or(deployment.status_reason())
        .unwrap_or("no reason given by ECS")
        .to_string()
}

/// The first of `names` that is in ALARM.
async fn firing_alarm(
    clients: &AwsClients,
    names: &[String],
) -> Result<Option<String>, DeployError> {
    if names.is_empty() {
        return Ok(None);
    }
    let output = clients
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .state_value(StateValue::Alarm)
        .send()
        .await
        .map_err(|e| DeployError::aws(format!("reading alarms {}", names.join(", ")), &e))?;
    Ok(output
        .metric_alarms()
        .iter()
        .find(|a| a.state_value() == Some(&StateValue::Alarm))
        .and_then(|a| a.alarm_name())
        .map(str::to_string))
}

/// Stops `arn` with rollback. Returns the deployment to follow from now on: the same one, or
/// the one an UpdateService back to the previous revision started.
pub async fn request_rollback(
    clients: &AwsClients,
    reporter: &Reporter,
    arn: &str,
    target: &RollbackTarget,
    reason: &str,
) -> Result<RollbackStarted, DeployError> {
    reporter.note(&format!("rolling back: {reason}"));
    let stopped = clients
        .ecs
        .stop_service_deployment()
        .service_deployment_arn(arn)
        .stop_type(StopServiceDeploymentStopType::Rollback)
        .send()
        .await;
    match stopped {
        Ok(_) => {
            reporter.note(&format!(
                "asked ECS to stop deployment {} with rollback",
                short_deployment(arn)
            ));
            Ok(RollbackStarted::Stopping(arn.to_string()))
        }
        Err(err) if rollback_unsupported(error_code(&err)) => {
            let Some(previous) = &target.previous_task_definition else {
                return Err(DeployError::aws_hint(
                    format!("stopping deployment {arn} with rollback"),
                    &err,
                    "no previous task definition is known; run `deployer rollback` with \
                     --to-task-definition",
                ));
            };
            reporter.note(&format!(
                "ECS cannot stop this deployment with rollback ({}); updating service {} back to {}",
                sdk_reason(&err),
                target.service,
                short_name(previous)
            ));
            let arn = update_service_to(clients, target, previous).await?;
            Ok(RollbackStarted::Redeploying(arn))
        }
        Err(err) => Err(DeployError::aws_hint(
            format!("stopping deployment {arn} with rollback"),
            &err,
            "roll back by hand with `deployer rollback`",
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackStarted {
    /// ECS is rolling this deployment back.
    Stopping(String),
    /// A new deployment of the previous revision is running.
    Redeploying(String),
}

/// UpdateService to `task_definition`; returns the deployment it started.
pub async fn update_service_to(
    clients: &AwsClients,
    target: &RollbackTarget,
    task_definition: &str,
) -> Result<String, DeployError> {
    let output = clients
        .ecs
        .update_service()
        .cluster(&target.cluster)
        .service(&target.service)
        .task_definition(task_definition)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws(
                format!(
                    "updating ECS service {} in cluster {} to {}",
                    target.service,
                    target.cluster,
                    short_name(task_definition)
                ),
                &e,
            )
        })?;
    let service = output.service().ok_or_else(|| {
        DeployError::Unexpected(format!(
            "UpdateService returned no service for {}",
            target.service
        ))
    })?;
    started_by_update(clients, service, &target.cluster, &target.service).await
}

/// The last path segment of a deployment ARN: short enough for progress lines.
pub fn short_deployment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Follows `arn` until it ends, rolling back on failed smoke checks or alarms.
pub async fn follow(
    clients: &AwsClients,
    reporter: &Reporter,
    arn: &str,
    target: &RollbackTarget,
    options: &FollowOptions,
) -> Result<FollowOutcome, DeployError> {
    let started = Instant::now();
    let mut arn = arn.to_string();
    // Set once we decided to roll back; from then on checks stop and the reason is reported.
    let mut our_reason: Option<String> = None;
    // True when following the redeploy of the previous revision (rollback by UpdateService).
    let mut redeploying_previous = false;
    let mut bake_started: Option<Instant> = None;
    let mut smoke = options.smoke.clone().map(SmokeChecker::new);
    let mut next_smoke = Instant::now();
    let mut smoke_announced = false;

    loop {
        let deployment = describe(clients, &arn).await?;
        let stage = deployment.lifecycle_stage();
        if stage == Some(&Stage::BakeTime) {
            bake_started.get_or_insert_with(Instant::now);
        }
        let bake_total = deployment
            .deployment_configuration()
            .and_then(|c| c.bake_time_in_minutes())
            .map(|m| Duration::from_secs(u64::try_from(m).unwrap_or(0) * 60));
        let bake_left = match (stage, bake_started, bake_total) {
            (Some(Stage::BakeTime), Some(since), Some(total)) => {
                Some(total.saturating_sub(since.elapsed()))
            }
            _ => None,
        };
        let view = view_of(&deployment, bake_left);
        tracing::debug!(deployment = %arn, state = %view.line(), "polled service deployment");
        reporter.update(&view);

        let reason = || our_reason.clone().unwrap_or_else(|| reason_of(&deployment));
        match deployment.status() {
            Some(Status::Successful) if redeploying_previous => {
                return Ok(FollowOutcome::RolledBack { reason: reason() });
            }
            Some(Status::Successful) => return Ok(FollowOutcome::Successful),
            Some(Status::RollbackSuccessful) => {
                return Ok(FollowOutcome::RolledBack { reason: reason() });
            }
            Some(Status::RollbackFailed) => {
                return Ok(FollowOutcome::RollbackFailed { reason: reason() });
            }
            Some(Status::Stopped) if redeploying_previous => {
                return Ok(FollowOutcome::RollbackFailed { reason: reason() });
            }
            Some(Status::Stopped) => return Ok(FollowOutcome::Stopped { reason: reason() }),
            Some(Status::Pending | Status::InProgress) if our_reason.is_none() => {
                let mut verdict = None;
                if let Some(alarm) = firing_alarm(clients, &options.alarm_names).await? {
                    verdict = Some(format!("alarm {alarm} is in ALARM"));
                } else if let Some(checker) = smoke.as_mut()
                    && receives_test_traffic(stage)
                    && Instant::now() >= next_smoke
                {
                    if !smoke_announced {
                        reporter
                            .note("test listener routes to the new revision: smoke checks start");
                        smoke_announced = true;
                    }
                    next_smoke = Instant::now() + checker.interval();
                    match checker.check().await {
                        SmokeVerdict::Passed => {}
                        SmokeVerdict::Failing { failures, reason } => {
                            reporter.note(&format!("smoke check failure {failures}: {reason}"));
                        }
                        SmokeVerdict::RollBack { reason } => verdict = Some(reason),
                    }
                }
                if let Some(why) = verdict {
                    match request_rollback(clients, reporter, &arn, target, &why).await? {
                        RollbackStarted::Stopping(_) => {}
                        RollbackStarted::Redeploying(new_arn) => {
                            arn = new_arn;
                            redeploying_previous = true;
                        }
                    }
                    our_reason = Some(why);
                    continue;
                }
            }
            _ => {}
        }

        if started.elapsed() >= options.timeout {
            return Err(DeployError::TimedOut {
                deployment: arn,
                state: view_of(&deployment, None).line(),
                waited_secs: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(options.poll_interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_checks_run_once_test_traffic_reaches_the_new_revision() {
        assert!(!receives_test_traffic(None));
        assert!(!receives_test_traffic(Some(&Stage::ScaleUp)));
        assert!(!receives_test_traffic(Some(&Stage::PostScaleUp)));
        assert!(receives_test_traffic(Some(&Stage::TestTrafficShift)));
        assert!(receives_test_traffic(Some(&Stage::BakeTime)));
    }

    #[test]
    fn only_unsupported_answers_fall_back_to_updating_the_service() {
        assert!(rollback_unsupported(Some("InvalidParameterException")));
        assert!(rollback_unsupported(Some("UnsupportedFeatureException")));
        assert!(!rollback_unsupported(Some("ConflictException")));
        assert!(!rollback_unsupported(Some("AccessDeniedException")));
        assert!(!rollback_unsupported(None));
    }
}
