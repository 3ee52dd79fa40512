//! The release gate and its failure paths, each as a sequence of AWS answers that follows the
//! ECS, CloudWatch, ELB and SSM API references (aws-smithy-mocks: the answers are canned, the
//! deployer's decisions and calls are real; smoke checks hit a real HTTP server on loopback).
//!
//! - the PAUSE hook at POST_TEST_TRAFFIC_SHIFT: CONTINUE after passing smoke checks, ROLLBACK
//!   after a failed one, and nothing at all from a deployer that dies (the hook's timeout rolls
//!   back, and a later `rollback` follows ECS's rollback instead of starting a second one);
//! - alarms: one already firing before the release, and one on the target group without
//!   production traffic, do not count; one on the production group does;
//! - a ClientException from StopServiceDeployment fails with AWS's message, redeploying nothing;
//! - the release lock held by someone else;
//! - hardware's rolling deployment followed to its circuit-breaker outcome.
//!
//! ECS references: ServiceDeployment, DeploymentLifecycleHookDetail (hookId, status
//! AWAITING_ACTION, expiresAt), ContinueServiceDeployment (action CONTINUE | ROLLBACK),
//! StopServiceDeployment (errors: ClientException, UnsupportedFeatureException, ...).

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{Dimension, MetricAlarm, StateValue};
use aws_sdk_ecs::Client as Ecs;
use aws_sdk_ecs::error::ErrorMetadata;
use aws_sdk_ecs::operation::continue_service_deployment::ContinueServiceDeploymentOutput;
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::list_service_deployments::ListServiceDeploymentsOutput;
use aws_sdk_ecs::operation::stop_service_deployment::StopServiceDeploymentError;
use aws_sdk_ecs::primitives::DateTime;
use aws_sdk_ecs::types::error::ClientException;
use aws_sdk_ecs::types::{
    AdvancedConfiguration, DeploymentLifecycleHookAction, DeploymentLifecycleHookDetail,
    DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType, LoadBalancer,
    ServiceDeployment, ServiceDeploymentBrief, ServiceDeploymentCircuitBreaker,
    ServiceDeploymentLifecycleStage as Stage, ServiceDeploymentRollbackMonitorsStatus,
    ServiceDeploymentStatus as Status,
};
use aws_sdk_elasticloadbalancingv2::operation::describe_rules::DescribeRulesOutput;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, Rule as ListenerRule, TargetGroupTuple,
};
use aws_sdk_ssm::operation::delete_parameter::DeleteParameterOutput;
use aws_sdk_ssm::operation::get_parameter::GetParameterOutput;
use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
use aws_sdk_ssm::types::Parameter;
use aws_sdk_ssm::types::error::ParameterAlreadyExists;
use aws_smithy_mocks::{Rule, mock};
use common::canned::*;
use common::mocks::{MockRules, mock_clients};
use common::web::FixedStatusServer;
use deployer::DeployError;
use deployer::lock::with_lock;
use deployer::progress::{Reporter, SharedBuffer};
use deployer::release::{ReleaseOutcome, release};
use deployer::rollback::{RollbackOutcome, rollback};
use deployer::settings::Component;

const HOOK: &str = "hook-0123456789";
const RULE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/hwdash/1/2/3";
const BLUE_TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hwdash-portal-blue/aaa";
const GREEN_TG: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hwdash-portal-green/bbb";

/// The deployment waiting at the PAUSE hook: green serves the test listener only.
fn awaiting_hook() -> ServiceDeployment {
    let mut waiting = deployment(
        DEPLOYMENT,
        Status::InProgress,
        Some(Stage::PostTestTrafficShift),
        2,
        0.0,
    );
    waiting.lifecycle_hook_details = Some(vec![
        DeploymentLifecycleHookDetail::builder()
            .hook_id(HOOK)
            .target_type(DeploymentLifecycleHookTargetType::Pause)
            .status(DeploymentLifecycleHookStatus::AwaitingAction)
            .timeout_action(DeploymentLifecycleHookAction::Rollback)
            .expires_at(DateTime::from(SystemTime::now() + Duration::from_secs(600)))
            .build(),
    ]);
    waiting
}

/// What ECS answers once the hook is answered (`answer`) or, with `None`, for ever while it
/// waits: the production weight stays 0 until CONTINUE, so any production traffic before it
/// would show up as a test failure of the caller (it asserts on the weights it saw).
struct PausedDeployment {
    rule: Rule,
    answer: Arc<Mutex<Option<DeploymentLifecycleHookAction>>>,
    /// The highest production traffic weight reported before the hook was answered.
    weight_before_answer: Arc<Mutex<f64>>,
}

