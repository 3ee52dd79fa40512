//! Reads of ECS state that several commands share.

use aws_sdk_ecs::types::{DesiredStatus, Service, Tag, Task, TaskDefinition, TaskDefinitionField};

use crate::aws::AwsClients;
use crate::error::{DeployError, error_code};
use crate::settings::ServiceTarget;

/// The service, or a ServiceNotFound error naming the cluster.
pub async fn describe_service(
    clients: &AwsClients,
    cluster: &str,
    service: &str,
) -> Result<Service, DeployError> {
    let output = clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(|e| match error_code(&e) {
            Some("ClusterNotFoundException") => DeployError::ClusterNotFound {
                cluster: cluster.to_string(),
            },
            _ => DeployError::aws_hint(
                format!("describing ECS service {service} in cluster {cluster}"),
                &e,
                "check the cluster name and your AWS credentials",
            ),
        })?;
    output
        .services()
        .iter()
        .find(|s| s.status() != Some("INACTIVE"))
        .cloned()
        .ok_or_else(|| DeployError::ServiceNotFound {
            cluster: cluster.to_string(),
            service: service.to_string(),
        })
}

/// The task definition (with its tags, which a new revision keeps).
pub async fn describe_task_definition(
    clients: &AwsClients,
    task_definition: &str,
) -> Result<(TaskDefinition, Vec<Tag>), DeployError> {
    let output = clients
        .ecs
        .describe_task_definition()
        .task_definition(task_definition)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws(format!("describing task definition {task_definition}"), &e)
        })?;
    let found = output.task_definition().cloned().ok_or_else(|| {
        DeployError::Unexpected(format!(
            "ECS returned no task definition for {task_definition}"
        ))
    })?;
    Ok((found, output.tags().to_vec()))
}

/// The task definition a service runs now.
pub fn current_task_definition(service: &Service) -> Result<&str, DeployError> {
    service.task_definition().ok_or_else(|| {
        DeployError::Unexpected(format!(
            "ECS service {} has no task definition",
            service.service_name().unwrap_or("?")
        ))
    })
}

/// The latest ACTIVE revision of a task definition family (DescribeTaskDefinition with the bare
/// family name), with its tags. `terraform apply` registers a revision there whenever the task's
/// environment, secrets, CPU or memory change, without moving the service to it.
pub async fn latest_active_revision(
    clients: &AwsClients,
    family: &str,
) -> Result<(TaskDefinition, Vec<Tag>), DeployError> {
    describe_task_definition(clients, family).await
}

/// The service's tasks whose desired status is `status` (ListTasks, then DescribeTasks); errors
/// name the status ("listing stopped tasks").
pub async fn service_tasks(
    clients: &AwsClients,
    target: &ServiceTarget,
    status: DesiredStatus,
) -> Result<Vec<Task>, DeployError> {
    let which = status.as_str().to_lowercase();
    let listed = clients
        .ecs
        .list_tasks()
        .cluster(&target.cluster)
        .service_name(&target.service)
        .desired_status(status)
        .send()
        .await
        .map_err(|e| DeployError::aws(format!("listing {which} tasks"), &e))?;
    if listed.task_arns().is_empty() {
        return Ok(Vec::new());
    }
    let described = clients
        .ecs
        .describe_tasks()
        .cluster(&target.cluster)
        .set_tasks(Some(listed.task_arns().to_vec()))
        .send()
        .await
        .map_err(|e| DeployError::aws(format!("describing {which} tasks"), &e))?;
    Ok(described.tasks().to_vec())
}

/// The revision a release starts from: the running one, or the family's latest ACTIVE revision
/// when that is newer (registered by `terraform apply`).
pub struct BaseRevision {
    /// What the service runs now.
    pub current: String,
    /// The running revision itself.
    pub running: TaskDefinition,
    /// The newer revision's ARN, when there is one.
    pub newer: Option<String>,
    /// The revision to start from (the newer one, else the running one), with its tags.
    pub definition: TaskDefinition,
    pub tags: Vec<Tag>,
}

impl BaseRevision {
    pub async fn read(clients: &AwsClients, service: &Service) -> Result<Self, DeployError> {
        let current = current_task_definition(service)?.to_string();
        let (running, running_tags) = describe_task_definition(clients, &current).await?;
        let newer = match running.family() {
            Some(family) => {
                let (latest, tags) = latest_active_revision(clients, family).await?;
                (latest.revision() > running.revision()).then_some((latest, tags))
            }
            None => None,
        };
        let newer_arn = newer
            .as_ref()
            .and_then(|(latest, _)| latest.task_definition_arn())
            .map(str::to_string);
        let (definition, tags) = newer.unwrap_or((running.clone(), running_tags));
        Ok(Self {
            current,
            running,
            newer: newer_arn,
            definition,
            tags,
        })
    }
}
