//! The dashboard's AWS resources as infra/terraform creates them, built in moto through the SDK:
//! cluster, ECR repository with a pushed image, roles, log group, secret, alarms, target group,
//! autoscaling, the portal task definition and its service.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, KeyValuePair, LoadBalancer, LogConfiguration, LogDriver,
    NetworkMode, PortMapping, Secret,
};
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetTypeEnum};
use deployer::aws::AwsClients;
use deployer::settings::{Component, ServiceTarget};

use super::moto::MotoServer;

pub const CLUSTER: &str = "hwdash";
pub const SERVICE: &str = "hwdash-portal";
pub const FAMILY: &str = "hwdash-portal";
pub const LOG_GROUP: &str = "/ecs/hwdash/portal";
pub const HARDWARE_SERVICE: &str = "hwdash-hardware";
pub const HARDWARE_LOG_GROUP: &str = "/ecs/hwdash/hardware";
pub const ALARMS: [&str; 2] = ["hwdash-portal-5xx", "hwdash-portal-p99"];

pub struct Fixture {
    pub moto: MotoServer,
    pub clients: AwsClients,
    /// `<account>.dkr.ecr.us-east-1.amazonaws.com/hwdash-portal`
    pub repository_url: String,
    pub first_task_definition: String,
    pub target_group_arn: String,
    pub execution_role: String,
    /// Set by [`Fixture::add_hardware`].
    pub hardware_repository_url: Option<String>,
}