fn paused_deployment() -> PausedDeployment {
    let answer: Arc<Mutex<Option<DeploymentLifecycleHookAction>>> = Arc::default();
    let weight_before_answer: Arc<Mutex<f64>> = Arc::default();
    let after = Arc::new(AtomicUsize::new(0));
    let (seen, weight) = (answer.clone(), weight_before_answer.clone());
    let before = Arc::new(AtomicUsize::new(0));
    let rule = mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [DEPLOYMENT])
        .then_compute_output(move |_| {
            let answered = seen.lock().unwrap().clone();
            let reply = match answered {
                None => match before.fetch_add(1, Ordering::SeqCst) {
                    0 => deployment(DEPLOYMENT, Status::Pending, None, 0, 0.0),
                    1 => deployment(
                        DEPLOYMENT,
                        Status::InProgress,
                        Some(Stage::TestTrafficShift),
                        2,
                        0.0,
                    ),
                    _ => awaiting_hook(),
                },
                Some(DeploymentLifecycleHookAction::Continue) => {
                    match after.fetch_add(1, Ordering::SeqCst) {
                        0 => deployment(
                            DEPLOYMENT,
                            Status::InProgress,
                            Some(Stage::ProductionTrafficShift),
                            2,
                            100.0,
                        ),
                        _ => deployment(
                            DEPLOYMENT,
                            Status::Successful,
                            Some(Stage::CleanUp),
                            2,
                            100.0,
                        ),
                    }
                }
                Some(_) => match after.fetch_add(1, Ordering::SeqCst) {
                    0 => deployment(DEPLOYMENT, Status::RollbackInProgress, None, 2, 0.0),
                    _ => deployment(DEPLOYMENT, Status::RollbackSuccessful, None, 0, 0.0),
                },
            };
            if answered.is_none() {
                let reported = reply
                    .target_service_revision()
                    .and_then(|t| t.requested_production_traffic_weight())
                    .unwrap_or(0.0);
                let mut highest = weight.lock().unwrap();
                *highest = highest.max(reported);
            }
            described(reply)
        });
    PausedDeployment {
        rule,
        answer,
        weight_before_answer,
    }
}

/// ContinueServiceDeployment for the hook, recording the action (its answer is empty but for
/// the deployment ARN).
fn continue_rule(answer: Arc<Mutex<Option<DeploymentLifecycleHookAction>>>) -> Rule {
    mock!(Ecs::continue_service_deployment)
        .match_requests(|r| {
            r.service_deployment_arn() == Some(DEPLOYMENT) && r.hook_id() == Some(HOOK)
        })
        .then_compute_output(move |r| {
            *answer.lock().unwrap() = r.action().cloned();
            ContinueServiceDeploymentOutput::builder()
                .service_deployment_arn(DEPLOYMENT)
                .build()
        })
}

/// A release whose deployment waits at the PAUSE hook, with the rules a test asserts on.
struct HookRelease {
    paused: PausedDeployment,
    answer: Rule,
    stop: Rule,
    clients: deployer::aws::AwsClients,
}

fn hook_release() -> HookRelease {
    let r = release_rules();
    let paused = paused_deployment();
    let answer = continue_rule(paused.answer.clone());
    let stop = stop_rule(Arc::new(AtomicBool::new(false)));
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&paused.rule, &answer, &stop]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    HookRelease {
        paused,
        answer,
        stop,
        clients,
    }
}

fn plain_reporter() -> (Reporter, SharedBuffer) {
    let output = SharedBuffer::default();
    (Reporter::plain(Box::new(output.clone())), output)
}

