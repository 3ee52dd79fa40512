//! `deployer diff SERVICE --image ...`: what a release would change in the task definition,
//! field by field, between the revision running now and the one `release` would register (the
//! latest ACTIVE revision of the family with the image replaced, as `release` builds it).

use std::fmt;

use aws_sdk_ecs::types::{ContainerDefinition, TaskDefinition};

use crate::aws::AwsClients;
use crate::ecs::{BaseRevision, describe_service};
use crate::error::DeployError;
use crate::image::ImageRef;
use crate::settings::ServiceTarget;
use crate::task_definition::{next_revision, short_name};

/// One field of a task definition as text, e.g. ("container portal image", "repo:v1").
type Field = (String, String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    pub service: String,
    pub running: String,
    /// The revision the release starts from, when newer than the running one.
    pub newer: Option<String>,
    /// (field, running value, released value); "-" for absent.
    pub changes: Vec<(String, String, String)>,
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service {}: running {}",
            self.service,
            short_name(&self.running)
        )?;
        if let Some(newer) = &self.newer {
            write!(f, ", release starts from {}", short_name(newer))?;
        }
        writeln!(f)?;
        if self.changes.is_empty() {
            return write!(
                f,
                "no change: a release of this image registers nothing new"
            );
        }
        let lines: Vec<String> = self
            .changes
            .iter()
            .map(|(field, old, new)| format!("{field}\n  - {old}\n  + {new}"))
            .collect();
        write!(f, "{}", lines.join("\n"))
    }
}

fn container_fields(c: &ContainerDefinition) -> Vec<Field> {
    let name = c.name().unwrap_or("?");
    let mut fields = vec![
        (
            format!("container {name} image"),
            c.image().unwrap_or("-").to_string(),
        ),
        (format!("container {name} cpu"), c.cpu().to_string()),
        (
            format!("container {name} memory"),
            c.memory().map_or("-".into(), |m| m.to_string()),
        ),
        (
            format!("container {name} command"),
            if c.command().is_empty() {
                "-".into()
            } else {
                c.command().join(" ")
            },
        ),
    ];
    for env in c.environment() {
        fields.push((
            format!("container {name} env {}", env.name().unwrap_or("?")),
            env.value().unwrap_or("").to_string(),
        ));
    }
    for secret in c.secrets() {
        fields.push((
            format!("container {name} secret {}", secret.name()),
            secret.value_from().to_string(),
        ));
    }
    fields
}

fn fields(
    family: Option<&str>,
    cpu: Option<&str>,
    memory: Option<&str>,
    task_role: Option<&str>,
    execution_role: Option<&str>,
    containers: &[ContainerDefinition],
) -> Vec<Field> {
    let text = |v: Option<&str>| v.unwrap_or("-").to_string();
    let mut all = vec![
        ("family".to_string(), text(family)),
        ("cpu".to_string(), text(cpu)),
        ("memory".to_string(), text(memory)),
        ("task role".to_string(), text(task_role)),
        ("execution role".to_string(), text(execution_role)),
    ];
    for container in containers {
        all.extend(container_fields(container));
    }
    all
}

fn of_definition(td: &TaskDefinition) -> Vec<Field> {
    fields(
        td.family(),
        td.cpu(),
        td.memory(),
        td.task_role_arn(),
        td.execution_role_arn(),
        td.container_definitions(),
    )
}

/// Field-by-field changes from `old` to `new`, in `old`'s order, then fields only `new` has.
pub fn changes(old: &[Field], new: &[Field]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (key, value) in old {
        match new.iter().find(|(k, _)| k == key) {
            Some((_, v)) if v == value => {}
            Some((_, v)) => out.push((key.clone(), value.clone(), v.clone())),
            None => out.push((key.clone(), value.clone(), "-".into())),
        }
    }
    for (key, value) in new {
        if !old.iter().any(|(k, _)| k == key) {
            out.push((key.clone(), "-".into(), value.clone()));
        }
    }
    out
}

pub async fn diff(
    clients: &AwsClients,
    target: &ServiceTarget,
    image: &ImageRef,
) -> Result<Diff, DeployError> {
    let service = describe_service(clients, &target.cluster, &target.service).await?;
    let base = BaseRevision::read(clients, &service).await?;
    let input = next_revision(&base.definition, &base.tags, &target.container, image)?;
    let released = fields(
        input.family(),
        input.cpu(),
        input.memory(),
        input.task_role_arn(),
        input.execution_role_arn(),
        input.container_definitions(),
    );
    Ok(Diff {
        service: target.service.clone(),
        running: base.current,
        newer: base.newer,
        changes: changes(&of_definition(&base.running), &released),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_list_changed_removed_and_added_fields() {
        let f = |k: &str, v: &str| (k.to_string(), v.to_string());
        let old = [f("image", "v1"), f("env A", "1"), f("env B", "2")];
        let new = [f("image", "v2"), f("env A", "1"), f("env C", "3")];
        assert_eq!(
            changes(&old, &new),
            vec![
                ("image".into(), "v1".into(), "v2".into()),
                ("env B".into(), "2".into(), "-".into()),
                ("env C".into(), "-".into(), "3".into()),
            ]
        );
    }
}
