//! `deployer release`: register the next task definition revision (only the image changed),
//! update the service so ECS runs its blue/green deployment, and follow it to the end.
//!
//! The revision a release starts from is the newer of the one the service runs and the latest
//! ACTIVE revision of its family. `terraform apply` registers a new revision when the task's
//! environment, secrets, CPU or memory change, but the services ignore `task_definition`, so
//! only a release puts that revision (or a copy of it with the new image) into service.

use std::fmt;
use std::time::SystemTime;

use aws_sdk_ecs::types::{DeploymentRolloutState, Service};

use crate::aws::AwsClients;
use crate::deployment::{self, FollowOptions, FollowOutcome, RollbackTarget, short_deployment};
use crate::ecr::ensure_image_exists;
use crate::ecs::{BaseRevision, describe_service};
use crate::error::DeployError;
use crate::history;
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
    /// What the service runs now.
    pub current_task_definition: String,
    /// The latest revision of the family when it is newer than the running one (registered by
    /// `terraform apply`); the release starts from it.
    pub newer_revision: Option<String>,
    /// The image in the revision the release starts from.
    pub current_image: String,
    pub new_image: String,
    /// false: the newer revision already runs `new_image` and is deployed as it is.
    pub registers: bool,
    /// ROLLING or BLUE_GREEN (from the service's deployment configuration).
    pub strategy: String,
    pub bake_minutes: Option<i32>,
    pub alarms: Vec<String>,
    pub smoke_url: Option<String>,
    /// The test listener URL from terraform, shown when smoke checks are off.
    pub test_listener_url: Option<String>,
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
        let running = short_name(&self.current_task_definition);
        let base = self.newer_revision.as_deref().map_or(running, short_name);
        let family = base.rsplit_once(':').map_or(base, |(family, _)| family);
        writeln!(
            f,
            "service          {} (cluster {})",
            self.service, self.cluster
        )?;
        writeln!(f, "running now      {running}")?;
        if self.newer_revision.is_some() {
            writeln!(
                f,
                "newer revision   {base} (registered since, e.g. by terraform apply: its \
                 environment, secrets, CPU and memory go live)"
            )?;
        }
        if self.registers {
            writeln!(
                f,
                "register         {family}:<next revision>, a copy of {base} with"
            )?;
            writeln!(f, "  container      {}", self.container)?;
            writeln!(f, "  image          {}", self.current_image)?;
            writeln!(f, "             ->  {}", self.new_image)?;
        } else {
            writeln!(f, "register         nothing: {base} already has")?;
            writeln!(f, "  container      {}", self.container)?;
            writeln!(f, "  image          {}", self.new_image)?;
        }
        match &self.image_check {
            ImageCheck::Found => writeln!(f, "image check      found in ECR")?,
            ImageCheck::Skipped(why) => writeln!(f, "image check      skipped ({why})")?,
            ImageCheck::NotReady(problem) => writeln!(f, "image check      NOT READY: {problem}")?,
        }
        if self.registers {
            writeln!(f, "update service   {} -> the new revision", self.service)?;
        } else {
            writeln!(f, "update service   {} -> {base}", self.service)?;
        }
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
        match (&self.smoke_url, &self.test_listener_url) {
            (Some(url), _) => write!(f, "smoke checks     {url}"),
            (None, Some(url)) => write!(
                f,
                "smoke checks     none (--smoke checks {url} once test_listener_cidrs admits \
                 this machine)"
            ),
            (None, None) => write!(f, "smoke checks     none (pass --smoke-url)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    DryRun(Box<ReleasePlan>),
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
    let release_started = SystemTime::now();
    let service = describe_service(clients, &target.cluster, &target.service).await?;
    let base = BaseRevision::read(clients, &service).await?;
    let current_image = container_image(&base.definition, &target.container)?.to_string();
    let same_image = current_image == request.image.to_string();
    if same_image && base.newer.is_none() && !request.force {
        return Ok(ReleaseOutcome::AlreadyRunning {
            task_definition: base.current,
            image: current_image,
        });
    }
    // A newer revision that already runs the image goes into service as it is: a copy would
    // differ in nothing but its number.
    let registers = !(same_image && base.newer.is_some());
    let input = next_revision(
        &base.definition,
        &base.tags,
        &target.container,
        &request.image,
    )?;
    let image_check = check_image(clients, request).await?;
    let plan = plan_of(
        request,
        &service,
        &base,
        current_image,
        registers,
        image_check,
    );
    if request.dry_run {
        return Ok(ReleaseOutcome::DryRun(Box::new(plan)));
    }
    // A second UpdateService would start a deployment on top of the one in flight, and ECS
    // would cancel one of them. (The lock keeps deployers apart; this catches terraform apply,
    // the console, or an ECS rollback still running.)
    if let Some(in_flight) = deployment_in_flight(&service) {
        return Err(DeployError::DeploymentInFlight {
            service: target.service.clone(),
            deployments: in_flight,
        });
    }
    let new_definition = match base.newer.clone().filter(|_| !registers) {
        Some(as_registered) => deploy_as_registered(reporter, request, &base, as_registered),
        None => {
            if let Some(newer) = &base.newer {
                reporter.note(&format!(
                    "starting from {}, registered after the running {}",
                    short_name(newer),
                    short_name(&base.current)
                ));
            }
            register(clients, input, &base.definition, target, request, reporter).await?
        }
    };
    let updated = update_service(clients, target, &new_definition).await?;
    reporter.note(&format!(
        "updated service {} to {} ({} deployment)",
        target.service,
        short_name(&new_definition),
        plan.strategy
    ));
    history::mark_released(clients, reporter, &new_definition).await;
    if !request.wait {
        return Ok(ReleaseOutcome::Submitted {
            task_definition: new_definition,
            deployment: updated.current_service_deployment().map(str::to_string),
        });
    }
    let rollback_target = RollbackTarget::of(target, Some(base.current));
    let started = Started {
        service: &updated,
        task_definition: new_definition,
        at: release_started,
    };
    follow_release(clients, reporter, request, started, &rollback_target).await
}

/// Whether the image is in ECR. A missing image or repository stops a release; a dry run
/// reports it in its plan.
async fn check_image(
    clients: &AwsClients,
    request: &ReleaseRequest,
) -> Result<ImageCheck, DeployError> {
    let ecr = match (request.check_image, request.image.ecr()) {
        (false, _) => return Ok(ImageCheck::Skipped("--skip-image-check")),
        (true, None) => return Ok(ImageCheck::Skipped("not an ECR image")),
        (true, Some(ecr)) => ecr,
    };
    match ensure_image_exists(clients, &request.image, &ecr).await {
        Ok(()) => Ok(ImageCheck::Found),
        Err(e @ (DeployError::ImageNotFound { .. } | DeployError::RepositoryNotFound { .. }))
            if request.dry_run =>
        {
            Ok(ImageCheck::NotReady(e.to_string()))
        }
        Err(e) => Err(e),
    }
}

fn plan_of(
    request: &ReleaseRequest,
    service: &Service,
    base: &BaseRevision,
    current_image: String,
    registers: bool,
    image_check: ImageCheck,
) -> ReleasePlan {
    let target = &request.target;
    let configuration = service.deployment_configuration();
    ReleasePlan {
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        container: target.container.clone(),
        current_task_definition: base.current.clone(),
        newer_revision: base.newer.clone(),
        current_image,
        new_image: request.image.to_string(),
        registers,
        strategy: configuration
            .and_then(|c| c.strategy())
            .map_or("ROLLING", |s| s.as_str())
            .to_string(),
        bake_minutes: configuration.and_then(|c| c.bake_time_in_minutes()),
        alarms: request.follow.alarm_names.clone(),
        smoke_url: request.follow.smoke.as_ref().map(|s| s.url.to_string()),
        test_listener_url: target.test_listener_url.as_ref().map(|u| u.to_string()),
        image_check,
    }
}

/// The newer revision already has the image: it goes into service unchanged.
fn deploy_as_registered(
    reporter: &Reporter,
    request: &ReleaseRequest,
    base: &BaseRevision,
    as_registered: String,
) -> String {
    reporter.note(&format!(
        "deploying {} as registered (its container {} already has {}; the service ran {})",
        short_name(&as_registered),
        request.target.container,
        request.image.short_name(),
        short_name(&base.current)
    ));
    as_registered
}

/// UpdateService to `new_definition`; returns the service as ECS reports it after the update.
async fn update_service(
    clients: &AwsClients,
    target: &ServiceTarget,
    new_definition: &str,
) -> Result<Service, DeployError> {
    let updated = clients
        .ecs
        .update_service()
        .cluster(&target.cluster)
        .service(&target.service)
        .task_definition(new_definition)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws_hint(
                format!(
                    "updating ECS service {} in cluster {} to {}",
                    target.service,
                    target.cluster,
                    short_name(new_definition)
                ),
                &e,
                "the new revision is registered but not deployed; rerun the release",
            )
        })?;
    updated
        .service()
        .cloned()
        .ok_or_else(|| DeployError::Unexpected("UpdateService returned no service".into()))
}

