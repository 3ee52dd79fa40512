//! The deployment lifecycle moto does not implement (ECS service deployments list/describe/stop,
//! BLUE_GREEN stages, rollback on alarm or failed smoke check), against aws-smithy-mocks: each
//! AWS answer is canned, the deployer's decisions and calls are real. Smoke checks hit a real
//! HTTP server on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_ecs::Client as Ecs;
use aws_sdk_ecs::error::ErrorMetadata;
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::stop_service_deployment::StopServiceDeploymentError;
use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
use aws_sdk_ecs::types::error::UnsupportedFeatureException;
use aws_sdk_ecs::types::{
    ServiceDeploymentAlarms, ServiceDeploymentLifecycleStage as Stage,
    ServiceDeploymentStatus as Status,
};
use aws_smithy_mocks::mock;
use common::canned::*;
use common::mocks::{MockRules, mock_clients};
use common::web::FixedStatusServer;
use deployer::DeployError;
use deployer::progress::{Reporter, SharedBuffer};
use deployer::release::{ReleaseOutcome, release};
use deployer::rollback::{RollbackOutcome, rollback};

#[tokio::test]
async fn a_blue_green_release_is_followed_through_its_stages_to_production() {
    let web = FixedStatusServer::start(200).await;
    let r = release_rules();
    let lifecycle = mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [DEPLOYMENT])
        .sequence()
        .output(|| described(deployment(DEPLOYMENT, Status::Pending, None, 0, 0.0)))
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::ScaleUp),
                1,
                0.0,
            ))
        })
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::TestTrafficShift),
                2,
                0.0,
            ))
        })
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::ProductionTrafficShift),
                2,
                100.0,
            ))
        })
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::BakeTime),
                2,
                100.0,
            ))
        })
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::BakeTime),
                2,
                100.0,
            ))
        })
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::Successful,
                Some(Stage::CleanUp),
                2,
                100.0,
            ))
        })
        .build();
    let stop = stop_rule(Arc::new(AtomicBool::new(false)));
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&lifecycle, &stop]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let outcome = release(
        &clients,
        &reporter,
        &release_request(Some(smoke(&web.url, 2))),
    )
    .await
    .unwrap();

    assert_eq!(
        outcome,
        ReleaseOutcome::Released {
            task_definition: NEW_TD.into()
        }
    );
    assert!(outcome.succeeded());
    assert_eq!(
        outcome.to_string(),
        "released: hwdash-portal:8 serves production traffic"
    );
    assert_eq!(r.register.num_calls(), 1);
    assert_eq!(r.update.num_calls(), 1);
    assert_eq!(lifecycle.num_calls(), 7);
    assert_eq!(stop.num_calls(), 0, "a healthy release is never stopped");
    // The alarms watch production traffic only, so they are read before the new tasks start
    // (PENDING) and from the production shift on, not while only the test listener sees the new
    // revision (production shift, two bake polls); smoke checks once test traffic reaches the
    // new revision (test shift, production shift, two bake polls).
    assert_eq!(alarm_ok.num_calls(), 4);
    assert_eq!(web.requests(), 4);
    let printed = output.text();
    // Shown by `cargo nextest run --no-capture`; docs/deploy.md quotes it.
    println!("{printed}{outcome}");
    for expected in [
        "registered hwdash-portal:8 (portal -> hwdash/portal:v2)",
        "IN_PROGRESS / SCALE_UP  tasks 1/2  production traffic 0%",
        "test listener routes to the new revision: smoke checks start",
        "IN_PROGRESS / BAKE_TIME  tasks 2/2  production traffic 100%  bake 5m 00s left",
        "SUCCESSFUL / CLEAN_UP  tasks 2/2  production traffic 100%",
    ] {
        assert!(
            printed.contains(expected),
            "missing {expected:?} in:\n{printed}"
        );
    }
}

#[tokio::test]
async fn failing_smoke_checks_on_the_test_listener_roll_the_release_back() {
    let web = FixedStatusServer::start(503).await;
    let r = release_rules();
    let stopped = Arc::new(AtomicBool::new(false));
    let lifecycle = baking_until_stopped(stopped.clone());
    let stop = stop_rule(stopped);
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&lifecycle, &stop]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let outcome = release(
        &clients,
        &reporter,
        &release_request(Some(smoke(&web.url, 2))),
    )
    .await
    .unwrap();

    let ReleaseOutcome::RolledBack {
        task_definition,
        reason,
    } = &outcome
    else {
        panic!("expected a rollback, got {outcome:?}");
    };
    assert_eq!(task_definition, NEW_TD);
    assert!(
        reason.starts_with("smoke check failed 2 times in a row"),
        "{reason}"
    );
    assert!(reason.contains("503"), "{reason}");
    assert!(!outcome.succeeded());
    assert_eq!(stop.num_calls(), 1);
    assert_eq!(
        web.requests(),
        2,
        "checks stop once the rollback is requested"
    );
    let printed = output.text();
    println!("{printed}{outcome}");
    assert!(printed.contains("smoke check failure 1: GET"), "{printed}");
    assert!(
        printed.contains("asked ECS to stop deployment new with rollback"),
        "{printed}"
    );
    assert!(printed.contains("ROLLBACK_SUCCESSFUL"), "{printed}");
}

