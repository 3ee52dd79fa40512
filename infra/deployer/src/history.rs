//! The release history the deployer reads back: the service's deployments (ListServiceDeployments
//! and their outcomes), the task definition and image each deployed (DescribeServiceRevisions),
//! and what the deployer wrote on those task definitions as tags - who released it, and whether
//! it was rolled back. `rollback` takes its target from here: the newest revision that deployed
//! SUCCESSFULLY, is not the one running, and was never rolled back - so a second rollback does
//! not return to the release the first one left.

use std::collections::HashMap;
use std::fmt;
use std::time::SystemTime;

use aws_sdk_ecs::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ecs::types::{ServiceDeploymentStatus as Status, Tag};

use crate::aws::AwsClients;
use crate::deployment::short_deployment;
use crate::ecs::describe_task_definition;
use crate::error::DeployError;
use crate::progress::Reporter;
use crate::settings::ServiceTarget;
use crate::task_definition::short_name;

/// Tag keys the deployer writes on task definitions. `next_revision` drops them when it copies a
/// revision's tags, so a new release starts clean.
pub const TAG_RELEASED_BY: &str = "hwdash:released-by";
pub const TAG_ROLLED_BACK: &str = "hwdash:rolled-back";
pub const TAG_PREFIX: &str = "hwdash:";

/// How far back the history reaches (one ListServiceDeployments page).
pub const HISTORY_DEPTH: i32 = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub deployment: String,
    /// The deployment's status as ECS sent it (SUCCESSFUL, ROLLBACK_SUCCESSFUL, ...).
    pub status: String,
    pub task_definition: Option<String>,
    pub image: Option<String>,
    pub started: Option<DateTime>,
    pub finished: Option<DateTime>,
    /// The deployer that released it (tag), when it was the deployer.
    pub who: Option<String>,
    /// Why it was rolled back (tag, or ECS's rollback), if it was.
    pub rolled_back: Option<String>,
}

impl Release {
    pub fn is_good(&self) -> bool {
        self.status == Status::Successful.as_str() && self.rolled_back.is_none()
    }
}

fn time(at: Option<&DateTime>) -> String {
    at.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
        .map(|s| match s.split_once('.') {
            Some((head, _)) => format!("{head}Z"),
            None => s,
        })
        .unwrap_or_else(|| "-".into())
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<20}  {:<22}  {:<20}  {:<18}  {}",
            time(self.started.as_ref()),
            self.task_definition.as_deref().map_or("?", short_name),
            self.status,
            self.who.as_deref().unwrap_or("-"),
            self.image.as_deref().unwrap_or("?"),
        )?;
        if let Some(why) = &self.rolled_back {
            write!(f, "  (rolled back: {why})")?;
        }
        Ok(())
    }
}

/// A printable history, newest first.
pub struct History {
    pub service: String,
    pub releases: Vec<Release>,
}

