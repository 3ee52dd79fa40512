//! One release (or rollback) at a time per service. Two releases at once cancel each other: the
//! second UpdateService starts a deployment on top of the first.
//!
//! The lock is an SSM Parameter Store parameter, `/hwdash-deployer/lock/<cluster>/<service>`,
//! created with PutParameter(Overwrite=false): AWS creates it atomically or answers
//! ParameterAlreadyExists, so two deployers can never both hold it. (A tag on the ECS service
//! cannot do that: TagResource has no condition, so two deployers that read "no tag" both
//! write one. A DynamoDB conditional write would also work but needs a table in Terraform; a
//! standard parameter costs nothing and needs only ssm:PutParameter / GetParameter /
//! DeleteParameter on that path.) The value names the holder; its LastModifiedDate gives the
//! age. The lock is released on every exit path of the command - success, failure, Ctrl-C;
//! only a killed deployer leaves it, and then the error says who holds it since when, and
//! `--force-unlock` removes it.

use std::future::Future;
use std::time::SystemTime;

use aws_sdk_ssm::types::ParameterType;
use serde::{Deserialize, Serialize};

use crate::aws::AwsClients;
use crate::duration::human;
use crate::error::{DeployError, error_code};
use crate::progress::Reporter;
use crate::settings::ServiceTarget;

/// What the lock parameter holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// `user@host pid N`, or DEPLOYER_LOCK_HOLDER (e.g. a CI job URL).
    pub holder: String,
    /// What it is doing (`release portal`).
    pub command: String,
}

pub fn parameter_name(target: &ServiceTarget) -> String {
    format!(
        "/hwdash-deployer/lock/{}/{}",
        target.cluster, target.service
    )
}

/// Who this deployer is, for the lock and for `history`'s "who".
pub fn whoami() -> String {
    if let Ok(holder) = std::env::var("DEPLOYER_LOCK_HOLDER")
        && !holder.trim().is_empty()
    {
        return holder;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = service_kit::host_name();
    format!("{user}@{host} pid {}", std::process::id())
}

/// Runs `work` holding the service's lock, and releases it however `work` ends (Ctrl-C
/// included: the work stops, the lock goes, the deployment carries on in ECS).
pub async fn with_lock<T>(
    clients: &AwsClients,
    reporter: &Reporter,
    target: &ServiceTarget,
    command: &str,
    force_unlock: bool,
    work: impl Future<Output = Result<T, DeployError>>,
) -> Result<T, DeployError> {
    let name = parameter_name(target);
    if force_unlock {
        match current_holder(clients, &name).await? {
            Some((holder, age)) => {
                delete(clients, &name).await?;
                reporter.note(&format!(
                    "removed the lock on service {} held by {} ({}) for {}",
                    target.service,
                    holder.holder,
                    holder.command,
                    age.map_or_else(|| "an unknown time".into(), human)
                ));
            }
            None => reporter.note(&format!(
                "service {} was not locked; nothing to unlock",
                target.service
            )),
        }
    }
    acquire(clients, target, &name, command).await?;
    let result = tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => Err(DeployError::Interrupted {
            service: target.service.clone(),
        }),
    };
    let released = delete(clients, &name).await;
    match (result, released) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => Err(e),
        // The work's error matters more; a lock left behind is named by the next run.
        (Err(e), _) => Err(e),
    }
}

async fn acquire(
    clients: &AwsClients,
    target: &ServiceTarget,
    name: &str,
    command: &str,
) -> Result<(), DeployError> {
    let holder = LockHolder {
        holder: whoami(),
        command: command.to_string(),
    };
    let value = serde_json::to_string(&holder).unwrap_or_default();
    let put = clients
        .ssm
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .overwrite(false)
        .description("held by `deployer` while it releases or rolls back this service")
        .send()
        .await;
    match put {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some("ParameterAlreadyExists") => {
            let (holder, age) = current_holder(clients, name).await?.unwrap_or_else(|| {
                (
                    LockHolder {
                        holder: "someone".into(),
                        command: "a release".into(),
                    },
                    None,
                )
            });
            Err(DeployError::Locked {
                service: target.service.clone(),
                holder: holder.holder,
                command: holder.command,
                age: age.map_or_else(|| "an unknown time".into(), human),
                parameter: name.to_string(),
            })
        }
        Err(e) => Err(DeployError::aws_hint(
            format!("taking the release lock {name} (SSM PutParameter)"),
            &e,
            "the deployer needs ssm:PutParameter, ssm:GetParameter and ssm:DeleteParameter on \
             /hwdash-deployer/lock/*",
        )),
    }
}

/// The lock's holder and age, or `None` when nobody holds it.
pub async fn current_holder(
    clients: &AwsClients,
    name: &str,
) -> Result<Option<(LockHolder, Option<std::time::Duration>)>, DeployError> {
    match clients.ssm.get_parameter().name(name).send().await {
        Ok(output) => {
            let Some(parameter) = output.parameter() else {
                return Ok(None);
            };
            let holder = parameter
                .value()
                .and_then(|v| serde_json::from_str::<LockHolder>(v).ok())
                .unwrap_or_else(|| LockHolder {
                    holder: parameter.value().unwrap_or("unknown").to_string(),
                    command: "unknown command".into(),
                });
            let age = parameter
                .last_modified_date()
                .and_then(|t| SystemTime::try_from(*t).ok())
                .and_then(|at| SystemTime::now().duration_since(at).ok());
            Ok(Some((holder, age)))
        }
        Err(e) if error_code(&e) == Some("ParameterNotFound") => Ok(None),
        Err(e) => Err(DeployError::aws(
            format!("reading the release lock {name}"),
            &e,
        )),
    }
}

async fn delete(clients: &AwsClients, name: &str) -> Result<(), DeployError> {
    match clients.ssm.delete_parameter().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if error_code(&e) == Some("ParameterNotFound") => Ok(()),
        Err(e) => Err(DeployError::aws_hint(
            format!("releasing the release lock {name}"),
            &e,
            "delete it with `deployer ... --force-unlock` once nothing else releases",
        )),
    }
}
