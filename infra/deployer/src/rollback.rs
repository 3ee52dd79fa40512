//! `deployer rollback`: stop an in-flight deployment with rollback, or - when nothing is in
//! flight - return the service to the revision it ran before (or one named on the command line).

use std::fmt;

use aws_sdk_ecs::types::TaskDefinitionStatus;

use crate::aws::AwsClients;
use crate::deployment::{
    self, FollowOptions, FollowOutcome, RollbackStarted, RollbackTarget, short_deployment,
};
use crate::ecs::{current_task_definition, describe_service, describe_task_definition};
use crate::error::DeployError;
use crate::history;
use crate::progress::Reporter;
use crate::settings::ServiceTarget;
use crate::task_definition::short_name;

#[derive(Debug, Clone)]
pub struct RollbackRequest {
    pub target: ServiceTarget,
    /// Return to this task definition (family:revision or ARN) instead of the previous one.
    pub to_task_definition: Option<String>,
    pub wait: bool,
    pub follow: FollowOptions,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// An in-flight deployment was stopped and ECS rolled it back.
    InFlightRolledBack {
        deployment: String,
        reason: String,
    },
    /// The service runs `task_definition` again.
    Returned {
        task_definition: String,
    },
    /// `--no-wait`: ECS accepted the rollback and carries on.
    Submitted {
        deployment: String,
    },
    Failed {
        reason: String,
    },
}

impl RollbackOutcome {
    pub fn succeeded(&self) -> bool {
        !matches!(self, RollbackOutcome::Failed { .. })
    }
}

impl fmt::Display for RollbackOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RollbackOutcome::InFlightRolledBack { deployment, reason } => write!(
                f,
                "rolled back: deployment {} stopped, the previous revision serves ({reason})",
                short_deployment(deployment)
            ),
            RollbackOutcome::Returned { task_definition } => write!(
                f,
                "rolled back: the service runs {} again",
                short_name(task_definition)
            ),
            RollbackOutcome::Submitted { deployment } => write!(
                f,
                "rollback submitted (deployment {}); follow it with `deployer status`",
                short_deployment(deployment)
            ),
            RollbackOutcome::Failed { reason } => write!(
                f,
                "ROLLBACK FAILED ({reason}): check `deployer status` and the ECS console now"
            ),
        }
    }
}

const OPERATOR_REASON: &str = "requested with `deployer rollback`";

pub async fn rollback(
    clients: &AwsClients,
    reporter: &Reporter,
    request: &RollbackRequest,
) -> Result<RollbackOutcome, DeployError> {
    let target = &request.target;
    // A named revision means "deploy exactly that"; otherwise an in-flight deployment comes first.
    if request.to_task_definition.is_none()
        && let Some((arn, phase)) =
            deployment::in_flight(clients, &target.cluster, &target.service).await?
    {
        if phase.ecs_is_unwinding() {
            return let_ecs_finish(clients, reporter, request, &arn).await;
        }
        return stop_in_flight(clients, reporter, request, &arn).await;
    }
    let service = describe_service(clients, &target.cluster, &target.service).await?;
    let current = current_task_definition(&service)?.to_string();
    let destination = match &request.to_task_definition {
        Some(named) => resolve_revision(named, &current)?,
        None => {
            let history = history::read(clients, target).await?;
            let good = history::last_known_good(&history, &current).ok_or_else(|| {
                DeployError::Config(format!(
                    "no release of service {} other than the running {} deployed successfully \
                     and was never rolled back (see `deployer history {}`): pass --to REVISION",
                    target.service,
                    short_name(&current),
                    target.component.name()
                ))
            })?;
            reporter.note(&format!(
                "last known good release: {}",
                history::describe_release(good)
            ));
            good.task_definition.clone().unwrap_or_default()
        }
    };
    let (definition, _) = describe_task_definition(clients, &destination).await?;
    if definition.status() == Some(&TaskDefinitionStatus::Inactive) {
        return Err(DeployError::Config(format!(
            "task definition {} is INACTIVE (deregistered): pass --to with an active revision",
            short_name(&destination)
        )));
    }
    let destination = definition
        .task_definition_arn()
        .unwrap_or(&destination)
        .to_string();
    if destination == current {
        return Err(DeployError::Config(format!(
            "service {} already runs {}: nothing to roll back to",
            target.service,
            short_name(&current)
        )));
    }
    reporter.note(&format!(
        "no deployment in flight; returning service {} from {} to {}",
        target.service,
        short_name(&current),
        short_name(&destination)
    ));
    let rollback_target = RollbackTarget::of(target, None);
    let arn = deployment::update_service_to(clients, &rollback_target, &destination).await?;
    history::mark_rolled_back(clients, reporter, &current, OPERATOR_REASON).await;
    if !request.wait {
        return Ok(RollbackOutcome::Submitted { deployment: arn });
    }
    let outcome =
        deployment::follow(clients, reporter, &arn, &rollback_target, &request.follow).await;
    reporter.finish();
    Ok(match outcome? {
        FollowOutcome::Successful => RollbackOutcome::Returned {
            task_definition: destination,
        },
        FollowOutcome::RolledBack { reason }
        | FollowOutcome::RollbackFailed { reason }
        | FollowOutcome::Stopped { reason } => RollbackOutcome::Failed {
            reason: format!(
                "the deployment back to {} ended early: {reason}",
                short_name(&destination)
            ),
        },
    })
}