#[tokio::test]
async fn the_pause_hook_is_continued_only_after_the_smoke_checks_pass() {
    let web = FixedStatusServer::start(200).await;
    let HookRelease {
        paused,
        answer,
        stop,
        clients,
    } = hook_release();
    let (reporter, output) = plain_reporter();
    let mut smoke = smoke(&web.url, 2);
    smoke.passes_to_continue = 3;

    let outcome = release(&clients, &reporter, &release_request(Some(smoke)))
        .await
        .unwrap();

    assert_eq!(
        outcome,
        ReleaseOutcome::Released {
            task_definition: NEW_TD.into()
        }
    );
    assert_eq!(answer.num_calls(), 1, "the hook is answered once");
    assert_eq!(
        *paused.answer.lock().unwrap(),
        Some(DeploymentLifecycleHookAction::Continue)
    );
    assert!(web.requests() >= 3, "three passes before CONTINUE");
    assert_eq!(*paused.weight_before_answer.lock().unwrap(), 0.0);
    assert_eq!(stop.num_calls(), 0);
    let printed = output.text();
    println!("{printed}{outcome}");
    for expected in [
        "deployment paused at hook hook-0123456789 before production traffic moves (it rolls back by itself in",
        "smoke checks passed 3 times in a row",
        "answered hook hook-0123456789: CONTINUE",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected:?} in:\n{printed}"
        );
    }
}

#[tokio::test]
async fn a_failed_smoke_check_at_the_pause_hook_rolls_back_before_production_traffic_moves() {
    let web = FixedStatusServer::start(503).await;
    let HookRelease {
        paused,
        answer: _,
        stop,
        clients,
    } = hook_release();
    let (reporter, output) = plain_reporter();

    let outcome = release(
        &clients,
        &reporter,
        &release_request(Some(smoke(&web.url, 2))),
    )
    .await
    .unwrap();

    let ReleaseOutcome::RolledBack { reason, .. } = &outcome else {
        panic!("expected a rollback, got {outcome:?}");
    };
    assert!(reason.contains("503"), "{reason}");
    assert_eq!(
        *paused.answer.lock().unwrap(),
        Some(DeploymentLifecycleHookAction::Rollback)
    );
    // One check while the test listener shifts, then two failures in a row at the hook.
    assert_eq!(web.requests(), 3, "checks stop once the hook is answered");
    assert_eq!(*paused.weight_before_answer.lock().unwrap(), 0.0);
    // The hook's ROLLBACK is the rollback: no StopServiceDeployment on top of it.
    assert_eq!(stop.num_calls(), 0);
    let printed = output.text();
    println!("{printed}{outcome}");
    assert!(
        printed.contains("answered hook hook-0123456789: ROLLBACK"),
        "{printed}"
    );
    assert!(printed.contains("ROLLBACK_SUCCESSFUL"), "{printed}");
}

/// The service's in-flight deployments as ListServiceDeployments lists them.
fn listed(status: Status, reason: &str) -> ListServiceDeploymentsOutput {
    ListServiceDeploymentsOutput::builder()
        .service_deployments(
            ServiceDeploymentBrief::builder()
                .service_deployment_arn(DEPLOYMENT)
                .target_service_revision_arn(NEW_REVISION)
                .created_at(DateTime::from_secs(200))
                .status(status)
                .status_reason(reason)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn a_deployer_killed_at_the_hook_leaves_the_rollback_to_the_hooks_timeout() {
    let web = FixedStatusServer::start(200).await;
    let HookRelease {
        paused,
        answer,
        stop,
        clients,
    } = hook_release();
    let (reporter, output) = plain_reporter();
    // Many passes needed: the deployer is still checking when it dies.
    let mut smoke = smoke(&web.url, 2);
    smoke.passes_to_continue = 1_000_000;
    smoke.interval = Duration::from_millis(5);

    let died = tokio::time::timeout(
        Duration::from_millis(500),
        release(&clients, &reporter, &release_request(Some(smoke))),
    )
    .await;

    assert!(died.is_err(), "the release was still at the hook");
    assert!(
        output.text().contains("deployment paused at hook"),
        "{}",
        output.text()
    );
    assert_eq!(answer.num_calls(), 0, "a dead deployer answers nothing");
    assert_eq!(stop.num_calls(), 0);
    assert_eq!(*paused.weight_before_answer.lock().unwrap(), 0.0);

    // The hook's timeout takes its ROLLBACK action. The operator, seeing the release gone,
    // runs `deployer rollback`: it follows ECS's rollback and starts nothing of its own.
    let hook_timed_out = "Lifecycle hook hook-0123456789 timed out; rolling back";
    let in_flight = mock!(Ecs::list_service_deployments)
        .then_output(move || listed(Status::RollbackInProgress, hook_timed_out));
    let unwinding = mock!(Ecs::describe_service_deployments)
        .sequence()
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::RollbackInProgress,
                None,
                2,
                0.0,
            ))
        })
        .output(move || {
            let mut done = deployment(DEPLOYMENT, Status::RollbackSuccessful, None, 0, 0.0);
            done.status_reason = Some(hook_timed_out.into());
            described(done)
        })
        .build();
    let update = mock!(Ecs::update_service).then_output(|| unreachable!("no second deployment"));
    let stop = stop_rule(Arc::new(AtomicBool::new(false)));
    let clients = mock_clients(MockRules {
        ecs: vec![&in_flight, &unwinding, &update, &stop],
        ..Default::default()
    });
    let (reporter, output) = plain_reporter();

    let outcome = rollback(&clients, &reporter, &rollback_request())
        .await
        .unwrap();

    assert_eq!(
        outcome,
        RollbackOutcome::InFlightRolledBack {
            deployment: DEPLOYMENT.into(),
            reason: format!("rolled back by ECS: {hook_timed_out}"),
        }
    );
    assert_eq!(update.num_calls(), 0);
    assert_eq!(stop.num_calls(), 0);
    println!("{}{outcome}", output.text());
    assert!(
        output
            .text()
            .contains("ECS is already rolling back (or stopping) deployment new: following it, starting no second deployment"),
        "{}",
        output.text()
    );
}

