//! `deployer release`: register the next task definition revision (only the image changed),
//! update the service so ECS runs its blue/green deployment, and follow it to the end.

use std::fmt;

use crate::aws::AwsClients;
use crate::deployment::{self, FollowOptions, FollowOutcome, RollbackTarget, short_deployment};
use crate::ecr::ensure_image_exists;
use crate::ecs::{current_task_definition, describe_service, describe_task_definition};
use crate::error::DeployError;
use crate::image::ImageRef;
use crate::progress::Reporter;
use crate::settings::ServiceTarget;
use crate::task_definition::{self, container_image, next_revision, short_name};

#[derive(Debug, Clone)]
pub struct ReleaseRequest {
    pub target: ServiceTarget,
    pub image: ImageRef,
    /// Read and print the plan; register and change nothing.
    pub dry_run: bool,
    /// Follow the deployment to its end (otherwise return once ECS accepted the update).
    pub wait: bool,
    /// Check the image exists in ECR before registering anything.
    pub check_image: bool,
    /// Deploy even when the service already runs this image (to replace every task, e.g. after
    /// a secret rotation). Without it, releasing the running image changes nothing, so
    /// scripts/deploy.sh can be run again safely.
    pub force: bool,
    pub follow: FollowOptions,
}

/// What a release registers and changes; printed by `--dry-run` and before a real release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePlan {
    pub cluster: String,
    pub service: String,
    pub container: String,
    pub current_task_definition: String,
    pub current_image: String,
    pub new_image: String,
    /// ROLLING or BLUE_GREEN (from the service's deployment configuration).
    pub strategy: String,
    pub bake_minutes: Option<i32>,
    pub alarms: Vec<String>,
    pub smoke_url: Option<String>,
    pub image_check: ImageCheck,
}

/// Whether the new image is in ECR, as a plan reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageCheck {
    Found,
    /// `--skip-image-check`, or an image outside ECR.
    Skipped(&'static str),
    /// Not pushed yet: a dry run reports it, a release stops.
    NotReady(String),
}

impl fmt::Display for ReleasePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = short_name(&self.current_task_definition);
        let family = current
            .rsplit_once(':')
            .map_or(current, |(family, _)| family);
        writeln!(
            f,
            "service          {} (cluster {})",
            self.service, self.cluster
        )?;
        writeln!(f, "running now      {current}")?;
        writeln!(
            f,
            "register         {family}:<next revision>, a copy of {current} with"
        )?;
        writeln!(f, "  container      {}", self.container)?;
        writeln!(f, "  image          {}", self.current_image)?;
        writeln!(f, "             ->  {}", self.new_image)?;
        match &self.image_check {
            ImageCheck::Found => writeln!(f, "image check      found in ECR")?,
            ImageCheck::Skipped(why) => writeln!(f, "image check      skipped ({why})")?,
            ImageCheck::NotReady(problem) => writeln!(f, "image check      NOT READY: {problem}")?,
        }
        writeln!(f, "update service   {} -> the new revision", self.service)?;
        write!(f, "deployment       {}", self.strategy)?;
        if let Some(bake) = self.bake_minutes {
            write!(f, ", bake time {bake} min")?;
        }
        writeln!(f)?;
        let alarms = if self.alarms.is_empty() {
            "none".to_string()
        } else {
            self.alarms.join(", ")
        };
        writeln!(f, "rollback alarms  {alarms}")?;
        write!(
            f,
            "smoke checks     {}",
            self.smoke_url
                .as_deref()
                .unwrap_or("none (pass --smoke-url)")
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    DryRun(ReleasePlan),
    /// The service already runs the image; nothing was registered or changed.
    AlreadyRunning {
        task_definition: String,
        image: String,
    },
    /// `--no-wait`: ECS accepted the update; the deployment runs on.
    Submitted {
        task_definition: String,
        deployment: Option<String>,
    },
    /// The new revision serves production traffic.
    Released {
        task_definition: String,
    },
    RolledBack {
        task_definition: String,
        reason: String,
    },
    RollbackFailed {
        task_definition: String,
        reason: String,
    },
    Stopped {
        task_definition: String,
        reason: String,
    },
}

impl ReleaseOutcome {
    /// Exit code 0 means the new version serves (or, with `--no-wait`, was handed to ECS).
    pub fn succeeded(&self) -> bool {
        matches!(
            self,
            ReleaseOutcome::DryRun(_)
                | ReleaseOutcome::AlreadyRunning { .. }
                | ReleaseOutcome::Submitted { .. }
                | ReleaseOutcome::Released { .. }
        )
    }
}

impl fmt::Display for ReleaseOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReleaseOutcome::DryRun(plan) => {
                writeln!(f, "dry run: nothing registered, nothing changed")?;
                write!(f, "{plan}")
            }
            ReleaseOutcome::AlreadyRunning {
                task_definition,
                image,
            } => write!(
                f,
                "nothing to release: {} already runs {image} (--force deploys it again)",
                short_name(task_definition)
            ),
            ReleaseOutcome::Submitted {
                task_definition,
                deployment,
            } => write!(
                f,
                "submitted: ECS deploys {} (deployment {}); follow it with `deployer status`",
                short_name(task_definition),
                deployment
                    .as_deref()
                    .map_or("not reported", short_deployment)
            ),
            ReleaseOutcome::Released { task_definition } => write!(
                f,
                "released: {} serves production traffic",
                short_name(task_definition)
            ),
            ReleaseOutcome::RolledBack {
                task_definition,
                reason,
            } => write!(
                f,
                "rolled back: {} does not serve production traffic ({reason})",
                short_name(task_definition)
            ),
            ReleaseOutcome::RollbackFailed {
                task_definition,
                reason,
            } => write!(
                f,
                "ROLLBACK FAILED for {} ({reason}): check `deployer status` and the ECS console now",
                short_name(task_definition)
            ),
            ReleaseOutcome::Stopped {
                task_definition,
                reason,
            } => write!(
                f,
                "stopped: the deployment of {} was stopped without rollback ({reason})",
                short_name(task_definition)
            ),
        }
    }
}