/// ECS is already rolling `arn` back (or stopping it): a second deployment on top would fight
/// it, so the deployer only follows it to its end.
async fn let_ecs_finish(
    clients: &AwsClients,
    reporter: &Reporter,
    request: &RollbackRequest,
    arn: &str,
) -> Result<RollbackOutcome, DeployError> {
    let target = &request.target;
    reporter.note(&format!(
        "ECS is already rolling back (or stopping) deployment {}: following it, starting no \
         second deployment",
        short_deployment(arn)
    ));
    if !request.wait {
        return Ok(RollbackOutcome::Submitted {
            deployment: arn.to_string(),
        });
    }
    let rollback_target = RollbackTarget::of(target, None);
    let outcome =
        deployment::follow(clients, reporter, arn, &rollback_target, &request.follow).await;
    reporter.finish();
    Ok(match outcome? {
        FollowOutcome::RolledBack { reason } => RollbackOutcome::InFlightRolledBack {
            deployment: arn.to_string(),
            reason: format!("rolled back by ECS: {reason}"),
        },
        FollowOutcome::Stopped { reason } => RollbackOutcome::Failed {
            reason: format!(
                "ECS stopped deployment {} without rollback ({reason}); run `deployer rollback` \
                 again to return to the last good release",
                short_deployment(arn)
            ),
        },
        FollowOutcome::Successful => RollbackOutcome::Failed {
            reason: "the deployment finished instead of rolling back".into(),
        },
        FollowOutcome::RollbackFailed { reason } => RollbackOutcome::Failed { reason },
    })
}

async fn stop_in_flight(
    clients: &AwsClients,
    reporter: &Reporter,
    request: &RollbackRequest,
    arn: &str,
) -> Result<RollbackOutcome, DeployError> {
    let target = &request.target;
    reporter.note(&format!(
        "deployment {} is in flight",
        short_deployment(arn)
    ));
    let (source, leaving) = deployment_revisions(clients, arn).await?;
    let rollback_target = RollbackTarget::of(target, source);
    let started =
        deployment::request_rollback(clients, reporter, arn, &rollback_target, OPERATOR_REASON)
            .await?;
    let (follow_arn, redeploying) = match started {
        RollbackStarted::Stopping(arn) => (arn, false),
        RollbackStarted::Redeploying(arn) => (arn, true),
    };
    if let Some(leaving) = &leaving {
        history::mark_rolled_back(clients, reporter, leaving, OPERATOR_REASON).await;
    }
    if !request.wait {
        return Ok(RollbackOutcome::Submitted {
            deployment: follow_arn,
        });
    }
    let outcome = deployment::follow(
        clients,
        reporter,
        &follow_arn,
        &rollback_target,
        &request.follow,
    )
    .await;
    reporter.finish();
    Ok(match outcome? {
        FollowOutcome::RolledBack { .. } => RollbackOutcome::InFlightRolledBack {
            deployment: arn.to_string(),
            reason: OPERATOR_REASON.to_string(),
        },
        FollowOutcome::Successful if redeploying => RollbackOutcome::InFlightRolledBack {
            deployment: arn.to_string(),
            reason: OPERATOR_REASON.to_string(),
        },
        FollowOutcome::Successful => RollbackOutcome::Failed {
            reason: "the deployment finished before the rollback took effect".into(),
        },
        FollowOutcome::RollbackFailed { reason } | FollowOutcome::Stopped { reason } => {
            RollbackOutcome::Failed { reason }
        }
    })
}

/// The task definitions a deployment started from and goes to (its source and target service
/// revisions).
async fn deployment_revisions(
    clients: &AwsClients,
    deployment_arn: &str,
) -> Result<(Option<String>, Option<String>), DeployError> {
    let deployment = deployment::describe(clients, deployment_arn).await?;
    let source = deployment
        .source_service_revisions()
        .first()
        .and_then(|r| r.arn())
        .map(str::to_string);
    let target = deployment
        .target_service_revision()
        .and_then(|r| r.arn())
        .map(str::to_string);
    let wanted: Vec<String> = source.iter().chain(target.iter()).cloned().collect();
    if wanted.is_empty() {
        return Ok((None, None));
    }
    let revisions = describe_revisions(clients, wanted).await?;
    let find = |arn: &Option<String>| {
        arn.as_ref().and_then(|arn| {
            revisions
                .iter()
                .find(|(r, _)| r == arn)
                .map(|(_, td)| td.clone())
        })
    };
    Ok((find(&source), find(&target)))
}

/// `--to`: FAMILY:REVISION or an ARN as given; a bare number is a revision of the running
/// task definition's family.
pub fn resolve_revision(named: &str, current: &str) -> Result<String, DeployError> {
    let named = named.trim();
    if named.is_empty() {
        return Err(DeployError::Config(
            "--to needs a revision (e.g. 7, hwdash-portal:7 or an ARN)".into(),
        ));
    }
    if named.chars().all(|c| c.is_ascii_digit()) {
        let family = short_name(current)
            .rsplit_once(':')
            .map_or(short_name(current), |(family, _)| family);
        return Ok(format!("{family}:{named}"));
    }
    Ok(named.to_string())
}

/// (service revision ARN, task definition) pairs.
async fn describe_revisions(
    clients: &AwsClients,
    arns: Vec<String>,
) -> Result<Vec<(String, String)>, DeployError> {
    let output = clients
        .ecs
        .describe_service_revisions()
        .set_service_revision_arns(Some(arns))
        .send()
        .await
        .map_err(|e| DeployError::aws("describing service revisions", &e))?;
    Ok(output
        .service_revisions()
        .iter()
        .filter_map(|r| {
            Some((
                r.service_revision_arn()?.to_string(),
                r.task_definition()?.to_string(),
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_revision_number_is_one_of_the_running_family() {
        let current = "arn:aws:ecs:us-east-1:1:task-definition/hwdash-portal:9";
        assert_eq!(resolve_revision("7", current).unwrap(), "hwdash-portal:7");
        assert_eq!(resolve_revision("other:3", current).unwrap(), "other:3");
        assert!(resolve_revision(" ", current).is_err());
    }
}
