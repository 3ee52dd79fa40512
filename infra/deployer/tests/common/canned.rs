//! Canned AWS answers for the deployment lifecycle tests (aws-smithy-mocks): one portal
//! service going from revision 7 to 8, its deployments, alarms and rollbacks, shaped as the ECS
//! and CloudWatch API references document them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_ecr::operation::describe_images::DescribeImagesOutput;
use aws_sdk_ecr::types::ImageDetail;
use aws_sdk_ecs::Client as Ecs;
use aws_sdk_ecs::operation::describe_service_deployments::DescribeServiceDeploymentsOutput;
use aws_sdk_ecs::operation::describe_service_revisions::DescribeServiceRevisionsOutput;
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::list_service_deployments::ListServiceDeploymentsOutput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput;
use aws_sdk_ecs::operation::stop_service_deployment::StopServiceDeploymentOutput;
use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
use aws_sdk_ecs::primitives::DateTime;
use aws_sdk_ecs::types::{
    ContainerDefinition, DeploymentConfiguration, DeploymentStrategy, Service, ServiceDeployment,
    ServiceDeploymentBrief, ServiceDeploymentLifecycleStage as Stage,
    ServiceDeploymentStatus as Status, ServiceRevision, ServiceRevisionSummary,
    StopServiceDeploymentStopType, TaskDefinition, TaskDefinitionStatus,
};
use aws_smithy_mocks::{Rule, mock};
use deployer::deployment::FollowOptions;
use deployer::release::ReleaseRequest;
use deployer::rollback::RollbackRequest;
use deployer::settings::{Component, ServiceTarget};
use deployer::smoke::SmokeSettings;

pub const CLUSTER: &str = "hwdash";
pub const SERVICE: &str = "portal";
pub const REPO: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/hwdash/portal";
pub const OLD_TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/hwdash-portal:7";
pub const NEW_TD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/hwdash-portal:8";
pub const OLD_REVISION: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-revision/hwdash/portal/111";
pub const NEW_REVISION: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-revision/hwdash/portal/222";
pub const DEPLOYMENT: &str =
    "arn:aws:ecs:us-east-1:123456789012:service-deployment/hwdash/portal/new";
pub const BACK: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/hwdash/portal/back";
pub const ALARM: &str = "hwdash-portal-5xx-rate";

pub fn target() -> ServiceTarget {
    ServiceTarget {
        component: Component::Portal,
        cluster: CLUSTER.into(),
        service: SERVICE.into(),
        container: "portal".into(),
        repository_url: Some(REPO.into()),
        alarm_names: vec![ALARM.into()],
        log_group: None,
        test_listener_url: None,
    }
}

pub fn follow(smoke: Option<SmokeSettings>) -> FollowOptions {
    FollowOptions {
        poll_interval: Duration::from_millis(5),
        timeout: Duration::from_secs(20),
        smoke,
        alarm_names: vec![ALARM.into()],
        alarms_since: None,
    }
}

pub fn smoke(url: &str, failures: u32) -> SmokeSettings {
    SmokeSettings {
        url: url.parse().unwrap(),
        timeout: Duration::from_secs(2),
        interval: Duration::ZERO,
        failures_to_rollback: failures,
        passes_to_continue: 1,
    }
}

pub fn release_request(smoke: Option<SmokeSettings>) -> ReleaseRequest {
    ReleaseRequest {
        target: target(),
        image: format!("{REPO}:v2").parse().unwrap(),
        dry_run: false,
        wait: true,
        check_image: true,
        force: false,
        follow: follow(smoke),
    }
}

pub fn service(task_definition: &str) -> Service {
    Service::builder()
        .service_name(SERVICE)
        .status("ACTIVE")
        .task_definition(task_definition)
        .desired_count(2)
        .running_count(2)
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .strategy(DeploymentStrategy::BlueGreen)
                .bake_time_in_minutes(5)
                .build(),
        )
        .build()
}

pub fn task_definition(arn: &str, tag: &str) -> TaskDefinition {
    TaskDefinition::builder()
        .task_definition_arn(arn)
        .family("hwdash-portal")
        .status(TaskDefinitionStatus::Active)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("portal")
                .image(format!("{REPO}:{tag}"))
                .build(),
        )
        .build()
}

pub fn deployment(
    arn: &str,
    status: Status,
    stage: Option<Stage>,
    running: i32,
    traffic: f64,
) -> ServiceDeployment {
    ServiceDeployment::builder()
        .service_deployment_arn(arn)
        .status(status)
        .set_lifecycle_stage(stage)
        .source_service_revisions(ServiceRevisionSummary::builder().arn(OLD_REVISION).build())
        .target_service_revision(
            ServiceRevisionSummary::builder()
                .arn(NEW_REVISION)
                .requested_task_count(2)
                .running_task_count(running)
                .requested_production_traffic_weight(traffic)
                .build(),
        )
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .strategy(DeploymentStrategy::BlueGreen)
                .bake_time_in_minutes(5)
                .build(),
        )
        .build()
}

pub fn described(d: ServiceDeployment) -> DescribeServiceDeploymentsOutput {
    DescribeServiceDeploymentsOutput::builder()
        .service_deployments(d)
        .build()
}

/// The ECS calls every release makes before the deployment starts.
pub struct ReleaseRules {
    pub describe_service: Rule,
    pub describe_task_definition: Rule,
    pub register: Rule,
    pub update: Rule,
    pub image: Rule,
}