/// The deployment a release started.
struct Started<'a> {
    /// The service as UpdateService returned it.
    service: &'a Service,
    task_definition: String,
    /// When the release started: alarms firing before then do not count against it.
    at: SystemTime,
}

/// Follows the deployment UpdateService started to its end and records a rollback in the
/// history.
async fn follow_release(
    clients: &AwsClients,
    reporter: &Reporter,
    request: &ReleaseRequest,
    started: Started<'_>,
    rollback_target: &RollbackTarget,
) -> Result<ReleaseOutcome, DeployError> {
    let target = &request.target;
    let task_definition = started.task_definition;
    let arn =
        deployment::started_by_update(clients, started.service, &target.cluster, &target.service)
            .await
            .map_err(|e| {
                DeployError::Unexpected(format!(
                    "service {} now deploys {}, but the deployer cannot follow it: {e}; watch it \
                     with `deployer status`",
                    target.service,
                    short_name(&task_definition)
                ))
            })?;
    reporter.note(&format!("following deployment {}", short_deployment(&arn)));
    let mut follow = request.follow.clone();
    follow.alarms_since.get_or_insert(started.at);
    let outcome = deployment::follow(clients, reporter, &arn, rollback_target, &follow).await;
    reporter.finish();
    Ok(match outcome? {
        FollowOutcome::Successful => ReleaseOutcome::Released { task_definition },
        FollowOutcome::RolledBack { reason } => {
            history::mark_rolled_back(clients, reporter, &task_definition, &reason).await;
            ReleaseOutcome::RolledBack {
                task_definition,
                reason,
            }
        }
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

/// The service's deployments when more than one is live (a rolling or blue/green deployment
/// under way: PRIMARY plus ACTIVE), or when the one there is IN_PROGRESS replacing another
/// revision; `None` when a release may start.
pub fn deployment_in_flight(service: &Service) -> Option<String> {
    let deployments = service.deployments();
    let moving = deployments.len() > 1
        || deployments
            .iter()
            .any(|d| d.status() != Some("PRIMARY") && d.status() != Some("INACTIVE"));
    if !moving {
        return None;
    }
    Some(
        deployments
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} {}",
                    d.status().unwrap_or("?"),
                    d.id().unwrap_or("?"),
                    d.task_definition().map_or("?", short_name),
                    d.rollout_state()
                        .map_or("", |s: &DeploymentRolloutState| s.as_str())
                )
                .trim_end()
                .to_string()
            })
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// Registers the prepared revision; returns its ARN.
async fn register(
    clients: &AwsClients,
    input: aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput,
    base: &aws_sdk_ecs::types::TaskDefinition,
    target: &ServiceTarget,
    request: &ReleaseRequest,
    reporter: &Reporter,
) -> Result<String, DeployError> {
    let base_name = short_name(base.task_definition_arn().unwrap_or("?")).to_string();
    let registered = task_definition::apply(clients.ecs.register_task_definition(), input)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws_hint(
                format!("registering the next revision after {base_name}"),
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
    Ok(new_definition)
}
