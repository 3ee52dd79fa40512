//! ECS service deployments as the deployer reads and steers them: every documented status and
//! lifecycle stage (an unknown future value is shown as ECS sent it, never a crash), finding
//! the deployment in flight, and rolling one back - with StopServiceDeployment(ROLLBACK), or,
//! only when ECS answers that this is not supported, by updating the service back to the
//! previous task definition. `follow` is the state machine that follows one to its end.

use std::time::{Duration, SystemTime};

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType, Service, ServiceDeployment,
    ServiceDeploymentRollbackMonitorsStatus, ServiceDeploymentStatus as Status,
    StopServiceDeploymentStopType,
};

use crate::aws::AwsClients;
use crate::error::{DeployError, error_code, sdk_reason};
use crate::progress::{DeploymentView, Reporter};
use crate::settings::ServiceTarget;
use crate::smoke::SmokeSettings;
use crate::task_definition::short_name;

pub use crate::alarms::{FiringAlarms, firing_alarms};
pub use crate::follow::follow;

#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Time between two DescribeServiceDeployments calls.
    pub poll_interval: Duration,
    /// Give up following (not the deployment itself) after this long.
    pub timeout: Duration,
    pub smoke: Option<SmokeSettings>,
    /// CloudWatch alarms that mean "this release hurts". Only an alarm that entered ALARM after
    /// `alarms_since` rolls back: one already firing when the release started is reported and
    /// ignored, so it cannot block the release that fixes it.
    pub alarm_names: Vec<String>,
    /// When the release started (set by `release`); `None` counts every alarm in ALARM.
    pub alarms_since: Option<SystemTime>,
}

/// The service a deployment belongs to, and where a rollback returns to.
#[derive(Debug, Clone)]
pub struct RollbackTarget {
    pub cluster: String,
    pub service: String,
    /// The task definition the service ran before; used when ECS cannot stop with rollback.
    pub previous_task_definition: Option<String>,
}

impl RollbackTarget {
    /// `target`'s service, returning to `previous_task_definition` when ECS cannot stop with
    /// rollback.
    pub fn of(target: &ServiceTarget, previous_task_definition: Option<String>) -> Self {
        Self {
            cluster: target.cluster.clone(),
            service: target.service.clone(),
            previous_task_definition,
        }
    }
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

/// Every service deployment status ECS documents, grouped by what the deployer does about it.
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html>)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// PENDING, IN_PROGRESS: the deployment runs; the deployer's checks may roll it back.
    Running,
    /// ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS: ECS is rolling back; let it finish.
    RollingBack,
    /// STOP_REQUESTED: ECS is stopping it; let it finish.
    Stopping,
    Successful,
    RolledBack,
    RollbackFailed,
    Stopped,
    /// A status this deployer does not know (a newer API): shown as sent, followed until a
    /// known end or the follow timeout.
    Unknown(String),
}

impl Phase {
    pub fn of(status: Option<&Status>) -> Phase {
        match status {
            Some(Status::Pending | Status::InProgress) => Phase::Running,
            Some(Status::RollbackRequested | Status::RollbackInProgress) => Phase::RollingBack,
            Some(Status::StopRequested) => Phase::Stopping,
            Some(Status::Successful) => Phase::Successful,
            Some(Status::RollbackSuccessful) => Phase::RolledBack,
            Some(Status::RollbackFailed) => Phase::RollbackFailed,
            Some(Status::Stopped) => Phase::Stopped,
            Some(other) => Phase::Unknown(other.as_str().to_string()),
            None => Phase::Unknown("no status".into()),
        }
    }

    /// ECS is already taking this deployment back (or stopping it): a second deployment on top
    /// would fight it.
    pub fn ecs_is_unwinding(&self) -> bool {
        matches!(self, Phase::RollingBack | Phase::Stopping)
    }
}

