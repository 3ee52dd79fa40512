//! `deployer wait`: follow each service's current deployment until it is steady - every
//! desired task running and healthy, one deployment left and it COMPLETED - or say, per
//! service, why not: the stopped tasks' stoppedReason and the last lines of its log group.
//! scripts/deploy.sh runs it after `terraform apply`, which starts (rolling) deployments
//! without waiting for them.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{DeploymentRolloutState, DesiredStatus, HealthStatus, Service};

use crate::aws::AwsClients;
use crate::diagnose::{log_tail, stopped_tasks};
use crate::duration::human;
use crate::ecs::{describe_service, service_tasks};
use crate::error::DeployError;
use crate::progress::Reporter;
use crate::settings::ServiceTarget;

#[derive(Debug, Clone)]
pub struct WaitRequest {
    pub targets: Vec<ServiceTarget>,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

/// Where one service is, as one look at it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Steady,
    /// Still moving; the text says how far (tasks, deployments, rollout state).
    Waiting(String),
    /// ECS gave up on the deployment (rollout FAILED, e.g. the circuit breaker tripped).
    Failed(String),
}

/// What DescribeServices alone says about a service.
pub fn readiness(service: &Service) -> Readiness {
    let running = service.running_count();
    let desired = service.desired_count();
    let deployments = service.deployments();
    if let Some(failed) = deployments
        .iter()
        .find(|d| d.rollout_state() == Some(&DeploymentRolloutState::Failed))
    {
        return Readiness::Failed(format!(
            "deployment {} FAILED: {}",
            failed.id().unwrap_or("?"),
            failed.rollout_state_reason().unwrap_or("no reason given")
        ));
    }
    let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
    let rollout = primary
        .and_then(|d| d.rollout_state())
        .map_or("no rollout state", |s| s.as_str());
    let progress = format!(
        "tasks {running}/{desired} running, {} deployment(s), primary {rollout}",
        deployments.len()
    );
    if desired == 0 {
        return Readiness::Waiting(format!("{progress}; desired count is 0"));
    }
    let completed = primary.is_some_and(|d| {
        matches!(
            d.rollout_state(),
            Some(DeploymentRolloutState::Completed) | None
        ) && d.running_count() == desired
            && d.pending_count() == 0
    });
    if running == desired && deployments.len() == 1 && completed {
        Readiness::Steady
    } else {
        Readiness::Waiting(progress)
    }
}

/// Running tasks that report UNHEALTHY (tasks without a container health check report UNKNOWN
/// and count as healthy: the load balancer's health check gates those).
async fn unhealthy_tasks(
    clients: &AwsClients,
    target: &ServiceTarget,
) -> Result<usize, DeployError> {
    let tasks = service_tasks(clients, target, DesiredStatus::Running).await?;
    Ok(tasks
        .iter()
        .filter(|t| t.health_status() == Some(&HealthStatus::Unhealthy))
        .count())
}

async fn look(clients: &AwsClients, target: &ServiceTarget) -> Result<Readiness, DeployError> {
    let service = describe_service(clients, &target.cluster, &target.service).await?;
    let readiness = readiness(&service);
    if readiness != Readiness::Steady {
        return Ok(readiness);
    }
    match unhealthy_tasks(clients, target).await? {
        0 => Ok(Readiness::Steady),
        n => Ok(Readiness::Waiting(format!(
            "tasks {}/{} running but {n} UNHEALTHY",
            service.running_count(),
            service.desired_count()
        ))),
    }
}

/// Waits until every service is steady. Returns the report of those that are not, one block per
/// service, as the error.
pub async fn wait(
    clients: &AwsClients,
    reporter: &Reporter,
    request: &WaitRequest,
) -> Result<String, DeployError> {
    let started = Instant::now();
    let names: Vec<&str> = request.targets.iter().map(|t| t.service.as_str()).collect();
    reporter.note(&format!(
        "waiting up to {} for {} to be steady",
        human(request.timeout),
        names.join(", ")
    ));
    let mut last: Vec<Option<Readiness>> = vec![None; request.targets.len()];
    loop {
        for (target, last) in request.targets.iter().zip(last.iter_mut()) {
            if *last == Some(Readiness::Steady) {
                continue;
            }
            let now = look(clients, target).await?;
            if last.as_ref() != Some(&now) {
                reporter.note(&match &now {
                    Readiness::Steady => format!("{}: steady", target.service),
                    Readiness::Waiting(how) => format!("{}: {how}", target.service),
                    Readiness::Failed(why) => format!("{}: {why}", target.service),
                });
            }
            *last = Some(now);
        }
        let failed = last.iter().any(|r| matches!(r, Some(Readiness::Failed(_))));
        if last.iter().all(|r| *r == Some(Readiness::Steady)) {
            return Ok(format!(
                "steady: {} run their desired count with healthy tasks ({}s)",
                names.join(", "),
                started.elapsed().as_secs()
            ));
        }
        let timed_out = started.elapsed() >= request.timeout;
        if failed || timed_out {
            let mut report = String::new();
            for (target, state) in request.targets.iter().zip(&last) {
                let (verdict, detail) = match state {
                    Some(Readiness::Steady) | None => continue,
                    Some(Readiness::Waiting(how)) => (
                        format!("not steady after {}", human(started.elapsed())),
                        how,
                    ),
                    Some(Readiness::Failed(why)) => ("deployment failed".to_string(), why),
                };
                report.push_str(&format!(
                    "service {}: {verdict} ({detail})\n",
                    target.service
                ));
                let stopped = stopped_tasks(clients, target).await;
                if stopped.is_empty() {
                    report.push_str("  stopped tasks: none\n");
                } else {
                    report.push_str("  stopped tasks (newest first):\n");
                    for line in stopped {
                        report.push_str(&format!("    {line}\n"));
                    }
                }
                report.push_str(&format!(
                    "  last log lines{}:\n",
                    target
                        .log_group
                        .as_deref()
                        .map(|g| format!(" of {g}"))
                        .unwrap_or_default()
                ));
                for line in log_tail(clients, target).await {
                    report.push_str(&format!("    {line}\n"));
                }
            }
            return Err(DeployError::NotSteady {
                timed_out: timed_out && !failed,
                report: report.trim_end().to_string(),
            });
        }
        let left = request.timeout.saturating_sub(started.elapsed());
        tokio::time::sleep(request.poll_interval.min(left)).await;
    }
}