#[tokio::test]
async fn rollback_while_ecs_rolls_back_or_stops_starts_no_second_deployment() {
    for (status, ended) in [
        (Status::RollbackRequested, Status::RollbackSuccessful),
        (Status::RollbackInProgress, Status::RollbackSuccessful),
        (Status::StopRequested, Status::Stopped),
    ] {
        let in_flight = mock!(Ecs::list_service_deployments)
            .then_output(move || listed(status.clone(), "circuit breaker"));
        let end = ended.clone();
        let unwinding = mock!(Ecs::describe_service_deployments)
            .then_output(move || described(deployment(DEPLOYMENT, end.clone(), None, 0, 0.0)));
        let update = mock!(Ecs::update_service).then_output(|| unreachable!());
        let stop = stop_rule(Arc::new(AtomicBool::new(false)));
        let clients = mock_clients(MockRules {
            ecs: vec![&in_flight, &unwinding, &update, &stop],
            ..Default::default()
        });
        let (reporter, _) = plain_reporter();

        let outcome = rollback(&clients, &reporter, &rollback_request())
            .await
            .unwrap();

        assert_eq!(update.num_calls(), 0, "{ended:?}");
        assert_eq!(stop.num_calls(), 0, "{ended:?}");
        match ended {
            Status::RollbackSuccessful => assert!(outcome.succeeded(), "{outcome}"),
            // Stopped without rollback: the old revision may not serve; say what to do.
            _ => {
                assert!(!outcome.succeeded(), "{outcome}");
                assert!(
                    outcome
                        .to_string()
                        .contains("run `deployer rollback` again"),
                    "{outcome}"
                );
            }
        }
    }
}

/// An alarm in ALARM that entered that state at `entered`, measured over `target_group`.
fn firing(name: &str, entered: SystemTime, target_group: Option<&str>) -> MetricAlarm {
    let mut alarm = MetricAlarm::builder()
        .alarm_name(name)
        .state_value(StateValue::Alarm)
        .state_updated_timestamp(aws_sdk_cloudwatch::primitives::DateTime::from(entered))
        .dimensions(
            Dimension::builder()
                .name("LoadBalancer")
                .value("app/hwdash/1")
                .build(),
        );
    if let Some(arn) = target_group {
        let dimension = &arn[arn.find("targetgroup/").unwrap()..];
        alarm = alarm.dimensions(
            Dimension::builder()
                .name("TargetGroup")
                .value(dimension)
                .build(),
        );
    }
    alarm.build()
}

fn alarms_answer(alarms: Vec<MetricAlarm>) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(move || {
        DescribeAlarmsOutput::builder()
            .set_metric_alarms(Some(alarms.clone()))
            .build()
    })
}

/// A blue/green release that bakes (production on green) until stopped.
struct Baking {
    stopped: Arc<AtomicBool>,
    lifecycle: Rule,
    stop: Rule,
}

