//! The dashboard's AWS resources as infra/terraform creates them, built in moto through the SDK:
//! cluster, ECR repository with a pushed image, roles, log group, secret, alarms, target group,
//! autoscaling, the portal task definition and its service.

use aws_sdk_applicationautoscaling::types::{
    CustomizedMetricSpecification, MetricType, PolicyType, PredefinedMetricSpecification,
    ScalableDimension, ServiceNamespace, TargetTrackingMetric, TargetTrackingMetricDataQuery,
    TargetTrackingMetricDimension, TargetTrackingMetricStat,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use aws_sdk_ecr::types::ImageTagMutability;
use aws_sdk_ecs::types::{
    AdvancedConfiguration, ApplicationProtocol, Compatibility, ContainerDefinition,
    CpuArchitecture, DeploymentConfiguration, DeploymentStrategy, HealthCheck, KeyValuePair,
    LaunchType, LoadBalancer, LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping,
    RuntimePlatform, Secret, TransportProtocol,
};
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetTypeEnum};
use deployer::aws::AwsClients;
use deployer::settings::{Component, ServiceTarget};

use super::moto::MotoServer;

// Names as infra/terraform creates them with its default `name = "hwdash"`: services
// (modules/portal-service, hardware-service), task families, roles, log groups
// (modules/ecs-task), repositories (modules/ecr), alarms (modules/alarms), target groups
// (modules/alb), scaling policies (modules/autoscaling), the database secret (modules/database).
// Terraform's `name_prefix` adds a 26-digit suffix; the fixture uses fixed ones.
pub const CLUSTER: &str = "hwdash";
pub const SERVICE: &str = "portal";
pub const FAMILY: &str = "hwdash-portal";
pub const REPOSITORY: &str = "hwdash/portal";
pub const LOG_GROUP: &str = "/hwdash/portal";
pub const HARDWARE_SERVICE: &str = "hardware";
pub const HARDWARE_FAMILY: &str = "hwdash-hardware";
pub const HARDWARE_REPOSITORY: &str = "hwdash/hardware";
pub const HARDWARE_LOG_GROUP: &str = "/hwdash/hardware";
pub const ALARMS: [&str; 5] = [
    "hwdash-portal-blue-5xx-rate",
    "hwdash-portal-green-5xx-rate",
    "hwdash-portal-blue-p99-latency",
    "hwdash-portal-green-p99-latency",
    "hwdash-portal-lb-5xx-rate",
];
pub const ALB_DNS_NAME: &str = "hwdash-1234567890.us-east-1.elb.amazonaws.com";
const SUFFIX: &str = "20261101090000000000000001";
const PORT: i32 = 8080;

pub struct Fixture {
    pub moto: MotoServer,
    pub clients: AwsClients,
    /// `<account>.dkr.ecr.us-east-1.amazonaws.com/hwdash/portal`
    pub repository_url: String,
    pub first_task_definition: String,
    pub target_group_arn: String,
    pub green_target_group_arn: String,
    /// Set by [`Fixture::add_hardware`].
    pub hardware_repository_url: Option<String>,
}

/// One service's task as modules/ecs-task registers it.
struct Task<'a> {
    component: &'static str,
    family: &'a str,
    repository_url: &'a str,
    log_group: &'a str,
    cpu: &'a str,
    memory: &'a str,
    environment: Vec<(&'a str, &'a str)>,
    secrets: Vec<(&'a str, &'a str)>,
}