/// The lifecycle stages ECS documents for blue/green, linear, canary and rolling deployments,
/// in order, with what happens in each. `PRE_PRODUCTION_TRAFFIC_SHIFT` is a hook stage that the
/// SDK's stage enum does not list yet; it arrives as an unknown value and is known here by name.
pub const STAGES: [(&str, &str); 11] = [
    (
        "RECONCILE_SERVICE",
        "ECS reconciles the service (rolling deployments, or a scale change)",
    ),
    ("PRE_SCALE_UP", "before the new revision's tasks start"),
    ("SCALE_UP", "the new revision's tasks start"),
    ("POST_SCALE_UP", "the new tasks run and are healthy"),
    (
        "TEST_TRAFFIC_SHIFT",
        "the test listener moves to the new revision",
    ),
    (
        "POST_TEST_TRAFFIC_SHIFT",
        "the test listener serves the new revision (the PAUSE hook holds here)",
    ),
    (
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "about to move production traffic",
    ),
    (
        "PRODUCTION_TRAFFIC_SHIFT",
        "production traffic moves to the new revision",
    ),
    (
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "production traffic is on the new revision",
    ),
    (
        "BAKE_TIME",
        "both revisions run; ECS can still roll back at once",
    ),
    ("CLEAN_UP", "the old revision's tasks stop"),
];

/// Whether the deployer knows a stage by name.
pub fn known_stage(stage: &str) -> bool {
    STAGES.iter().any(|(name, _)| *name == stage)
}

/// Stages in which the test listener routes to the new revision, so smoke checks see it.
pub fn receives_test_traffic(stage: Option<&str>) -> bool {
    matches!(
        stage,
        Some(
            "TEST_TRAFFIC_SHIFT"
                | "POST_TEST_TRAFFIC_SHIFT"
                | "PRE_PRODUCTION_TRAFFIC_SHIFT"
                | "PRODUCTION_TRAFFIC_SHIFT"
                | "POST_PRODUCTION_TRAFFIC_SHIFT"
                | "BAKE_TIME"
        )
    )
}

/// Whether production traffic has started to move to the new revision.
pub fn production_shift_started(stage: Option<&str>) -> bool {
    matches!(
        stage,
        Some(
            "PRODUCTION_TRAFFIC_SHIFT" | "POST_PRODUCTION_TRAFFIC_SHIFT" | "BAKE_TIME" | "CLEAN_UP"
        )
    )
}

/// The only answer AWS documents for "this cannot be done here" on StopServiceDeployment:
/// UnsupportedFeatureException. Every other error (ClientException for permissions or a bad
/// ARN, ConflictException, InvalidParameterException, ...) fails with AWS's message instead of
/// redeploying an older revision behind the operator's back.
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopServiceDeployment.html>)
fn rollback_unsupported(code: Option<&str>) -> bool {
    matches!(code, Some("UnsupportedFeatureException"))
}

/// The PAUSE hook this deployment waits at, if any: its `hookId` and when it times out.
pub fn awaiting_pause_hook(deployment: &ServiceDeployment) -> Option<(String, Option<SystemTime>)> {
    deployment
        .lifecycle_hook_details()
        .iter()
        .find(|hook| {
            hook.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction)
                && matches!(
                    hook.target_type(),
                    Some(DeploymentLifecycleHookTargetType::Pause) | None
                )
        })
        .and_then(|hook| {
            let expires = hook
                .expires_at()
                .and_then(|t| SystemTime::try_from(*t).ok());
            hook.hook_id().map(|id| (id.to_string(), expires))
        })
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
    in_flight(clients, cluster, service)
        .await?
        .map(|(arn, _)| arn)
        .ok_or_else(|| {
            DeployError::Unexpected(format!(
                "ECS started no deployment for service {service} in cluster {cluster}; check \
                 `deployer status`"
            ))
        })
}

/// The newest unfinished deployment of a service, if any, with its status: PENDING,
/// IN_PROGRESS, or one ECS is already rolling back or stopping (ROLLBACK_REQUESTED,
/// ROLLBACK_IN_PROGRESS, STOP_REQUESTED).
pub async fn in_flight(
    clients: &AwsClients,
    cluster: &str,
    service: &str,
) -> Result<Option<(String, Phase)>, DeployError> {
    let output = clients
        .ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(service)
        .status(Status::Pending)
        .status(Status::InProgress)
        .status(Status::RollbackRequested)
        .status(Status::RollbackInProgress)
        .status(Status::StopRequested)
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
        .and_then(|d| {
            Some((
                d.service_deployment_arn()?.to_string(),
                Phase::of(d.status()),
            ))
        }))
}