fn baking() -> Baking {
    let stopped = Arc::new(AtomicBool::new(false));
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = stopped.clone();
    let lifecycle = mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [DEPLOYMENT])
        .then_compute_output(move |_| {
            let poll = polls.fetch_add(1, Ordering::SeqCst);
            described(match (seen.load(Ordering::SeqCst), poll) {
                (true, _) => deployment(DEPLOYMENT, Status::RollbackSuccessful, None, 0, 0.0),
                (false, 0..=3) => deployment(
                    DEPLOYMENT,
                    Status::InProgress,
                    Some(Stage::BakeTime),
                    2,
                    100.0,
                ),
                (false, _) => deployment(
                    DEPLOYMENT,
                    Status::Successful,
                    Some(Stage::CleanUp),
                    2,
                    100.0,
                ),
            })
        });
    Baking {
        stop: stop_rule(stopped.clone()),
        stopped,
        lifecycle,
    }
}

#[tokio::test]
async fn an_alarm_already_firing_before_the_release_does_not_roll_it_back() {
    let r = release_rules();
    let bake = baking();
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let old_fault = alarms_answer(vec![firing(ALARM, an_hour_ago, None)]);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&bake.lifecycle, &bake.stop]),
        ecr: vec![&r.image],
        cloudwatch: vec![&old_fault],
        ..Default::default()
    });
    let (reporter, output) = plain_reporter();

    let outcome = release(&clients, &reporter, &release_request(None))
        .await
        .unwrap();

    assert!(outcome.succeeded(), "{outcome}");
    assert!(!bake.stopped.load(Ordering::SeqCst));
    assert!(old_fault.num_calls() >= 2);
    let printed = output.text();
    println!("{printed}{outcome}");
    assert_eq!(
        printed
            .matches(&format!(
                "alarm {ALARM} was in ALARM before this release started: not counted"
            ))
            .count(),
        1,
        "named once:\n{printed}"
    );
}

/// The portal service as ECS describes it with its blue/green load balancer configuration.
fn blue_green_service() -> Rule {
    mock!(Ecs::describe_services).then_output(|| {
        let mut service = service(OLD_TD);
        service.load_balancers = Some(vec![
            LoadBalancer::builder()
                .target_group_arn(BLUE_TG)
                .container_name("portal")
                .container_port(8080)
                .advanced_configuration(
                    AdvancedConfiguration::builder()
                        .alternate_target_group_arn(GREEN_TG)
                        .production_listener_rule(RULE)
                        .role_arn("arn:aws:iam::123456789012:role/bg")
                        .build(),
                )
                .build(),
        ]);
        DescribeServicesOutput::builder().services(service).build()
    })
}

/// The production listener rule after the shift: all weight on green (DescribeRules).
fn production_on_green() -> Rule {
    mock!(aws_sdk_elasticloadbalancingv2::Client::describe_rules)
        .match_requests(|r| r.rule_arns() == [RULE])
        .then_output(|| {
            let forward = ForwardActionConfig::builder()
                .target_groups(
                    TargetGroupTuple::builder()
                        .target_group_arn(BLUE_TG)
                        .weight(0)
                        .build(),
                )
                .target_groups(
                    TargetGroupTuple::builder()
                        .target_group_arn(GREEN_TG)
                        .weight(100)
                        .build(),
                )
                .build();
            DescribeRulesOutput::builder()
                .rules(
                    ListenerRule::builder()
                        .rule_arn(RULE)
                        .actions(
                            Action::builder()
                                .r#type(ActionTypeEnum::Forward)
                                .forward_config(forward)
                                .build(),
                        )
                        .build(),
                )
                .build()
        })
}

#[tokio::test]
async fn only_the_alarms_of_the_target_group_carrying_production_traffic_count() {
    let just_now = SystemTime::now() + Duration::from_secs(1);
    for (firing_group, rolls_back) in [(BLUE_TG, false), (GREEN_TG, true)] {
        let r = release_rules();
        let described_service = blue_green_service();
        let rule = production_on_green();
        let bake = baking();
        let alarm = alarms_answer(vec![firing(ALARM, just_now, Some(firing_group))]);
        let clients = mock_clients(MockRules {
            ecs: vec![
                &described_service,
                &r.describe_task_definition,
                &r.register,
                &r.update,
                &bake.lifecycle,
                &bake.stop,
            ],
            ecr: vec![&r.image],
            cloudwatch: vec![&alarm],
            elbv2: vec![&rule],
            ..Default::default()
        });
        let (reporter, output) = plain_reporter();

        let outcome = release(&clients, &reporter, &release_request(None))
            .await
            .unwrap();

        let printed = output.text();
        println!("{printed}{outcome}");
        assert!(rule.num_calls() >= 1);
        if rolls_back {
            assert_eq!(
                outcome,
                ReleaseOutcome::RolledBack {
                    task_definition: NEW_TD.into(),
                    reason: format!("alarm {ALARM} is in ALARM"),
                }
            );
            assert!(bake.stopped.load(Ordering::SeqCst));
        } else {
            assert!(outcome.succeeded(), "{outcome}");
            assert!(
                printed.contains(&format!(
                    "alarm {ALARM} watches a target group without production traffic: not counted"
                )),
                "{printed}"
            );
        }
    }
}

