//! `deployer status`: what each service runs and how it is doing - tasks, revision, deployment,
//! target health, scaling and load. Each section is read on its own; one that cannot be read says
//! why instead of hiding the others.

use std::fmt;
use std::time::{Duration, SystemTime};

use aws_sdk_applicationautoscaling::types::{
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::aws::AwsClients;
use crate::deployment;
use crate::ecs::{current_task_definition, describe_service, describe_task_definition};
use crate::error::{DeployError, sdk_reason};
use crate::settings::ServiceTarget;
use crate::task_definition::{container_image, short_name};

/// A section of the report: its value, or why it could not be read.
pub type Section<T> = Result<T, String>;

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceStatus {
    pub service: String,
    pub cluster: String,
    pub running: i32,
    pub desired: i32,
    pub pending: i32,
    pub task_definition: String,
    pub image: Section<String>,
    pub strategy: String,
    /// The service's current service deployment: status, stage, ARN.
    pub deployment: Section<Option<String>>,
    pub target_groups: Vec<TargetGroupHealth>,
    pub scaling: Section<Vec<String>>,
    /// Sum of RequestCountPerTarget over the newest minute with data.
    pub requests_per_target: Section<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroupHealth {
    pub name: String,
    /// "production" (the service's target group) or "alternate" (blue/green's other half).
    pub role: &'static str,
    pub health: Section<HealthCounts>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCounts {
    pub healthy: usize,
    pub unhealthy: usize,
    /// initial, draining, unused, unavailable
    pub other: usize,
}

pub async fn status(
    clients: &AwsClients,
    target: &ServiceTarget,
) -> Result<ServiceStatus, DeployError> {
    let service = describe_service(clients, &target.cluster, &target.service).await?;
    let task_definition = current_task_definition(&service)?.to_string();
    let image = match describe_task_definition(clients, &task_definition).await {
        Ok((definition, _)) => container_image(&definition, &target.container)
            .map(str::to_string)
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let deployment = match service.current_service_deployment() {
        None => Ok(None),
        Some(arn) => match deployment::describe(clients, arn).await {
            Ok(d) => Ok(Some(format!(
                "{}{} ({})",
                d.status().map_or("UNKNOWN", |s| s.as_str()),
                d.lifecycle_stage()
                    .map(|s| format!(" / {}", s.as_str()))
                    .unwrap_or_default(),
                deployment::short_deployment(arn)
            ))),
            Err(e) => Err(e.to_string()),
        },
    };

    let mut target_groups = Vec::new();
    for balancer in service.load_balancers() {
        if let Some(arn) = balancer.target_group_arn() {
            target_groups.push(target_group_health(clients, arn, "production").await);
        }
        if let Some(arn) = balancer
            .advanced_configuration()
            .and_then(|a| a.alternate_target_group_arn())
        {
            target_groups.push(target_group_health(clients, arn, "alternate").await);
        }
    }
    let production_group = service
        .load_balancers()
        .iter()
        .find_map(|b| b.target_group_arn())
        .map(str::to_string);
    let requests_per_target = match production_group {
        Some(arn) => requests_per_target(clients, &arn).await,
        None => Ok(None),
    };

    Ok(ServiceStatus {
        service: target.service.clone(),
        cluster: target.cluster.clone(),
        running: service.running_count(),
        desired: service.desired_count(),
        pending: service.pending_count(),
        task_definition,
        image,
        strategy: service
            .deployment_configuration()
            .and_then(|c| c.strategy())
            .map_or("ROLLING", |s| s.as_str())
            .to_string(),
        deployment,
        target_groups,
        scaling: scaling(clients, &target.cluster, &target.service).await,
        requests_per_target,
    })
}

/// `name` from `arn:...:targetgroup/name/id`.
fn target_group_name(arn: &str) -> &str {
    arn.split('/').nth(1).unwrap_or(arn)
}

async fn target_group_health(
    clients: &AwsClients,
    arn: &str,
    role: &'static str,
) -> TargetGroupHealth {
    let health = clients
        .elbv2
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(|e| format!("DescribeTargetHealth: {}", sdk_reason(&e)))
        .map(|output| {
            let mut counts = HealthCounts::default();
            for description in output.target_health_descriptions() {
                match description.target_health().and_then(|h| h.state()) {
                    Some(TargetHealthStateEnum::Healthy) => counts.healthy += 1,
                    Some(TargetHealthStateEnum::Unhealthy) => counts.unhealthy += 1,
                    _ => counts.other += 1,
                }
            }
            counts
        });
    TargetGroupHealth {
        name: target_group_name(arn).to_string(),
        role,
        health,
    }
}

async fn scaling(clients: &AwsClients, cluster: &str, service: &str) -> Section<Vec<String>> {
    let resource = format!("service/{cluster}/{service}");
    let targets = clients
        .autoscaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(&resource)
        .send()
        .await
        .map_err(|e| format!("DescribeScalableTargets: {}", sdk_reason(&e)))?;
    let policies = clients
        .autoscaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&resource)
        .send()
        .await
        .map_err(|e| format!("DescribeScalingPolicies: {}", sdk_reason(&e)))?;
    let mut lines: Vec<String> = targets
        .scalable_targets()
        .iter()
        .map(|t| format!("{} to {} tasks", t.min_capacity(), t.max_capacity()))
        .collect();
    for policy in policies.scaling_policies() {
        let detail = match policy.target_tracking_scaling_policy_configuration() {
            Some(tracking) => format!(
                "target tracking {} = {}",
                tracked_metric(tracking),
                tracking.target_value()
            ),
            None => policy.policy_type().as_str().to_string(),
        };
        lines.push(format!("policy {}: {detail}", policy.policy_name()));
    }
    Ok(lines)
}

/// What a target tracking policy holds at its target: a predefined metric type, a custom
/// metric's name, or a metric math expression with the metrics it combines
/// (`RequestCountPerTarget: FILL(blue, 0) + FILL(green, 0)`).
fn tracked_metric(tracking: &TargetTrackingScalingPolicyConfiguration) -> String {
    if let Some(predefined) = tracking.predefined_metric_specification() {
        return predefined.predefined_metric_type().as_str().to_string();
    }
    let Some(custom) = tracking.customized_metric_specification() else {
        return "custom metric".into();
    };
    if let Some(name) = custom.metric_name() {
        return name.to_string();
    }
    let mut names: Vec<&str> = custom
        .metrics()
        .iter()
        .filter_map(|q| q.metric_stat()?.metric()?.metric_name())
        .collect();
    names.dedup();
    let expression = custom
        .metrics()
        .iter()
        .find(|q| q.return_data() == Some(true))
        .and_then(|q| q.expression());
    match (names.is_empty(), expression) {
        (false, Some(expression)) => format!("{}: {expression}", names.join(", ")),
        (false, None) => names.join(", "),
        (true, Some(expression)) => expression.to_string(),
        (true, None) => "custom metric".into(),
    }
}

async fn requests_per_target(clients: &AwsClients, target_group_arn: &str) -> Section<Option<f64>> {
    // CloudWatch names a target group by the ARN's resource part: targetgroup/<name>/<id>.
    let dimension = target_group_arn
        .split_once(":targetgroup/")
        .map(|(_, rest)| format!("targetgroup/{rest}"))
        .ok_or_else(|| format!("{target_group_arn} is not a target group ARN"))?;
    let now = SystemTime::now();
    let output = clients
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/ApplicationELB")
        .metric_name("RequestCountPerTarget")
        .dimensions(
            Dimension::builder()
                .name("TargetGroup")
                .value(dimension)
                .build(),
        )
        .start_time(DateTime::from(now - Duration::from_secs(300)))
        .end_time(DateTime::from(now))
        .period(60)
        .statistics(Statistic::Sum)
        .send()
        .await
        .map_err(|e| format!("GetMetricStatistics: {}", sdk_reason(&e)))?;
    Ok(output
        .datapoints()
        .iter()
        .filter(|p| p.timestamp().is_some())
        .max_by_key(|p| p.timestamp().map(|t| t.secs()))
        .and_then(|p| p.sum()))
}

fn section<T>(
    f: &mut fmt::Formatter<'_>,
    label: &str,
    value: &Section<T>,
    show: impl Fn(&T) -> String,
) -> fmt::Result {
    match value {
        Ok(v) => writeln!(f, "  {label:<20}{}", show(v)),
        Err(why) => writeln!(f, "  {label:<20}unavailable: {why}"),
    }
}

impl fmt::Display for ServiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (cluster {})", self.service, self.cluster)?;
        writeln!(
            f,
            "  {:<20}{} running / {} desired ({} pending)",
            "tasks", self.running, self.desired, self.pending
        )?;
        writeln!(
            f,
            "  {:<20}{}",
            "task definition",
            short_name(&self.task_definition)
        )?;
        section(f, "image", &self.image, String::clone)?;
        writeln!(f, "  {:<20}{}", "strategy", self.strategy)?;
        section(f, "deployment", &self.deployment, |d| {
            d.clone().unwrap_or_else(|| "none reported by ECS".into())
        })?;
        if self.target_groups.is_empty() {
            writeln!(f, "  {:<20}no load balancer", "targets")?;
        }
        for group in &self.target_groups {
            let label = format!("targets {}", group.role);
            section(f, &label, &group.health, |h| {
                format!(
                    "{}: {} healthy, {} unhealthy, {} other",
                    group.name, h.healthy, h.unhealthy, h.other
                )
            })?;
        }
        section(f, "scaling", &self.scaling, |lines| {
            if lines.is_empty() {
                "no scalable target".into()
            } else {
                lines.join("; ")
            }
        })?;
        section(
            f,
            "requests/target",
            &self.requests_per_target,
            |r| match r {
                Some(sum) => format!("{sum:.0} in the newest minute"),
                None => "no data in the last 5 minutes".into(),
            },
        )
    }
}