pub async fn release(
    clients: &AwsClients,
    reporter: &Reporter,
    request: &ReleaseRequest,
) -> Result<ReleaseOutcome, DeployError> {
    let target = &request.target;
    let service = describe_service(clients, &target.cluster, &target.service).await?;
    let current = current_task_definition(&service)?.to_string();
    let (current_definition, tags) = describe_task_definition(clients, &current).await?;
    let current_image = container_image(&current_definition, &target.container)?.to_string();
    let input = next_revision(
        &current_definition,
        &tags,
        &target.container,
        &request.image,
    )?;
    if current_image == request.image.to_string() && !request.force {
        return Ok(ReleaseOutcome::AlreadyRunning {
            task_definition: current,
            image: current_image,
        });
    }

    let image_check = match (request.check_image, request.image.ecr()) {
        (false, _) => ImageCheck::Skipped("--skip-image-check"),
        (true, None) => ImageCheck::Skipped("not an ECR image"),
        (true, Some(ecr)) => match ensure_image_exists(clients, &request.image, &ecr).await {
            Ok(()) => ImageCheck::Found,
            Err(
                e @ (DeployError::ImageNotFound { .. } | DeployError::RepositoryNotFound { .. }),
            ) => {
                if !request.dry_run {
                    return Err(e);
                }
                ImageCheck::NotReady(e.to_string())
            }
            Err(e) => return Err(e),
        },
    };
    let configuration = service.deployment_configuration();
    let plan = ReleasePlan {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        container: target.container.clone(),
        current_task_definition: current.clone(),
        current_image,
        new_image: request.image.to_string(),
        strategy: configuration
            .and_then(|c| c.strategy())
            .map_or("ROLLING", |s| s.as_str())
            .to_string(),
        bake_minutes: configuration.and_then(|c| c.bake_time_in_minutes()),
        alarms: request.follow.alarm_names.clone(),
        smoke_url: request.follow.smoke.as_ref().map(|s| s.url.to_string()),
        image_check,
    };
    if request.dry_run {
        return Ok(ReleaseOutcome::DryRun(plan));
    }

    let registered = task_definition::apply(clients.ecs.register_task_definition(), input)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws_hint(
                format!("registering the next revision of {}", short_name(&current)),
                &e,
                "the deployer's role needs ecs:RegisterTaskDefinition and iam:PassRole on the task roles",
            )
        })?;
    let new_definition = registered
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .ok_or_else(|| DeployError::Unexpected("RegisterTaskDefinition returned no ARN".into()))?
        .to_string();
    reporter.note(&format!(
        "registered {} ({} -> {})",
        short_name(&new_definition),
        target.container,
        request.image.short_name()
    ));

    let rollback_target = RollbackTarget {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        previous_task_definition: Some(current.clone()),
    };
    let updated = clients
        .ecs
        .update_service()
        .cluster(&target.cluster)
        .service(&target.service)
        .task_definition(&new_definition)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws_hint(
                format!(
                    "updating ECS service {} in cluster {} to {}",
                    target.service,
                    target.cluster,
                    short_name(&new_definition)
                ),
                &e,
                "the new revision is registered but not deployed; rerun the release",
            )
        })?;
    let updated_service = updated
        .service()
        .ok_or_else(|| DeployError::Unexpected("UpdateService returned no service".into()))?;
    reporter.note(&format!(
        "updated service {} to {} ({} deployment)",
        target.service,
        short_name(&new_definition),
        plan.strategy
    ));
    if !request.wait {
        return Ok(ReleaseOutcome::Submitted {
            task_definition: new_definition,
            deployment: updated_service
                .current_service_deployment()
                .map(str::to_string),
        });
    }

    let arn =
        deployment::started_by_update(clients, updated_service, &target.cluster, &target.service)
            .await
            .map_err(|e| {
                DeployError::Unexpected(format!(
                    "service {} now deploys {}, but the deployer cannot follow it: {e}; watch it \
                     with `deployer status`",
                    target.service,
                    short_name(&new_definition)
                ))
            })?;
    reporter.note(&format!("following deployment {}", short_deployment(&arn)));
    let outcome =
        deployment::follow(clients, reporter, &arn, &rollback_target, &request.follow).await;
    reporter.finish();
    let task_definition = new_definition;
    Ok(match outcome? {
        FollowOutcome::Successful => ReleaseOutcome::Released { task_definition },
        FollowOutcome::RolledBack { reason } => ReleaseOutcome::RolledBack {
            task_definition,
            reason,
        },
        FollowOutcome::RollbackFailed { reason } => ReleaseOutcome::RollbackFailed {
            task_definition,
            reason,
        },
        FollowOutcome::Stopped { reason } => ReleaseOutcome::Stopped {
            task_definition,
            reason,
        },
    })
}