#[tokio::test]
async fn a_client_exception_fails_with_awss_message_and_redeploys_nothing() {
    let web = FixedStatusServer::start(500).await;
    let r = release_rules();
    let bake = baking();
    let message = "User: arn:aws:sts::123456789012:assumed-role/deployer is not authorized to perform: ecs:StopServiceDeployment";
    let denied = mock!(Ecs::stop_service_deployment).then_error(move || {
        StopServiceDeploymentError::ClientException(
            ClientException::builder()
                .message(message)
                .meta(
                    ErrorMetadata::builder()
                        .code("ClientException")
                        .message(message)
                        .build(),
                )
                .build(),
        )
    });
    let update_back = mock!(Ecs::update_service)
        .match_requests(|r| r.task_definition() == Some(OLD_TD))
        .then_output(|| unreachable!("no redeploy of the old revision behind the operator's back"));
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&bake.lifecycle, &denied, &update_back]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    let (reporter, _) = plain_reporter();

    let err = release(
        &clients,
        &reporter,
        &release_request(Some(smoke(&web.url, 1))),
    )
    .await
    .unwrap_err();

    let text = err.to_string();
    assert!(text.contains("stopping deployment"), "{text}");
    assert!(text.contains(message), "AWS's own message: {text}");
    assert!(text.contains("deployer rollback"), "{text}");
    assert_eq!(denied.num_calls(), 1);
    assert_eq!(update_back.num_calls(), 0);
}