#[tokio::test]
async fn an_alarm_in_alarm_state_rolls_the_release_back() {
    let r = release_rules();
    let stopped = Arc::new(AtomicBool::new(false));
    let lifecycle = baking_until_stopped(stopped.clone());
    let stop = stop_rule(stopped);
    let firing = alarms(StateValue::Alarm);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&lifecycle, &stop]),
        ecr: vec![&r.image],
        cloudwatch: vec![&firing],
        ..Default::default()
    });
    let reporter = Reporter::plain(Box::new(SharedBuffer::default()));

    let outcome = release(&clients, &reporter, &release_request(None))
        .await
        .unwrap();

    assert_eq!(
        outcome,
        ReleaseOutcome::RolledBack {
            task_definition: NEW_TD.into(),
            reason: format!("alarm {ALARM} is in ALARM"),
        }
    );
    assert_eq!(stop.num_calls(), 1);
}

#[tokio::test]
async fn a_rollback_ecs_decided_on_its_own_is_reported_with_the_alarm_that_fired() {
    let r = release_rules();
    let lifecycle = mock!(Ecs::describe_service_deployments)
        .sequence()
        .output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::BakeTime),
                2,
                100.0,
            ))
        })
        .output(|| {
            let mut d = deployment(DEPLOYMENT, Status::RollbackSuccessful, None, 0, 0.0);
            d.alarms = Some(
                ServiceDeploymentAlarms::builder()
                    .alarm_names("hwdash-portal-p99-latency")
                    .triggered_alarm_names("hwdash-portal-p99-latency")
                    .build(),
            );
            described(d)
        })
        .build();
    let stop = stop_rule(Arc::new(AtomicBool::new(false)));
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&lifecycle, &stop]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    let reporter = Reporter::plain(Box::new(SharedBuffer::default()));

    let outcome = release(&clients, &reporter, &release_request(None))
        .await
        .unwrap();

    assert_eq!(
        outcome,
        ReleaseOutcome::RolledBack {
            task_definition: NEW_TD.into(),
            reason: "alarm hwdash-portal-p99-latency fired".into(),
        }
    );
    assert_eq!(stop.num_calls(), 0);
}

#[tokio::test]
async fn when_ecs_cannot_stop_with_rollback_the_service_goes_back_to_the_previous_revision() {
    let web = FixedStatusServer::start(500).await;
    let r = release_rules();
    let lifecycle = mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [DEPLOYMENT])
        .then_output(|| {
            described(deployment(
                DEPLOYMENT,
                Status::InProgress,
                Some(Stage::TestTrafficShift),
                2,
                0.0,
            ))
        });
    let back = mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [BACK])
        .sequence()
        .output(|| {
            described(deployment(
                BACK,
                Status::InProgress,
                Some(Stage::ScaleUp),
                1,
                0.0,
            ))
        })
        .output(|| described(deployment(BACK, Status::Successful, None, 2, 100.0)))
        .build();
    // UnsupportedFeatureException is what the StopServiceDeployment API reference lists for
    // "not supported" (the only error that falls back to UpdateService).
    let refused = mock!(Ecs::stop_service_deployment).then_error(|| {
        StopServiceDeploymentError::UnsupportedFeatureException(
            UnsupportedFeatureException::builder()
                .message("Rollback is not supported for this deployment")
                .meta(
                    ErrorMetadata::builder()
                        .code("UnsupportedFeatureException")
                        .message("Rollback is not supported for this deployment")
                        .build(),
                )
                .build(),
        )
    });
    let update_back = mock!(Ecs::update_service)
        .match_requests(|r| r.task_definition() == Some(OLD_TD))
        .then_output(|| {
            let mut updated = service(OLD_TD);
            updated.current_service_deployment = Some(BACK.into());
            UpdateServiceOutput::builder().service(updated).build()
        });
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&lifecycle, &back, &refused, &update_back]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let outcome = release(
        &clients,
        &reporter,
        &release_request(Some(smoke(&web.url, 1))),
    )
    .await
    .unwrap();

    let ReleaseOutcome::RolledBack { reason, .. } = &outcome else {
        panic!("expected a rollback, got {outcome:?}");
    };
    assert!(reason.contains("500"), "{reason}");
    assert_eq!(refused.num_calls(), 1);
    assert_eq!(update_back.num_calls(), 1);
    assert_eq!(back.num_calls(), 2);
    println!("{}{outcome}", output.text());
    let printed = output.text();
    assert!(
        printed.contains("ECS cannot stop this deployment with rollback (UnsupportedFeatureException: Rollback is not supported for this deployment); updating service portal back to hwdash-portal:7"),
        "{printed}"
    );
}

