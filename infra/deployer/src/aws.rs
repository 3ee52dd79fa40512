//! The AWS clients the commands use, held in one struct so tests can build it either against a
//! moto server (real HTTP) or from aws-smithy-mocks clients (canned answers for the APIs moto
//! does not implement). Commands only ever see `AwsClients`.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::error::DeployError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    pub region: Option<String>,
    /// A moto server in tests; `None` talks to AWS.
    pub endpoint_url: Option<String>,
    /// Upper bound for one API call, retries included.
    pub call_timeout: Duration,
    pub max_attempts: u32,
}

#[derive(Debug, Clone)]
pub struct AwsClients {
    pub ecs: aws_sdk_ecs::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub ecr: aws_sdk_ecr::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub iam: aws_sdk_iam::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    /// The one-release-at-a-time lock (a Parameter Store parameter, see `lock`).
    pub ssm: aws_sdk_ssm::Client,
}

impl AwsClients {
    pub fn from_sdk_config(config: &SdkConfig) -> Self {
        AwsClients {
            ecs: aws_sdk_ecs::Client::new(config),
            elbv2: aws_sdk_elasticloadbalancingv2::Client::new(config),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(config),
            ecr: aws_sdk_ecr::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }

    /// Loads credentials and region the usual AWS way (environment, profile, instance role),
    /// with the overrides from the command line and a timeout on every call.
    pub async fn connect(options: &ConnectOptions) -> Result<Self, DeployError> {
        let config = sdk_config_loader(options).load().await;
        if config.region().is_none() {
            return Err(DeployError::Config(
                "no AWS region: pass --region, set AWS_REGION, or pass --terraform-dir \
                 infra/terraform (output aws_region)"
                    .into(),
            ));
        }
        Ok(Self::from_sdk_config(&config))
    }
}

/// The loader `connect` uses; tests add static credentials to it.
pub fn sdk_config_loader(options: &ConnectOptions) -> aws_config::ConfigLoader {
    let connect_timeout = options.call_timeout.min(Duration::from_secs(5));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(connect_timeout)
                .operation_attempt_timeout(options.call_timeout)
                .operation_timeout(options.call_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)));
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &options.endpoint_url {
        loader = loader.endpoint_url(endpoint.clone());
    }
    loader
}