#[tokio::test]
async fn a_held_lock_refuses_the_release_naming_its_holder_and_age() {
    let taken = mock!(aws_sdk_ssm::Client::put_parameter).then_error(|| {
        PutParameterError::ParameterAlreadyExists(
            ParameterAlreadyExists::builder()
                .message("The parameter already exists.")
                .meta(
                    aws_sdk_ssm::error::ErrorMetadata::builder()
                        .code("ParameterAlreadyExists")
                        .build(),
                )
                .build(),
        )
    });
    let held_since = SystemTime::now() - Duration::from_secs(7 * 60);
    let holder = mock!(aws_sdk_ssm::Client::get_parameter).then_output(move || {
        GetParameterOutput::builder()
            .parameter(
                Parameter::builder()
                    .name("/hwdash-deployer/lock/hwdash/portal")
                    .value(r#"{"holder":"ci@runner-7 pid 4242","command":"release portal"}"#)
                    .last_modified_date(aws_sdk_ssm::primitives::DateTime::from(held_since))
                    .build(),
            )
            .build()
    });
    let delete = mock!(aws_sdk_ssm::Client::delete_parameter)
        .then_output(|| DeleteParameterOutput::builder().build());
    let clients = mock_clients(MockRules {
        ssm: vec![&taken, &holder, &delete],
        ..Default::default()
    });
    let (reporter, _) = plain_reporter();
    let ran = AtomicBool::new(false);

    let err = with_lock(
        &clients,
        &reporter,
        &target(),
        "release portal",
        false,
        async {
            ran.store(true, Ordering::SeqCst);
            Ok(())
        },
    )
    .await
    .unwrap_err();

    assert!(matches!(err, DeployError::Locked { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("ci@runner-7 pid 4242"), "{text}");
    assert!(text.contains("release portal"), "{text}");
    assert!(text.contains("7m"), "the lock's age: {text}");
    assert!(text.contains("--force-unlock"), "{text}");
    assert!(!ran.load(Ordering::SeqCst), "nothing runs without the lock");
    assert_eq!(delete.num_calls(), 0, "someone else's lock is left alone");
}

#[tokio::test]
async fn the_lock_is_released_when_the_work_fails_and_force_unlock_takes_a_stale_one() {
    let created = Arc::new(AtomicBool::new(false));
    let seen = created.clone();
    let put = mock!(aws_sdk_ssm::Client::put_parameter)
        .match_requests(|r| r.overwrite() == Some(false))
        .then_compute_output(move |_| {
            seen.store(true, Ordering::SeqCst);
            PutParameterOutput::builder().version(1).build()
        });
    let stale = mock!(aws_sdk_ssm::Client::get_parameter).then_output(|| {
        GetParameterOutput::builder()
            .parameter(
                Parameter::builder()
                    .value(r#"{"holder":"me@laptop pid 1","command":"release portal"}"#)
                    .build(),
            )
            .build()
    });
    let delete = mock!(aws_sdk_ssm::Client::delete_parameter)
        .match_requests(|r| r.name() == Some("/hwdash-deployer/lock/hwdash/portal"))
        .then_output(|| DeleteParameterOutput::builder().build());
    let clients = mock_clients(MockRules {
        ssm: vec![&put, &stale, &delete],
        ..Default::default()
    });
    let (reporter, output) = plain_reporter();

    let err = with_lock(
        &clients,
        &reporter,
        &target(),
        "release portal",
        true,
        async { Err::<(), _>(DeployError::Config("the release failed".into())) },
    )
    .await
    .unwrap_err();

    assert_eq!(
        err.to_string(),
        DeployError::Config("the release failed".into()).to_string()
    );
    assert!(created.load(Ordering::SeqCst));
    // One delete for --force-unlock, one when the failed work let go.
    assert_eq!(delete.num_calls(), 2);
    assert!(
        output.text().contains(
            "removed the lock on service portal held by me@laptop pid 1 (release portal)"
        ),
        "{}",
        output.text()
    );
}

#[tokio::test]
async fn hardwares_rolling_deployment_is_followed_to_its_circuit_breaker_rollback() {
    let r = release_rules();
    let tripped = |status: Status, failures: i32| {
        let mut d = deployment(DEPLOYMENT, status, None, 1, 0.0);
        d.deployment_configuration = Some(
            aws_sdk_ecs::types::DeploymentConfiguration::builder()
                .strategy(aws_sdk_ecs::types::DeploymentStrategy::Rolling)
                .build(),
        );
        d.deployment_circuit_breaker = Some(
            ServiceDeploymentCircuitBreaker::builder()
                .status(if failures >= 3 {
                    ServiceDeploymentRollbackMonitorsStatus::Triggered
                } else {
                    ServiceDeploymentRollbackMonitorsStatus::Monitoring
                })
                .failure_count(failures)
                .threshold(3)
                .build(),
        );
        described(d)
    };
    let lifecycle = mock!(Ecs::describe_service_deployments)
        .sequence()
        .output(move || tripped(Status::InProgress, 1))
        .output(move || tripped(Status::InProgress, 2))
        .output(move || tripped(Status::RollbackInProgress, 3))
        .output(move || tripped(Status::RollbackSuccessful, 3))
        .build();
    let stop = stop_rule(Arc::new(AtomicBool::new(false)));
    let rolling_service = mock!(Ecs::describe_services).then_output(|| {
        let mut service = service(OLD_TD);
        service.deployment_configuration = Some(
            aws_sdk_ecs::types::DeploymentConfiguration::builder()
                .strategy(aws_sdk_ecs::types::DeploymentStrategy::Rolling)
                .build(),
        );
        DescribeServicesOutput::builder().services(service).build()
    });
    let clients = mock_clients(MockRules {
        ecs: vec![
            &rolling_service,
            &r.describe_task_definition,
            &r.register,
            &r.update,
            &lifecycle,
            &stop,
        ],
        ecr: vec![&r.image],
        ..Default::default()
    });
    let (reporter, output) = plain_reporter();
    let mut request = release_request(None);
    request.target.component = Component::Hardware;
    request.follow.alarm_names.clear();

    let outcome = release(&clients, &reporter, &request).await.unwrap();

    assert_eq!(
        outcome,
        ReleaseOutcome::RolledBack {
            task_definition: NEW_TD.into(),
            reason: "deployment circuit breaker: 3 of 3 tasks failed to start or stay healthy"
                .into(),
        }
    );
    assert_eq!(lifecycle.num_calls(), 4);
    assert_eq!(
        stop.num_calls(),
        0,
        "ECS rolls back by itself; the deployer only follows"
    );
    let printed = output.text();
    println!("{printed}{outcome}");
    assert!(printed.contains("(ROLLING deployment)"), "{printed}");
    assert!(printed.contains("failed tasks 2/3"), "{printed}");
}