pub fn view_of(deployment: &ServiceDeployment, bake_left: Option<Duration>) -> DeploymentView {
    let target = deployment.target_service_revision();
    let stage = deployment.lifecycle_stage().map(|s| s.as_str().to_string());
    let breaker = deployment.deployment_circuit_breaker().filter(|b| {
        b.failure_count() > 0
            || b.status() == Some(&ServiceDeploymentRollbackMonitorsStatus::Triggered)
    });
    DeploymentView {
        status: deployment
            .status()
            .map_or("NO_STATUS", |s| s.as_str())
            .to_string(),
        unknown_stage: stage.as_deref().is_some_and(|s| !known_stage(s)),
        stage,
        running: target.map_or(0, |t| t.running_task_count()),
        desired: target.map_or(0, |t| t.requested_task_count()),
        production_traffic: target.and_then(|t| t.requested_production_traffic_weight()),
        failed_tasks: breaker.map(|b| (b.failure_count(), b.threshold())),
        bake_left,
    }
}

/// Why ECS rolled back or stopped, from the fields it fills in.
pub fn reason_of(deployment: &ServiceDeployment) -> String {
    if let Some(breaker) = deployment.deployment_circuit_breaker()
        && breaker.status() == Some(&ServiceDeploymentRollbackMonitorsStatus::Triggered)
    {
        return format!(
            "deployment circuit breaker: {} of {} tasks failed to start or stay healthy",
            breaker.failure_count(),
            breaker.threshold()
        );
    }
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
                    "no previous task definition is known; run `deployer rollback --to \
                     REVISION`",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_checks_run_once_test_traffic_reaches_the_new_revision() {
        assert!(!receives_test_traffic(None));
        assert!(!receives_test_traffic(Some("SCALE_UP")));
        assert!(!receives_test_traffic(Some("POST_SCALE_UP")));
        assert!(receives_test_traffic(Some("TEST_TRAFFIC_SHIFT")));
        assert!(receives_test_traffic(Some("PRE_PRODUCTION_TRAFFIC_SHIFT")));
        assert!(receives_test_traffic(Some("BAKE_TIME")));
    }

    #[test]
    fn every_stage_of_the_sdk_is_known_and_unknown_ones_are_not() {
        use aws_sdk_ecs::types::ServiceDeploymentLifecycleStage as Stage;
        for stage in Stage::values() {
            assert!(known_stage(stage), "{stage} is not known");
        }
        assert!(known_stage("PRE_PRODUCTION_TRAFFIC_SHIFT"));
        assert!(!known_stage("TELEPORT"));
    }

    #[test]
    fn every_status_of_the_sdk_has_a_phase_and_a_new_one_is_shown() {
        for status in Status::values() {
            let phase = Phase::of(Some(&Status::from(*status)));
            assert!(!matches!(phase, Phase::Unknown(_)), "{status}");
        }
        assert_eq!(
            Phase::of(Some(&Status::from("PAUSED_FOREVER"))),
            Phase::Unknown("PAUSED_FOREVER".into())
        );
        assert!(Phase::of(Some(&Status::RollbackRequested)).ecs_is_unwinding());
        assert!(Phase::of(Some(&Status::StopRequested)).ecs_is_unwinding());
        assert!(!Phase::of(Some(&Status::InProgress)).ecs_is_unwinding());
    }

    #[test]
    fn only_the_documented_unsupported_answer_falls_back_to_updating_the_service() {
        assert!(rollback_unsupported(Some("UnsupportedFeatureException")));
        assert!(!rollback_unsupported(Some("InvalidParameterException")));
        assert!(!rollback_unsupported(Some("ClientException")));
        assert!(!rollback_unsupported(Some("ConflictException")));
        assert!(!rollback_unsupported(Some("AccessDeniedException")));
        assert!(!rollback_unsupported(None));
    }
}