impl fmt::Display for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "release history of service {} (newest first)",
            self.service
        )?;
        writeln!(
            f,
            "{:<20}  {:<22}  {:<20}  {:<18}  image",
            "started", "revision", "outcome", "who"
        )?;
        if self.releases.is_empty() {
            return write!(f, "(no deployments)");
        }
        let lines: Vec<String> = self.releases.iter().map(|r| r.to_string()).collect();
        write!(f, "{}", lines.join("\n"))
    }
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// The service's deployments, newest first, with what each deployed and how it ended.
pub async fn read(clients: &AwsClients, target: &ServiceTarget) -> Result<History, DeployError> {
    let listed = clients
        .ecs
        .list_service_deployments()
        .cluster(&target.cluster)
        .service(&target.service)
        .max_results(HISTORY_DEPTH)
        .send()
        .await
        .map_err(|e| {
            DeployError::aws(
                format!("listing deployments of ECS service {}", target.service),
                &e,
            )
        })?;
    let mut briefs = listed.service_deployments().to_vec();
    briefs.sort_by_key(|d| std::cmp::Reverse(d.created_at().map(|t| (t.secs(), t.subsec_nanos()))));
    let revision_arns: Vec<String> = briefs
        .iter()
        .filter_map(|d| d.target_service_revision_arn().map(str::to_string))
        .collect();
    let mut revisions: HashMap<String, (String, Option<String>)> = HashMap::new();
    if !revision_arns.is_empty() {
        let described = clients
            .ecs
            .describe_service_revisions()
            .set_service_revision_arns(Some(revision_arns))
            .send()
            .await
            .map_err(|e| DeployError::aws("describing service revisions", &e))?;
        for revision in described.service_revisions() {
            if let (Some(arn), Some(td)) =
                (revision.service_revision_arn(), revision.task_definition())
            {
                let image = revision
                    .container_images()
                    .first()
                    .and_then(|c| c.image())
                    .map(str::to_string);
                revisions.insert(arn.to_string(), (td.to_string(), image));
            }
        }
    }
    let mut tags: HashMap<String, Vec<Tag>> = HashMap::new();
    let mut releases = Vec::new();
    for brief in &briefs {
        let (task_definition, image) = brief
            .target_service_revision_arn()
            .and_then(|arn| revisions.get(arn).cloned())
            .map_or((None, None), |(td, image)| (Some(td), image));
        if let Some(td) = &task_definition
            && !tags.contains_key(td)
        {
            let found = describe_task_definition(clients, td)
                .await
                .map(|(_, tags)| tags)
                .unwrap_or_default();
            tags.insert(td.clone(), found);
        }
        let td_tags = task_definition.as_ref().and_then(|td| tags.get(td));
        let status = brief
            .status()
            .map_or("NO_STATUS", |s| s.as_str())
            .to_string();
        let rolled_back = td_tags
            .and_then(|t| tag(t, TAG_ROLLED_BACK))
            .map(str::to_string)
            .or_else(|| {
                matches!(
                    brief.status(),
                    Some(
                        Status::RollbackSuccessful
                            | Status::RollbackFailed
                            | Status::RollbackInProgress
                            | Status::RollbackRequested
                    )
                )
                .then(|| {
                    brief
                        .status_reason()
                        .unwrap_or("rolled back by ECS")
                        .to_string()
                })
            });
        releases.push(Release {
            deployment: brief.service_deployment_arn().unwrap_or("?").to_string(),
            status,
            task_definition,
            image,
            started: brief.started_at().or(brief.created_at()).copied(),
            finished: brief.finished_at().copied(),
            who: td_tags
                .and_then(|t| tag(t, TAG_RELEASED_BY))
                .map(str::to_string),
            rolled_back,
        });
    }
    // A revision rolled back once is not good, even where another of its deployments succeeded.
    let bad: Vec<String> = releases
        .iter()
        .filter(|r| r.rolled_back.is_some())
        .filter_map(|r| r.task_definition.clone())
        .collect();
    for release in &mut releases {
        if release.rolled_back.is_none()
            && release
                .task_definition
                .as_ref()
                .is_some_and(|td| bad.contains(td))
        {
            release.rolled_back =
                Some("another deployment of this revision was rolled back".into());
        }
    }
    Ok(History {
        service: target.service.clone(),
        releases,
    })
}

/// The newest release that deployed successfully, was never rolled back, and is not `current`.
pub fn last_known_good<'a>(history: &'a History, current: &str) -> Option<&'a Release> {
    history
        .releases
        .iter()
        .find(|r| r.is_good() && r.task_definition.as_deref().is_some_and(|td| td != current))
}

/// Tags `task_definition` as released by this deployer. Best effort: a release does not fail
/// because a tag could not be written; the note says so, and `history` shows "-" for who.
pub async fn mark_released(clients: &AwsClients, reporter: &Reporter, task_definition: &str) {
    let who = crate::lock::whoami();
    tag_task_definition(clients, reporter, task_definition, TAG_RELEASED_BY, &who).await;
}

/// Tags `task_definition` as rolled back (with when and why), so `rollback` never returns to it.
pub async fn mark_rolled_back(
    clients: &AwsClients,
    reporter: &Reporter,
    task_definition: &str,
    reason: &str,
) {
    let at = DateTime::from(SystemTime::now())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default();
    // Tag values allow 256 characters.
    let value: String = format!("{at} {reason}").chars().take(256).collect();
    tag_task_definition(clients, reporter, task_definition, TAG_ROLLED_BACK, &value).await;
}

async fn tag_task_definition(
    clients: &AwsClients,
    reporter: &Reporter,
    task_definition: &str,
    key: &str,
    value: &str,
) {
    // Tag values allow letters, digits, spaces and + - = . _ : / @ only.
    let value: String = value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " +-=._:/@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let tagged = clients
        .ecs
        .tag_resource()
        .resource_arn(task_definition)
        .tags(Tag::builder().key(key).value(value).build())
        .send()
        .await;
    if let Err(e) = tagged {
        reporter.note(&format!(
            "could not tag {} with {key} ({}); `deployer history` will not show it",
            short_name(task_definition),
            crate::error::sdk_reason(&e)
        ));
    }
}

/// "deployment abc (hwdash-portal:8)" for messages.
pub fn describe_release(release: &Release) -> String {
    format!(
        "deployment {} ({})",
        short_deployment(&release.deployment),
        release.task_definition.as_deref().map_or("?", short_name)
    )
}