#[tokio::test]
async fn rollback_stops_the_deployment_in_flight() {
    let in_flight = mock!(Ecs::list_service_deployments)
        .match_requests(|r| r.status().contains(&Status::InProgress))
        .then_output(|| briefs(&[(DEPLOYMENT, NEW_REVISION, 200)]));
    let stopped = Arc::new(AtomicBool::new(false));
    let lifecycle = baking_until_stopped(stopped.clone());
    let stop = stop_rule(stopped);
    let revisions = revisions();
    let clients = mock_clients(MockRules {
        ecs: vec![&in_flight, &lifecycle, &stop, &revisions],
        ..MockRules::default()
    });
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let outcome = rollback(&clients, &reporter, &rollback_request())
        .await
        .unwrap();

    assert_eq!(
        outcome,
        RollbackOutcome::InFlightRolledBack {
            deployment: DEPLOYMENT.into(),
            reason: "requested with `deployer rollback`".into(),
        }
    );
    assert_eq!(stop.num_calls(), 1);
    println!("{}{outcome}", output.text());
    assert!(
        output.text().contains("deployment new is in flight"),
        "{}",
        output.text()
    );
}

#[tokio::test]
async fn rollback_with_nothing_in_flight_returns_to_the_previous_successful_revision() {
    let none_in_flight = mock!(Ecs::list_service_deployments)
        .match_requests(|r| r.status().contains(&Status::InProgress))
        .then_output(|| briefs(&[]));
    let successful = mock!(Ecs::list_service_deployments)
        .match_requests(|r| r.status().is_empty())
        .then_output(|| briefs(&[("d-old", OLD_REVISION, 100), ("d-new", NEW_REVISION, 200)]));
    let current = mock!(Ecs::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(service(NEW_TD))
            .build()
    });
    let old_definition = mock!(Ecs::describe_task_definition)
        .match_requests(|r| r.task_definition() == Some(OLD_TD))
        .then_output(|| {
            DescribeTaskDefinitionOutput::builder()
                .task_definition(task_definition(OLD_TD, "v1"))
                .build()
        });
    // The history reads the deployer's tags of every revision it lists.
    let new_definition = mock!(Ecs::describe_task_definition)
        .match_requests(|r| r.task_definition() == Some(NEW_TD))
        .then_output(|| {
            DescribeTaskDefinitionOutput::builder()
                .task_definition(task_definition(NEW_TD, "v2"))
                .build()
        });
    let update_back = mock!(Ecs::update_service)
        .match_requests(|r| r.task_definition() == Some(OLD_TD))
        .then_output(|| {
            let mut updated = service(OLD_TD);
            updated.current_service_deployment = Some(BACK.into());
            UpdateServiceOutput::builder().service(updated).build()
        });
    let back = mock!(Ecs::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == [BACK])
        .then_output(|| described(deployment(BACK, Status::Successful, None, 2, 100.0)));
    let revisions = revisions();
    let clients = mock_clients(MockRules {
        ecs: vec![
            &none_in_flight,
            &successful,
            &current,
            &old_definition,
            &new_definition,
            &update_back,
            &back,
            &revisions,
        ],
        ..MockRules::default()
    });
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let outcome = rollback(&clients, &reporter, &rollback_request())
        .await
        .unwrap();

    assert_eq!(
        outcome,
        RollbackOutcome::Returned {
            task_definition: OLD_TD.into()
        }
    );
    assert_eq!(
        outcome.to_string(),
        "rolled back: the service runs hwdash-portal:7 again"
    );
    assert_eq!(update_back.num_calls(), 1);
    println!("{}{outcome}", output.text());
    assert!(
        output
            .text()
            .contains("no deployment in flight; returning service portal from hwdash-portal:8 to hwdash-portal:7"),
        "{}",
        output.text()
    );
}

#[tokio::test]
async fn following_gives_up_after_its_timeout_and_says_how_to_carry_on() {
    let r = release_rules();
    let stuck = mock!(Ecs::describe_service_deployments).then_output(|| {
        described(deployment(
            DEPLOYMENT,
            Status::InProgress,
            Some(Stage::ScaleUp),
            1,
            0.0,
        ))
    });
    let alarm_ok = alarms(StateValue::Ok);
    let clients = mock_clients(MockRules {
        ecs: r.ecs_then(&[&stuck]),
        ecr: vec![&r.image],
        cloudwatch: vec![&alarm_ok],
        ..Default::default()
    });
    let reporter = Reporter::plain(Box::new(SharedBuffer::default()));
    let mut request = release_request(None);
    request.follow.timeout = Duration::from_millis(100);

    let err = release(&clients, &reporter, &request).await.unwrap_err();

    assert!(matches!(err, DeployError::TimedOut { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("IN_PROGRESS / SCALE_UP  tasks 1/2"),
        "{message}"
    );
    assert!(message.contains("deployer rollback"), "{message}");
}
