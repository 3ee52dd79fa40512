//! `deployer rollback`: stop an in-flight deployment with rollback, or - when nothing is in
//! flight - return the service to the revision it ran before (or one named on the command line).

use std::fmt;

use aws_sdk_ecs::types::{ServiceDeploymentStatus, TaskDefinitionStatus};

use crate::aws::AwsClients;
use crate::deployment::{
    self, FollowOptions, FollowOutcome, RollbackStarted, RollbackTarget, short_deployment,
};
use crate::ecs::{current_task_definition, describe_service, describe_task_definition};
use crate::error::DeployError;
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
        Some(named) => named.clone(),
        None => previous_successful(clients, target, &current).await?,
    };
    let (definition, _) = describe_task_definition(clients, &destination).await?;
    if definition.status() == Some(&TaskDefinitionStatus::Inactive) {
        return Err(DeployError::Config(format!(
            "task definition {} is INACTIVE (deregistered): pass --to-task-definition with an \
             active revision",
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
    let rollback_target = RollbackTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        previous_task_definition: None,
    };
    let arn = deployment::update_service_to(clients, &rollback_target, &destination).await?;
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
    let rollback_target = RollbackTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        previous_task_definition: None,
    };
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
    let rollback_target = RollbackTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        previous_task_definition: source_task_definition(clients, arn).await?,
    };
    let started =
        deployment::request_rollback(clients, reporter, arn, &rollback_target, OPERATOR_REASON)
            .await?;
    let (follow_arn, redeploying) = match started {
        RollbackStarted::Stopping(arn) => (arn, false),
        RollbackStarted::Redeploying(arn) => (arn, true),
    };
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

/// The task definition a deployment started from (its source service revision).
async fn source_task_definition(
    clients: &AwsClients,
    deployment_arn: &str,
) -> Result<Option<String>, DeployError> {
    let deployment = deployment::describe(clients, deployment_arn).await?;
    let Some(source) = deployment
        .source_service_revisions()
        .first()
        .and_then(|r| r.arn())
    else {
        return Ok(None);
    };
    let revisions = describe_revisions(clients, vec![source.to_string()]).await?;
    Ok(revisions.into_iter().next().map(|(_, td)| td))
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

/// The task definition of the newest successful deployment that is not `current`: what the
/// service ran before the last release.
async fn previous_successful(
    clients: &AwsClients,
    target: &ServiceTarget,
    current: &str,
) -> Result<String, DeployError> {
    let output = clients
        .ecs
        .list_service_deployments()
        .cluster(&target.cluster)
        .service(&target.service)
        .status(ServiceDeploymentStatus::Successful)
        .max_results(20)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws(
                format!(
                    "listing successful deployments of ECS service {}",
                    target.service
                ),
                &e,
            )
        })?;
    let mut successful: Vec<_> = output.service_deployments().to_vec();
    successful
        .sort_by_key(|d| std::cmp::Reverse(d.created_at().map(|t| (t.secs(), t.subsec_nanos()))));
    let revision_arns: Vec<String> = successful
        .iter()
        .filter_map(|d| d.target_service_revision_arn().map(str::to_string))
        .collect();
    if !revision_arns.is_empty() {
        let revisions = describe_revisions(clients, revision_arns.clone()).await?;
        for arn in &revision_arns {
            if let Some((_, td)) = revisions.iter().find(|(r, td)| r == arn && td != current) {
                return Ok(td.clone());
            }
        }
    }
    Err(DeployError::Config(format!(
        "no earlier successful deployment of service {} runs anything but {}: pass \
         --to-task-definition FAMILY:REVISION",
        target.service,
        short_name(current)
    )))
}
