//! `deployer verify`: pre-flight checks before a release. Each check is independent and named,
//! so one run lists every problem (missing image, role, log group, secret, alarm) at once.

use std::fmt;

use aws_sdk_ecs::types::ContainerDefinition;

use crate::aws::AwsClients;
use crate::ecr::ensure_image_exists;
use crate::ecs::{current_task_definition, describe_service, describe_task_definition};
use crate::error::{error_code, sdk_reason};
use crate::image::ImageRef;
use crate::settings::ServiceTarget;
use crate::task_definition::short_name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    /// `Ok(detail)` or `Err(what is wrong and what to do)`.
    pub result: Result<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub service: String,
    pub checks: Vec<Check>,
}

impl VerifyReport {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.result.is_ok())
    }

    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.result.is_err())
    }

    fn push(&mut self, name: impl Into<String>, result: Result<String, String>) {
        self.checks.push(Check {
            name: name.into(),
            result,
        });
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.service)?;
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for check in &self.checks {
            match &check.result {
                Ok(detail) => writeln!(f, "  ok    {:<width$}  {detail}", check.name)?,
                Err(problem) => writeln!(f, "  FAIL  {:<width$}  {problem}", check.name)?,
            }
        }
        Ok(())
    }
}

/// Runs every check for one service; `image` is the image about to be released (default: the
/// image the service runs now).
pub async fn verify(
    clients: &AwsClients,
    target: &ServiceTarget,
    image: Option<&ImageRef>,
) -> VerifyReport {
    let mut report = VerifyReport {
        service: format!("{} (cluster {})", target.service, target.cluster),
        checks: Vec::new(),
    };
    let service = match describe_service(clients, &target.cluster, &target.service).await {
        Ok(service) => service,
        Err(e) => {
            report.push("ECS service", Err(e.to_string()));
            return report;
        }
    };
    let current = match current_task_definition(&service) {
        Ok(current) => current.to_string(),
        Err(e) => {
            report.push("ECS service", Err(e.to_string()));
            return report;
        }
    };
    report.push("ECS service", Ok(format!("runs {}", short_name(&current))));
    let definition = match describe_task_definition(clients, &current).await {
        Ok((definition, _)) => definition,
        Err(e) => {
            report.push("task definition", Err(e.to_string()));
            return report;
        }
    };
    let container = definition
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(target.container.as_str()));
    let Some(container) = container else {
        report.push(
            "container",
            Err(format!(
                "container {} not found in {}: pass --container",
                target.container,
                short_name(&current)
            )),
        );
        return report;
    };
    report.push("container", Ok(target.container.clone()));

    check_image(clients, &mut report, image, container).await;
    for (label, arn) in [
        ("execution role", definition.execution_role_arn()),
        ("task role", definition.task_role_arn()),
    ] {
        if let Some(arn) = arn {
            report.push(label, check_role(clients, arn).await);
        }
    }
    let log_group = container
        .log_configuration()
        .and_then(|l| l.options())
        .and_then(|o| o.get("awslogs-group"))
        .cloned()
        .or_else(|| target.log_group.clone());
    match log_group {
        Some(group) => report.push("log group", check_log_group(clients, &group).await),
        None => report.push(
            "log group",
            Err("the container has no awslogs log group: its logs would be lost".into()),
        ),
    }
    for secret in container.secrets() {
        let label = format!("secret {}", secret.name());
        report.push(label, check_secret(clients, secret.value_from()).await);
    }
    for alarm in &target.alarm_names {
        report.push(format!("alarm {alarm}"), check_alarm(clients, alarm).await);
    }
    report
}

async fn check_image(
    clients: &AwsClients,
    report: &mut VerifyReport,
    image: Option<&ImageRef>,
    container: &ContainerDefinition,
) {
    let parsed;
    let image = match image {
        Some(image) => image,
        None => match container.image().unwrap_or_default().parse::<ImageRef>() {
            Ok(current) => {
                parsed = current;
                &parsed
            }
            Err(e) => {
                report.push("image", Err(format!("the running image is unusable: {e}")));
                return;
            }
        },
    };
    let result = match image.ecr() {
        None => Ok(format!("{image} (not in ECR: not checked)")),
        Some(ecr) => ensure_image_exists(clients, image, &ecr)
            .await
            .map(|()| image.short_name())
            .map_err(|e| e.to_string()),
    };
    report.push("image", result);
}

async fn check_role(clients: &AwsClients, arn: &str) -> Result<String, String> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    match clients.iam.get_role().role_name(name).send().await {
        Ok(_) => Ok(name.to_string()),
        Err(e) if error_code(&e) == Some("NoSuchEntity") => Err(format!(
            "IAM role {name} not found: apply infra/terraform, which creates it"
        )),
        Err(e) => Err(format!("reading IAM role {name}: {}", sdk_reason(&e))),
    }
}

async fn check_log_group(clients: &AwsClients, group: &str) -> Result<String, String> {
    let output = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .map_err(|e| format!("reading log group {group}: {}", sdk_reason(&e)))?;
    if output
        .log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(group))
    {
        Ok(group.to_string())
    } else {
        Err(format!(
            "CloudWatch log group {group} not found: tasks would fail to start; apply infra/terraform"
        ))
    }
}

/// `valueFrom` is a Secrets Manager ARN (maybe with `:json-key:version-stage:version-id`
/// appended) or an SSM parameter; only the former is checked.
async fn check_secret(clients: &AwsClients, value_from: &str) -> Result<String, String> {
    if !value_from.contains(":secretsmanager:") {
        return Ok(format!(
            "{value_from} (not in Secrets Manager: not checked)"
        ));
    }
    let secret_id: String = value_from.split(':').take(7).collect::<Vec<_>>().join(":");
    match clients
        .secrets
        .describe_secret()
        .secret_id(&secret_id)
        .send()
        .await
    {
        Ok(output) if output.deleted_date().is_some() => Err(format!(
            "secret {secret_id} is scheduled for deletion: restore it or point the task at another"
        )),
        Ok(output) => Ok(output.name().unwrap_or(&secret_id).to_string()),
        Err(e) if error_code(&e) == Some("ResourceNotFoundException") => Err(format!(
            "secret {secret_id} not found in Secrets Manager: apply infra/terraform"
        )),
        Err(e) => Err(format!("reading secret {secret_id}: {}", sdk_reason(&e))),
    }
}

async fn check_alarm(clients: &AwsClients, alarm: &str) -> Result<String, String> {
    let output = clients
        .cloudwatch
        .describe_alarms()
        .alarm_names(alarm)
        .send()
        .await
        .map_err(|e| format!("reading alarm {alarm}: {}", sdk_reason(&e)))?;
    match output.metric_alarms().first() {
        Some(found) => Ok(found
            .state_value()
            .map_or("state unknown".to_string(), |s| {
                format!("state {}", s.as_str())
            })),
        None => Err(format!(
            "CloudWatch alarm {alarm} not found: a release could not roll back on it; apply infra/terraform"
        )),
    }
}