impl Fixture {
    pub async fn new() -> Self {
        let moto = MotoServer::start();
        let clients = moto.clients().await;
        let vpc = moto.create_vpc().await;

        let repository_url = create_repository(&clients, REPOSITORY).await;
        for tag in ["v1", "v2"] {
            push_image_to(&clients, REPOSITORY, tag).await;
        }
        for alarm in ALARMS {
            clients
                .cloudwatch
                .put_metric_alarm()
                .alarm_name(alarm)
                .namespace("AWS/ApplicationELB")
                .metric_name("HTTPCode_Target_5XX_Count")
                .statistic(Statistic::Sum)
                .period(60)
                .evaluation_periods(3)
                .threshold(1.0)
                .comparison_operator(ComparisonOperator::GreaterThanThreshold)
                .send()
                .await
                .expect("create alarm");
        }

        let mut target_groups = Vec::new();
        for color in ["blue", "green"] {
            let arn = clients
                .elbv2
                .create_target_group()
                .name(format!("hwdash-portal-{color}"))
                .protocol(ProtocolEnum::Http)
                .port(PORT)
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
            target_groups.push(arn);
        }
        let [target_group_arn, green_target_group_arn] =
            <[String; 2]>::try_from(target_groups).expect("two target groups");

        let account = repository_url
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        let blue_green_role = create_role(&clients, format!("hwdash-portal-bg-{SUFFIX}")).await;
        clients
            .ecs
            .create_cluster()
            .cluster_name(CLUSTER)
            .send()
            .await
            .expect("create cluster");
        let first_task_definition = register_task(
            &clients,
            Task {
                component: "portal",
                family: FAMILY,
                repository_url: &repository_url,
                log_group: LOG_GROUP,
                cpu: "512",
                memory: "1024",
                environment: vec![
                    ("PORTAL_BIND", "0.0.0.0:8080"),
                    ("PORTAL_HEALTHCHECK_URL", "http://127.0.0.1:8080/healthz"),
                    ("HARDWARE_URL", "http://hardware.internal:8080"),
                    ("LOG_FORMAT", "json"),
                ],
                secrets: Vec::new(),
            },
        )
        .await;
        clients
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(SERVICE)
            .task_definition(&first_task_definition)
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(&target_group_arn)
                    .container_name("portal")
                    .container_port(PORT)
                    .advanced_configuration(
                        AdvancedConfiguration::builder()
                            .alternate_target_group_arn(&green_target_group_arn)
                            .production_listener_rule(listener_rule(&account, "1111111111111111"))
                            .test_listener_rule(listener_rule(&account, "2222222222222222"))
                            .role_arn(&blue_green_role)
                            .build(),
                    )
                    .build(),
            )
            .deployment_configuration(
                DeploymentConfiguration::builder()
                    .strategy(DeploymentStrategy::BlueGreen)
                    .bake_time_in_minutes(10)
                    .build(),
            )
            .send()
            .await
            .expect("create service");

        let resource = format!("service/{CLUSTER}/{SERVICE}");
        register_scalable_target(&clients, &resource, 2, 20).await;
        // One policy on the sum of both groups' RequestCountPerTarget (production traffic is in
        // blue or green depending on the last release), as modules/autoscaling builds it.
        let mut requests = CustomizedMetricSpecification::builder().metrics(
            TargetTrackingMetricDataQuery::builder()
                .id("requests_per_target")
                .label("RequestCountPerTarget of portal, summed over its target groups")
                .expression("FILL(blue, 0) + FILL(green, 0)")
                .return_data(true)
                .build()
                .expect("expression query"),
        );
        for (color, arn) in [
            ("blue", &target_group_arn),
            ("green", &green_target_group_arn),
        ] {
            let suffix = arn.rsplit_once(":targetgroup/").map_or("", |(_, s)| s);
            let dimension = |name: &str, value: String| {
                TargetTrackingMetricDimension::builder()
                    .name(name)
                    .value(value)
                    .build()
                    .expect("dimension")
            };
            requests = requests.metrics(
                TargetTrackingMetricDataQuery::builder()
                    .id(color)
                    .label(format!("RequestCountPerTarget of the {color} target group"))
                    .return_data(false)
                    .metric_stat(
                        TargetTrackingMetricStat::builder()
                            .stat("Sum")
                            .metric(
                                TargetTrackingMetric::builder()
                                    .namespace("AWS/ApplicationELB")
                                    .metric_name("RequestCountPerTarget")
                                    .dimensions(dimension(
                                        "LoadBalancer",
                                        "app/hwdash/0123456789abcdef".into(),
                                    ))
                                    .dimensions(dimension(
                                        "TargetGroup",
                                        format!("targetgroup/{suffix}"),
                                    ))
                                    .build(),
                            )
                            .build()
                            .expect("metric stat"),
                    )
                    .build()
                    .expect("metric query"),
            );
        }
        put_policy(
            &clients,
            &resource,
            &format!("{SERVICE}-requests-per-target"),
            60000.0,
            Metric::Customized(requests.build()),
        )
        .await;