impl Fixture {
    pub async fn new() -> Self {
        let moto = MotoServer::start();
        let clients = moto.clients().await;
        let vpc = moto.create_vpc().await;

        let repository_url = clients
            .ecr
            .create_repository()
            .repository_name("hwdash-portal")
            .send()
            .await
            .expect("create ECR repository")
            .repository()
            .and_then(|r| r.repository_uri())
            .expect("repository URI")
            .to_string();
        for tag in ["v1", "v2"] {
            push_image(&clients, tag).await;
        }

        let role_arn = |name: &'static str| {
            let iam = clients.iam.clone();
            async move {
                iam.create_role()
                    .role_name(name)
                    .assume_role_policy_document(
                        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
                    )
                    .send()
                    .await
                    .expect("create IAM role")
                    .role()
                    .map(|r| r.arn().to_string())
                    .expect("role ARN")
            }
        };
        let execution_role = role_arn("hwdash-portal-execution").await;
        let task_role = role_arn("hwdash-portal-task").await;
        clients
            .logs
            .create_log_group()
            .log_group_name(LOG_GROUP)
            .send()
            .await
            .expect("create log group");
        let secret_arn = clients
            .secrets
            .create_secret()
            .name("hwdash/database")
            .secret_string("postgres://user:pw@db:5432/hwdash")
            .send()
            .await
            .expect("create secret")
            .arn()
            .expect("secret ARN")
            .to_string();
        for alarm in ALARMS {
            clients
                .cloudwatch
                .put_metric_alarm()
                .alarm_name(alarm)
                .namespace("AWS/ApplicationELB")
                .metric_name("HTTPCode_Target_5XX_Count")
                .statistic(Statistic::Sum)
                .period(60)
                .evaluation_periods(1)
                .threshold(10.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .send()
                .await
                .expect("create alarm");
        }

        let target_group_arn = clients
            .elbv2
            .create_target_group()
            .name("hwdash-portal-blue")
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .vpc_id(&vpc)
            .target_type(TargetTypeEnum::Ip)
            .send()
            .await
            .expect("create target group")
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .expect("target group ARN")
            .to_string();

        clients
            .ecs
            .create_cluster()
            .cluster_name(CLUSTER)
            .send()
            .await
            .expect("create cluster");
        let container = ContainerDefinition::builder()
            .name("portal")
            .image(format!("{repository_url}:v1"))
            .memory(512)
            .essential(true)
            .port_mappings(PortMapping::builder().container_port(8080).build())
            .environment(
                KeyValuePair::builder()
                    .name("PORTAL_BIND")
                    .value("0.0.0.0:8080")
                    .build(),
            )
            .secrets(
                Secret::builder()
                    .name("DATABASE_URL")
                    .value_from(&secret_arn)
                    .build()
                    .expect("secret"),
            )
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", LOG_GROUP)
                    .options("awslogs-region", "us-east-1")
                    .options("awslogs-stream-prefix", "portal")
                    .build()
                    .expect("log configuration"),
            )
            .build();
        let first_task_definition = clients
            .ecs
            .register_task_definition()
            .family(FAMILY)
            .execution_role_arn(&execution_role)
            .task_role_arn(&task_role)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(container)
            .send()
            .await
            .expect("register task definition")
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .expect("task definition ARN")
            .to_string();
        clients
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(SERVICE)
            .task_definition(&first_task_definition)
            .desired_count(2)
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(&target_group_arn)
                    .container_name("portal")
                    .container_port(8080)
                    .build(),
            )
            .send()
            .await
            .expect("create service");

        let resource = format!("service/{CLUSTER}/{SERVICE}");
        clients
            .autoscaling
            .register_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .min_capacity(2)
            .max_capacity(10)
            .send()
            .await
            .expect("register scalable target");
        clients
            .autoscaling
            .put_scaling_policy()
            .policy_name("portal-requests-per-target")
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id(&resource)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(1000.0)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(MetricType::AlbRequestCountPerTarget)
                            .resource_label("app/hwdash/0123456789abcdef/targetgroup/hwdash-portal-blue/0123456789abcdef")
                            .build()
                            .expect("metric specification"),
                    )
                    .build()
                    .expect("target tracking configuration"),
            )
            .send()
            .await
            .expect("put scaling policy");

        Fixture {
            moto,
            clients,
            repository_url,
            first_task_definition,
            target_group_arn,
            execution_role,
            hardware_repository_url: None,
        }
    }

    /// The hardware service as well (no load balancer, no alarms), for whole-deployment tests.
    pub async fn add_hardware(&mut self) {
        let clients = &self.clients;
        let repository_url = clients
            .ecr
            .create_repository()
            .repository_name("hwdash-hardware")
            .send()
            .await
            .expect("create ECR repository")
            .repository()
            .and_then(|r| r.repository_uri())
            .expect("repository URI")
            .to_string();
        push_image_to(clients, "hwdash-hardware", "v1").await;
        clients
            .logs
            .create_log_group()
            .log_group_name(HARDWARE_LOG_GROUP)
            .send()
            .await
            .expect("create log group");
        let container = ContainerDefinition::builder()
            .name("hardware")
            .image(format!("{repository_url}:v1"))
            .memory(512)
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", HARDWARE_LOG_GROUP)
                    .build()
                    .expect("log configuration"),
            )
            .build();
        let task_definition = clients
            .ecs
            .register_task_definition()
            .family("hwdash-hardware")
            .execution_role_arn(&self.execution_role)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("512")
            .memory("1024")
            .container_definitions(container)
            .send()
            .await
            .expect("register task definition")
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .expect("task definition ARN")
            .to_string();
        clients
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(HARDWARE_SERVICE)
            .task_definition(task_definition)
            .desired_count(2)
            .send()
            .await
            .expect("create service");
        self.hardware_repository_url = Some(repository_url);
    }

    pub fn target(&self) -> ServiceTarget {
        ServiceTarget {
            component: Component::Portal,
            cluster: CLUSTER.into(),
            service: SERVICE.into(),
            container: "portal".into(),
            repository_url: Some(self.repository_url.clone()),
            alarm_names: ALARMS.iter().map(|a| a.to_string()).collect(),
            log_group: Some(LOG_GROUP.into()),
        }
    }

    /// `terraform output -json` as infra/terraform would print it for this fixture.
    pub fn terraform_outputs_json(&self) -> String {
        serde_json::json!({
            "aws_region": {"value": "us-east-1"},
            "cluster_name": {"value": CLUSTER},
            "portal_service_name": {"value": SERVICE},
            "hardware_service_name": {"value": HARDWARE_SERVICE},
            "hardware_ecr_repository_url": {"value": self.hardware_repository_url},
            "hardware_log_group_name": {"value": HARDWARE_LOG_GROUP},
            "portal_ecr_repository_url": {"value": self.repository_url},
            "portal_log_group_name": {"value": LOG_GROUP},
            "portal_alarm_names": {"value": ALARMS},
        })
        .to_string()
    }
}

async fn push_image(clients: &AwsClients, tag: &str) {
    push_image_to(clients, "hwdash-portal", tag).await;
}

/// "Pushes" an image: moto stores a manifest under the tag.
async fn push_image_to(clients: &AwsClients, repository: &str, tag: &str) {
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                   "digest": format!("sha256:{:0>64}", tag.len())},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                    "digest": format!("sha256:{:a>64}", tag)}]
    });
    clients
        .ecr
        .put_image()
        .repository_name(repository)
        .image_manifest(manifest.to_string())
        .image_tag(tag)
        .send()
        .await
        .expect("put image");
}
