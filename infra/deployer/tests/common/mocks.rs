//! AwsClients whose calls are answered by aws-smithy-mocks rules instead of a server. Used for
//! what moto cannot do: ECS service deployments (list/describe/stop), the blue/green lifecycle,
//! rollbacks. A call without a matching rule gets HTTP 418 from the mock HTTP client and fails,
//! so an unexpected API call shows up as a test failure.

use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use deployer::aws::AwsClients;

/// A client of `$krate` that answers from `$rules` (any order, first match wins). Built by hand
/// rather than with `mock_client!` so the SDK crates need no `test-util` feature (a feature
/// switch would rebuild every SDK crate for the tests).
macro_rules! mocked {
    ($krate:ident, $rules:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        $krate::Client::from_conf(
            $krate::Config::builder()
                .behavior_version($krate::config::BehaviorVersion::latest())
                .region($krate::config::Region::new("us-east-1"))
                .credentials_provider($krate::config::Credentials::new(
                    "AKIDMOCK", "secret", None, None, "mocks",
                ))
                .http_client(create_mock_http_client())
                .interceptor(interceptor)
                .build(),
        )
    }};
}

#[derive(Default)]
pub struct MockRules<'a> {
    pub ecs: Vec<&'a Rule>,
    pub ecr: Vec<&'a Rule>,
    pub cloudwatch: Vec<&'a Rule>,
    pub elbv2: Vec<&'a Rule>,
    pub logs: Vec<&'a Rule>,
    /// Empty: the release lock is free (PutParameter and DeleteParameter succeed).
    pub ssm: Vec<&'a Rule>,
}

/// SSM answers for a free lock: PutParameter creates, DeleteParameter removes (as AWS does).
pub struct FreeLock {
    pub put: Rule,
    pub delete: Rule,
}

pub fn free_lock() -> FreeLock {
    FreeLock {
        put: mock!(aws_sdk_ssm::Client::put_parameter).then_output(|| {
            aws_sdk_ssm::operation::put_parameter::PutParameterOutput::builder()
                .version(1)
                .build()
        }),
        delete: mock!(aws_sdk_ssm::Client::delete_parameter).then_output(|| {
            aws_sdk_ssm::operation::delete_parameter::DeleteParameterOutput::builder().build()
        }),
    }
}

pub fn mock_clients(rules: MockRules<'_>) -> AwsClients {
    let none: Vec<&Rule> = Vec::new();
    let lock = free_lock();
    let ssm: Vec<&Rule> = if rules.ssm.is_empty() {
        vec![&lock.put, &lock.delete]
    } else {
        rules.ssm
    };
    // TagResource on a task definition answers an empty 200 (ECS API reference); the deployer
    // tags what it released and what it rolled back.
    let tag = mock!(aws_sdk_ecs::Client::tag_resource)
        .then_output(|| aws_sdk_ecs::operation::tag_resource::TagResourceOutput::builder().build());
    let mut ecs = rules.ecs;
    ecs.push(&tag);
    AwsClients {
        ecs: mocked!(aws_sdk_ecs, ecs),
        ecr: mocked!(aws_sdk_ecr, rules.ecr),
        cloudwatch: mocked!(aws_sdk_cloudwatch, rules.cloudwatch),
        elbv2: mocked!(aws_sdk_elasticloadbalancingv2, rules.elbv2),
        autoscaling: mocked!(aws_sdk_applicationautoscaling, none.iter().copied()),
        iam: mocked!(aws_sdk_iam, none.iter().copied()),
        logs: mocked!(aws_sdk_cloudwatchlogs, rules.logs),
        secrets: mocked!(aws_sdk_secretsmanager, none.iter().copied()),
        ssm: mocked!(aws_sdk_ssm, ssm),
    }
}