        Fixture {
            moto,
            clients,
            repository_url,
            first_task_definition,
            target_group_arn,
            green_target_group_arn,
            hardware_repository_url: None,
        }
    }

    /// The hardware service as well (no load balancer, no alarms, the database secret), for
    /// whole-deployment tests.
    pub async fn add_hardware(&mut self) {
        let clients = &self.clients;
        let repository_url = create_repository(clients, HARDWARE_REPOSITORY).await;
        push_image_to(clients, HARDWARE_REPOSITORY, "v1").await;
        let secret_arn = clients
            .secrets
            .create_secret()
            .name(format!("hwdash/hardware/database-url-{SUFFIX}"))
            .secret_string(
                "postgres://hwdash:pw@hwdash.abc.us-east-1.rds.amazonaws.com:5432/hwdash",
            )
            .send()
            .await
            .expect("create secret")
            .arn()
            .expect("secret ARN")
            .to_string();
        let task_definition = register_task(
            clients,
            Task {
                component: "hardware",
                family: HARDWARE_FAMILY,
                repository_url: &repository_url,
                log_group: HARDWARE_LOG_GROUP,
                cpu: "1024",
                memory: "2048",
                environment: vec![("HARDWARE_BIND", "0.0.0.0:8080"), ("LOG_FORMAT", "json")],
                secrets: vec![("DATABASE_URL", &secret_arn)],
            },
        )
        .await;
        clients
            .ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name(HARDWARE_SERVICE)
            .task_definition(task_definition)
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .send()
            .await
            .expect("create service");
        let resource = format!("service/{CLUSTER}/{HARDWARE_SERVICE}");
        register_scalable_target(clients, &resource, 2, 8).await;
        put_policy(
            clients,
            &resource,
            &format!("{HARDWARE_SERVICE}-cpu"),
            60.0,
            Metric::Predefined(
                PredefinedMetricSpecification::builder()
                    .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                    .build()
                    .expect("metric specification"),
            ),
        )
        .await;
        self.hardware_repository_url = Some(repository_url);
    }

    /// What `terraform apply` does when the task's settings change: registers the next revision
    /// of the family (here: the first one with `name=value` added to portal's environment and
    /// the image `tag`) and leaves the service where it is. Returns the new revision's ARN.
    pub async fn terraform_registers_revision(&self, name: &str, value: &str, tag: &str) -> String {
        let (first, tags) =
            deployer::ecs::describe_task_definition(&self.clients, &self.first_task_definition)
                .await
                .expect("describe the first revision");
        let image = format!("{}:{tag}", self.repository_url)
            .parse()
            .expect("image reference");
        let mut input = deployer::task_definition::next_revision(&first, &tags, "portal", &image)
            .expect("next revision");
        for container in input.container_definitions.iter_mut().flatten() {
            container
                .environment
                .get_or_insert_with(Vec::new)
                .push(KeyValuePair::builder().name(name).value(value).build());
        }
        deployer::task_definition::apply(self.clients.ecs.register_task_definition(), input)
            .send()
            .await
            .expect("register the terraform revision")
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .expect("task definition ARN")
            .to_string()
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
            test_listener_url: None,
        }
    }

    /// Set by [`Fixture::add_hardware`].
    pub fn hardware_target(&self) -> ServiceTarget {
        ServiceTarget {
            component: Component::Hardware,
            cluster: CLUSTER.into(),
            service: HARDWARE_SERVICE.into(),
            container: "hardware".into(),
            repository_url: self.hardware_repository_url.clone(),
            alarm_names: Vec::new(),
            log_group: Some(HARDWARE_LOG_GROUP.into()),
            test_listener_url: None,
        }
    }

    /// `terraform output -json` as infra/terraform would print it for this fixture.
    pub fn terraform_outputs_json(&self) -> String {
        let account = self.repository_url.split('.').next().unwrap_or_default();
        serde_json::json!({
            "aws_region": {"value": "us-east-1"},
            "cluster_name": {"value": CLUSTER},
            "portal_service_name": {"value": SERVICE},
            "hardware_service_name": {"value": HARDWARE_SERVICE},
            "portal_ecr_repository_url": {"value": self.repository_url},
            "hardware_ecr_repository_url": {"value": self.hardware_repository_url},
            "alb_dns_name": {"value": ALB_DNS_NAME},
            "portal_url": {"value": format!("http://{ALB_DNS_NAME}")},
            "prod_listener_arn": {"value": listener(account, "1111111111111111")},
            "test_listener_arn": {"value": listener(account, "2222222222222222")},
            "portal_blue_target_group_arn": {"value": self.target_group_arn},
            "portal_green_target_group_arn": {"value": self.green_target_group_arn},
            "portal_log_group_name": {"value": LOG_GROUP},
            "hardware_log_group_name": {"value": HARDWARE_LOG_GROUP},
            "portal_alarm_names": {"value": ALARMS},
            "hardware_url": {"value": "http://hardware.internal:8080"},
        })
        .to_string()
    }
}

