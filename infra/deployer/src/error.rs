//! The library's error type. Every variant names the AWS resource involved and what the operator
//! can do about it, because these messages are what an operator reads at 2 a.m. during a release;
//! `main` prints them as a plain `{:#}` chain, never as a Debug dump or a backtrace.

use aws_sdk_ecs::config::http::HttpResponse;
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

/// Every SDK client in this crate fails with this shape (the error type differs per operation).
pub type AwsSdkError<E> = SdkError<E, HttpResponse>;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// An AWS API call failed; `action` says which call on which resource.
    #[error("{action} failed: {reason}{}", hint_suffix(.hint))]
    Aws {
        action: String,
        reason: String,
        hint: Option<String>,
    },

    #[error(
        "ECS service {service} not found in cluster {cluster}: check --cluster and the service name \
         (or `terraform output` in infra/terraform)"
    )]
    ServiceNotFound { cluster: String, service: String },

    #[error(
        "ECS cluster {cluster} not found in this account and region: check --cluster / \
         DEPLOYER_CLUSTER (or `terraform output cluster_name` in infra/terraform) and --region"
    )]
    ClusterNotFound { cluster: String },

    #[error(
        "container {container} not found in task definition {task_definition} (it has: {available}): \
         pass --container with one of those"
    )]
    ContainerNotFound {
        container: String,
        task_definition: String,
        available: String,
    },

    #[error(
        "ECR image {image} not found in repository {repository}: push it first (scripts/deploy.sh does)"
    )]
    ImageNotFound { image: String, repository: String },

    #[error(
        "ECR repository {repository} not found: apply infra/terraform first, or check the image URL"
    )]
    RepositoryNotFound { repository: String },

    /// Configuration that is missing or malformed (flags, environment, terraform outputs).
    #[error("{0}")]
    Config(String),

    /// AWS answered with something the deployer cannot work with (a field it needs is missing).
    #[error("{0}")]
    Unexpected(String),

    #[error(
        "service {service} is locked: {holder} has been running `{command}` for {age} (SSM \
         parameter {parameter}); wait for it, or, if that deployer is gone, pass --force-unlock"
    )]
    Locked {
        service: String,
        holder: String,
        command: String,
        age: String,
        parameter: String,
    },

    #[error("{}{report}", if *timed_out { "timed out waiting for a steady state:\n" } else { "not steady:\n" })]
    NotSteady { timed_out: bool, report: String },

    #[error(
        "service {service} has a deployment in flight ({deployments}): a release now would start a \
         second one on top of it; wait for it (`deployer wait {service}`) or stop it \
         (`deployer rollback --service {service}`)"
    )]
    DeploymentInFlight {
        service: String,
        deployments: String,
    },

    #[error(
        "interrupted: stopped following service {service} and released its lock; a deployment in \
         flight carries on in ECS (watch it with `deployer status`, stop it with `deployer rollback`)"
    )]
    Interrupted { service: String },

    #[error(
        "deployment {deployment} still {state} after {waited_secs}s: it keeps running in ECS; watch it \
         with `deployer status` or stop it with `deployer rollback`"
    )]
    TimedOut {
        deployment: String,
        state: String,
        waited_secs: u64,
    },
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!(": {h}")).unwrap_or_default()
}

impl DeployError {
    /// Wraps a failed SDK call; `action` reads like "describing ECS service portal in cluster c".
    pub fn aws<E>(action: impl Into<String>, err: &AwsSdkError<E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        DeployError::Aws {
            action: action.into(),
            reason: sdk_reason(err),
            hint: None,
        }
    }

    /// Like [`DeployError::aws`] with advice on what to do next.
    pub fn aws_hint<E>(action: impl Into<String>, err: &AwsSdkError<E>, hint: &str) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        DeployError::Aws {
            action: action.into(),
            reason: sdk_reason(err),
            hint: Some(hint.to_string()),
        }
    }
}

/// The AWS error code of a failed call, when AWS (or moto) sent one.
pub fn error_code<E>(err: &AwsSdkError<E>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// One line that says why a call failed: the service's code and message, or the transport
/// problem (timeout, connection refused) with its causes, instead of the SDK's Debug output.
pub fn sdk_reason<E>(err: &AwsSdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            match (inner.code(), inner.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                (None, Some(message)) => message.to_string(),
                (None, None) => format!(
                    "the service answered HTTP {}",
                    service.raw().status().as_u16()
                ),
            }
        }
        // moto answers APIs it does not implement with an HTML 500 page, for example.
        SdkError::ResponseError(response) => format!(
            "the service answered HTTP {} with a body that is not an AWS API answer",
            response.raw().status().as_u16()
        ),
        SdkError::TimeoutError(_) => {
            "no answer from the AWS API in time (raise --call-timeout if the network is slow)"
                .to_string()
        }
        other => error_chain(other),
    }
}

/// `a: b: c` from an error and its sources, the form operators know from anyhow's `{:#}`.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
