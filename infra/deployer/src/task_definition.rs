//! The next task definition revision of a release: a copy of the revision the release starts
//! from (the service's current one, or the newer one Terraform registered) with only the image
//! of one container changed. Copying field by field (rather than asking for the
//! JSON and editing it) keeps everything ECS added to the revision - roles, secrets, log
//! configuration, CPU and memory - exactly as infra/terraform registered it.

use aws_sdk_ecs::operation::register_task_definition::{
    RegisterTaskDefinitionInput, builders::RegisterTaskDefinitionFluentBuilder,
};
use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinition};

use crate::error::DeployError;
use crate::image::ImageRef;

/// `family:revision` from a task definition ARN or name, for messages.
pub fn short_name(task_definition: &str) -> &str {
    task_definition
        .rsplit_once(":task-definition/")
        .map_or(task_definition, |(_, rest)| rest)
}

/// The image the named container runs in `task_definition`.
pub fn container_image<'a>(
    task_definition: &'a TaskDefinition,
    container: &str,
) -> Result<&'a str, DeployError> {
    find_container(
        task_definition.container_definitions(),
        container,
        task_definition,
    )
    .map(|c| c.image().unwrap_or_default())
}

fn find_container<'a>(
    containers: &'a [ContainerDefinition],
    container: &str,
    task_definition: &TaskDefinition,
) -> Result<&'a ContainerDefinition, DeployError> {
    containers
        .iter()
        .find(|c| c.name() == Some(container))
        .ok_or_else(|| DeployError::ContainerNotFound {
            container: container.to_string(),
            task_definition: short_name(task_definition.task_definition_arn().unwrap_or("?"))
                .to_string(),
            available: containers
                .iter()
                .filter_map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The registration input for the next revision: `current` with `container` running `image`.
pub fn next_revision(
    current: &TaskDefinition,
    tags: &[Tag],
    container: &str,
    image: &ImageRef,
) -> Result<RegisterTaskDefinitionInput, DeployError> {
    // Fail with the container list before copying anything.
    find_container(current.container_definitions(), container, current)?;
    let containers = current
        .container_definitions()
        .iter()
        .map(|c| {
            if c.name() == Some(container) {
                let mut changed = c.clone();
                changed.image = Some(image.to_string());
                changed
            } else {
                c.clone()
            }
        })
        .collect();
    RegisterTaskDefinitionInput::builder()
        .set_family(current.family().map(str::to_string))
        .set_task_role_arn(current.task_role_arn().map(str::to_string))
        .set_execution_role_arn(current.execution_role_arn().map(str::to_string))
        .set_network_mode(current.network_mode().cloned())
        .set_container_definitions(Some(containers))
        .set_volumes(non_empty(current.volumes().to_vec()))
        .set_placement_constraints(non_empty(current.placement_constraints().to_vec()))
        .set_requires_compatibilities(non_empty(current.requires_compatibilities().to_vec()))
        .set_cpu(current.cpu().map(str::to_string))
        .set_memory(current.memory().map(str::to_string))
        // The deployer's own tags (who released, rolled back) describe one revision, not its copy.
        .set_tags(non_empty(
            tags.iter()
                .filter(|t| {
                    !t.key()
                        .is_some_and(|k| k.starts_with(crate::history::TAG_PREFIX))
                })
                .cloned()
                .collect(),
        ))
        .set_pid_mode(current.pid_mode().cloned())
        .set_ipc_mode(current.ipc_mode().cloned())
        .set_proxy_configuration(current.proxy_configuration().cloned())
        .set_ephemeral_storage(current.ephemeral_storage().cloned())
        .set_runtime_platform(current.runtime_platform().cloned())
        .set_enable_fault_injection(current.enable_fault_injection())
        .build()
        .map_err(|e| DeployError::Unexpected(format!("cannot build the new task definition: {e}")))
}

/// ECS keeps absent and empty lists apart in what it stores; absent is what terraform sends.
fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// Puts a prepared input on a RegisterTaskDefinition call.
pub fn apply(
    call: RegisterTaskDefinitionFluentBuilder,
    input: RegisterTaskDefinitionInput,
) -> RegisterTaskDefinitionFluentBuilder {
    call.set_family(input.family)
        .set_task_role_arn(input.task_role_arn)
        .set_execution_role_arn(input.execution_role_arn)
        .set_network_mode(input.network_mode)
        .set_container_definitions(input.container_definitions)
        .set_volumes(input.volumes)
        .set_placement_constraints(input.placement_constraints)
        .set_requires_compatibilities(input.requires_compatibilities)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_tags(input.tags)
        .set_pid_mode(input.pid_mode)
        .set_ipc_mode(input.ipc_mode)
        .set_proxy_configuration(input.proxy_configuration)
        .set_ephemeral_storage(input.ephemeral_storage)
        .set_runtime_platform(input.runtime_platform)
        .set_enable_fault_injection(input.enable_fault_injection)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{
        Compatibility, KeyValuePair, LogConfiguration, LogDriver, NetworkMode, Secret,
    };

    fn current() -> TaskDefinition {
        let portal = ContainerDefinition::builder()
            .name("portal")
            .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/portal:old")
            .memory(512)
            .environment(
                KeyValuePair::builder()
                    .name("PORTAL_BIND")
                    .value("0.0.0.0:8080")
                    .build(),
            )
            .secrets(
                Secret::builder()
                    .name("DB")
                    .value_from("arn:secret")
                    .build()
                    .unwrap(),
            )
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", "/ecs/portal")
                    .build()
                    .unwrap(),
            )
            .build();
        let sidecar = ContainerDefinition::builder()
            .name("envoy")
            .image("public.ecr.aws/envoy:v1")
            .build();
        TaskDefinition::builder()
            .task_definition_arn("arn:aws:ecs:us-east-1:123456789012:task-definition/portal:7")
            .family("portal")
            .revision(7)
            .execution_role_arn("arn:aws:iam::123456789012:role/exec")
            .task_role_arn("arn:aws:iam::123456789012:role/task")
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(portal)
            .container_definitions(sidecar)
            .build()
    }

    #[test]
    fn only_the_named_containers_image_changes() {
        let image: ImageRef = "123456789012.dkr.ecr.us-east-1.amazonaws.com/portal:new"
            .parse()
            .unwrap();
        let tags = [Tag::builder().key("team").value("dash").build()];
        let input = next_revision(&current(), &tags, "portal", &image).unwrap();
        let containers = input.container_definitions.as_deref().unwrap();
        let before = current();
        assert_eq!(containers.len(), 2);
        // The changed container equals the old one in every field except the image.
        let mut expected = before.container_definitions()[0].clone();
        expected.image = Some(image.to_string());
        assert_eq!(containers[0], expected);
        assert_eq!(containers[1], before.container_definitions()[1]);
        assert_eq!(input.family.as_deref(), Some("portal"));
        assert_eq!(
            input.execution_role_arn.as_deref(),
            before.execution_role_arn()
        );
        assert_eq!(input.task_role_arn.as_deref(), before.task_role_arn());
        assert_eq!(input.cpu.as_deref(), Some("256"));
        assert_eq!(input.memory.as_deref(), Some("512"));
        assert_eq!(input.network_mode, Some(NetworkMode::Awsvpc));
        assert_eq!(
            input.requires_compatibilities,
            Some(vec![Compatibility::Fargate])
        );
        assert_eq!(input.tags.as_deref(), Some(&tags[..]));
        assert_eq!(
            input.volumes, None,
            "empty lists are left out, not sent empty"
        );
    }

    #[test]
    fn an_unknown_container_lists_the_ones_that_exist() {
        let image: ImageRef = "repo/portal:new".parse().unwrap();
        let err = next_revision(&current(), &[], "web", &image)
            .unwrap_err()
            .to_string();
        assert!(err.contains("container web not found"), "{err}");
        assert!(
            err.contains("portal:7") && err.contains("portal, envoy"),
            "{err}"
        );
    }

    #[test]
    fn short_names_drop_the_arn_prefix() {
        assert_eq!(
            short_name("arn:aws:ecs:us-east-1:123456789012:task-definition/portal:7"),
            "portal:7"
        );
        assert_eq!(short_name("portal:7"), "portal:7");
    }
}