fn listener(account: &str, id: &str) -> String {
    format!(
        "arn:aws:elasticloadbalancing:us-east-1:{account}:listener/app/hwdash/0123456789abcdef/{id}"
    )
}

fn listener_rule(account: &str, id: &str) -> String {
    format!(
        "arn:aws:elasticloadbalancing:us-east-1:{account}:listener-rule/app/hwdash/0123456789abcdef/{id}/3333333333333333"
    )
}

async fn create_repository(clients: &AwsClients, name: &str) -> String {
    clients
        .ecr
        .create_repository()
        .repository_name(name)
        .image_tag_mutability(ImageTagMutability::Immutable)
        .send()
        .await
        .expect("create ECR repository")
        .repository()
        .and_then(|r| r.repository_uri())
        .expect("repository URI")
        .to_string()
}

async fn create_role(clients: &AwsClients, name: String) -> String {
    clients
        .iam
        .create_role()
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

/// Log group, execution and task role, and the first revision, as modules/ecs-task makes them.
async fn register_task(clients: &AwsClients, task: Task<'_>) -> String {
    let component = task.component;
    let execution_role = create_role(clients, format!("hwdash-{component}-exec-{SUFFIX}")).await;
    let task_role = create_role(clients, format!("hwdash-{component}-task-{SUFFIX}")).await;
    clients
        .logs
        .create_log_group()
        .log_group_name(task.log_group)
        .send()
        .await
        .expect("create log group");
    let mut container = ContainerDefinition::builder()
        .name(component)
        .image(format!("{}:v1", task.repository_url))
        .essential(true)
        .user("10001:10001")
        .readonly_root_filesystem(true)
        .port_mappings(
            PortMapping::builder()
                .name("http")
                .container_port(PORT)
                .protocol(TransportProtocol::Tcp)
                .app_protocol(ApplicationProtocol::Http)
                .build(),
        )
        .health_check(
            HealthCheck::builder()
                .command("CMD")
                .command(format!("/usr/local/bin/{component}"))
                .command("healthcheck")
                .interval(10)
                .timeout(5)
                .retries(3)
                .start_period(15)
                .build()
                .expect("health check"),
        )
        .stop_timeout(30)
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", task.log_group)
                .options("awslogs-region", "us-east-1")
                .options("awslogs-stream-prefix", component)
                .build()
                .expect("log configuration"),
        );
    for (name, value) in task.environment {
        container = container.environment(KeyValuePair::builder().name(name).value(value).build());
    }
    for (name, arn) in task.secrets {
        container = container.secrets(
            Secret::builder()
                .name(name)
                .value_from(arn)
                .build()
                .expect("secret"),
        );
    }
    clients
        .ecs
        .register_task_definition()
        .family(task.family)
        .execution_role_arn(&execution_role)
        .task_role_arn(&task_role)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu(task.cpu)
        .memory(task.memory)
        .runtime_platform(
            RuntimePlatform::builder()
                .operating_system_family(OsFamily::Linux)
                .cpu_architecture(CpuArchitecture::X8664)
                .build(),
        )
        .container_definitions(container.build())
        .send()
        .await
        .expect("register task definition")
        .task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("task definition ARN")
        .to_string()
}

async fn register_scalable_target(clients: &AwsClients, resource: &str, min: i32, max: i32) {
    clients
        .autoscaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .expect("register scalable target");
}

enum Metric {
    Predefined(PredefinedMetricSpecification),
    Customized(CustomizedMetricSpecification),
}

async fn put_policy(clients: &AwsClients, resource: &str, name: &str, target: f64, metric: Metric) {
    let configuration = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(target)
        .scale_in_cooldown(300)
        .scale_out_cooldown(60);
    let configuration = match metric {
        Metric::Predefined(m) => configuration.predefined_metric_specification(m),
        Metric::Customized(m) => configuration.customized_metric_specification(m),
    };
    clients
        .autoscaling
        .put_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            configuration
                .build()
                .expect("target tracking configuration"),
        )
        .send()
        .await
        .expect("put scaling policy");
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