impl ReleaseRules {
    /// The ECS answers of a release up to UpdateService, then `more` (what the test is about).
    pub fn ecs_then<'a>(&'a self, more: &[&'a Rule]) -> Vec<&'a Rule> {
        let mut rules = vec![
            &self.describe_service,
            &self.describe_task_definition,
            &self.register,
            &self.update,
        ];
        rules.extend_from_slice(more);
        rules
    }
}

pub fn release_rules() -> ReleaseRules {
    ReleaseRules {
        describe_service: mock!(Ecs::describe_services).then_output(|| {
            DescribeServicesOutput::builder()
                .services(service(OLD_TD))
                .build()
        }),
        // By ARN (the running revision) and by family (the latest ACTIVE one, the same here).
        describe_task_definition: mock!(Ecs::describe_task_definition)
            .match_requests(|r| matches!(r.task_definition(), Some(OLD_TD | "hwdash-portal")))
            .then_output(|| {
                DescribeTaskDefinitionOutput::builder()
                    .task_definition(task_definition(OLD_TD, "v1"))
                    .build()
            }),
        register: mock!(Ecs::register_task_definition)
            .match_requests(|r| {
                r.container_definitions()[0].image() == Some(&format!("{REPO}:v2"))
                    && r.family() == Some("hwdash-portal")
            })
            .then_output(|| {
                RegisterTaskDefinitionOutput::builder()
                    .task_definition(task_definition(NEW_TD, "v2"))
                    .build()
            }),
        update: mock!(Ecs::update_service)
            .match_requests(|r| r.task_definition() == Some(NEW_TD) && r.service() == Some(SERVICE))
            .then_output(|| {
                let mut updated = service(NEW_TD);
                updated.current_service_deployment = Some(DEPLOYMENT.into());
                UpdateServiceOutput::builder().service(updated).build()
            }),
        image: mock!(aws_sdk_ecr::Client::describe_images)
            .match_requests(|r| r.repository_name() == Some("hwdash/portal"))
            .then_output(|| {
                DescribeImagesOutput::builder()
                    .image_details(ImageDetail::builder().image_tags("v2").build())
                    .build()
            }),
    }
}

pub fn alarms(state: StateValue) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(move || {
        let alarm = MetricAlarm::builder()
            .alarm_name(ALARM)
            .state_value(state.clone())
            .build();
        // The deployer asks only for alarms in ALARM, as CloudWatch filters by state.
        if state == StateValue::Alarm {
            DescribeAlarmsOutput::builder().metric_alarms(alarm).build()
        } else {
            DescribeAlarmsOutput::builder().build()
        }
    })
}

pub fn stop_rule(stopped: Arc<AtomicBool>) -> Rule {
    mock!(Ecs::stop_service_deployment)
        .match_requests(|r| {
            r.service_deployment_arn() == Some(DEPLOYMENT)
                && r.stop_type() == Some(&StopServiceDeploymentStopType::Rollback)
        })
        .then_compute_output(move |_| {
            stopped.store(true, Ordering::SeqCst);
            StopServiceDeploymentOutput::builder()
                .service_deployment_arn(DEPLOYMENT)
                .build()
        })
}

/// A deployment that bakes until stopped, then rolls back in two polls.
pub fn baking_until_stopped(stopped: Arc<AtomicBool>) -> Rule {
    let polls_after_stop = Arc::new(AtomicUsize::new(0));
    mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [DEPLOYMENT])
        .then_compute_output(move |_| {
            if !stopped.load(Ordering::SeqCst) {
                return described(deployment(
                    DEPLOYMENT,
                    Status::InProgress,
                    Some(Stage::BakeTime),
                    2,
                    100.0,
                ));
            }
            match polls_after_stop.fetch_add(1, Ordering::SeqCst) {
                0 => described(deployment(
                    DEPLOYMENT,
                    Status::RollbackInProgress,
                    None,
                    2,
                    0.0,
                )),
                _ => described(deployment(
                    DEPLOYMENT,
                    Status::RollbackSuccessful,
                    None,
                    0,
                    0.0,
                )),
            }
        })
}

pub fn briefs(items: &[(&str, &str, i64)]) -> ListServiceDeploymentsOutput {
    let mut output = ListServiceDeploymentsOutput::builder();
    for (arn, revision, created) in items {
        output = output.service_deployments(
            ServiceDeploymentBrief::builder()
                .service_deployment_arn(*arn)
                .target_service_revision_arn(*revision)
                .created_at(DateTime::from_secs(*created))
                .status(Status::Successful)
                .build(),
        );
    }
    output.build()
}

pub fn revisions() -> Rule {
    mock!(Ecs::describe_service_revisions).then_output(|| {
        DescribeServiceRevisionsOutput::builder()
            .service_revisions(
                ServiceRevision::builder()
                    .service_revision_arn(OLD_REVISION)
                    .task_definition(OLD_TD)
                    .build(),
            )
            .service_revisions(
                ServiceRevision::builder()
                    .service_revision_arn(NEW_REVISION)
                    .task_definition(NEW_TD)
                    .build(),
            )
            .build()
    })
}

pub fn rollback_request() -> RollbackRequest {
    let mut options = follow(None);
    options.alarm_names.clear();
    RollbackRequest {
        target: target(),
        to_task_definition: None,
        wait: true,
        follow: options,
    }
}
