//! Two `deployer rollback`s in a row against one ECS account whose state the calls change (a
//! small stateful stand-in built from aws-smithy-mocks rules, answering as the ECS API
//! reference documents: UpdateService starts a deployment, ListServiceDeployments lists it,
//! TagResource tags the task definition, DescribeTaskDefinition(include TAGS) reads tags back).
//!
//! The bad release is revision 7. The first rollback returns to 6 and marks 7 as rolled back;
//! the second must go on to 5, never back to 7 (the newest successful deployment other than
//! the running one, which is what a naive rollback would pick).

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_ecs::Client as Ecs;
use aws_sdk_ecs::operation::describe_service_deployments::DescribeServiceDeploymentsOutput;
use aws_sdk_ecs::operation::describe_service_revisions::DescribeServiceRevisionsOutput;
use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::list_service_deployments::ListServiceDeploymentsOutput;
use aws_sdk_ecs::operation::tag_resource::TagResourceOutput;
use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
use aws_sdk_ecs::primitives::DateTime;
use aws_sdk_ecs::types::{
    ServiceDeploymentBrief, ServiceDeploymentStatus as Status, ServiceRevision, Tag,
};
use aws_smithy_mocks::mock;
use common::canned::{deployment, rollback_request, service, task_definition};
use common::mocks::{MockRules, mock_clients};
use deployer::progress::{Reporter, SharedBuffer};
use deployer::rollback::{RollbackOutcome, rollback};

fn td(revision: u32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:task-definition/hwdash-portal:{revision}")
}

fn service_revision(revision: u32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:service-revision/hwdash/portal/{revision}00")
}

fn revision_of(task_definition: &str) -> u32 {
    task_definition.rsplit(':').next().unwrap().parse().unwrap()
}

/// What the account holds.
struct Account {
    running: String,
    /// (deployment ARN, task definition, created at), all SUCCESSFUL.
    deployments: Vec<(String, String, i64)>,
    tags: HashMap<String, Vec<Tag>>,
    updates: Vec<String>,
}

#[tokio::test]
async fn two_rollbacks_in_a_row_never_return_to_the_bad_release() {
    let account = Arc::new(Mutex::new(Account {
        running: td(7),
        deployments: [5, 6, 7]
            .iter()
            .map(|r| (format!("d{r}"), td(*r), i64::from(*r) * 100))
            .collect(),
        tags: HashMap::new(),
        updates: Vec::new(),
    }));

    let a = account.clone();
    let in_flight = mock!(Ecs::list_service_deployments)
        .match_requests(|r| !r.status().is_empty())
        .then_output(|| ListServiceDeploymentsOutput::builder().build());
    let listed = mock!(Ecs::list_service_deployments)
        .match_requests(|r| r.status().is_empty())
        .then_compute_output(move |_| {
            let account = a.lock().unwrap();
            let mut output = ListServiceDeploymentsOutput::builder();
            for (arn, task_definition, created) in &account.deployments {
                output = output.service_deployments(
                    ServiceDeploymentBrief::builder()
                        .service_deployment_arn(arn)
                        .target_service_revision_arn(service_revision(revision_of(task_definition)))
                        .created_at(DateTime::from_secs(*created))
                        .status(Status::Successful)
                        .build(),
                );
            }
            output.build()
        });
    let revisions = mock!(Ecs::describe_service_revisions).then_compute_output(|r| {
        let mut output = DescribeServiceRevisionsOutput::builder();
        for arn in r.service_revision_arns() {
            let revision: u32 = arn.rsplit('/').next().unwrap()[..1].parse().unwrap();
            output = output.service_revisions(
                ServiceRevision::builder()
                    .service_revision_arn(arn)
                    .task_definition(td(revision))
                    .build(),
            );
        }
        output.build()
    });
    let a = account.clone();
    let definitions = mock!(Ecs::describe_task_definition).then_compute_output(move |r| {
        let arn = r.task_definition().unwrap().to_string();
        let tags = a
            .lock()
            .unwrap()
            .tags
            .get(&arn)
            .cloned()
            .unwrap_or_default();
        DescribeTaskDefinitionOutput::builder()
            .task_definition(task_definition(&arn, &format!("v{}", revision_of(&arn))))
            .set_tags(Some(tags))
            .build()
    });
    let a = account.clone();
    let services = mock!(Ecs::describe_services).then_compute_output(move |_| {
        let running = a.lock().unwrap().running.clone();
        DescribeServicesOutput::builder()
            .services(service(&running))
            .build()
    });
    let a = account.clone();
    let update = mock!(Ecs::update_service).then_compute_output(move |r| {
        let mut account = a.lock().unwrap();
        let to = r.task_definition().unwrap().to_string();
        let arn = format!("back-{}", account.updates.len());
        let created = 1000 + account.updates.len() as i64;
        account.deployments.push((arn.clone(), to.clone(), created));
        account.updates.push(to.clone());
        account.running = to.clone();
        let mut updated = service(&to);
        updated.current_service_deployment = Some(arn);
        UpdateServiceOutput::builder().service(updated).build()
    });
    let deployments = mock!(Ecs::describe_service_deployments).then_compute_output(|r| {
        DescribeServiceDeploymentsOutput::builder()
            .service_deployments(deployment(
                &r.service_deployment_arns()[0],
                Status::Successful,
                None,
                2,
                100.0,
            ))
            .build()
    });
    let a = account.clone();
    let tag = mock!(Ecs::tag_resource).then_compute_output(move |r| {
        let mut account = a.lock().unwrap();
        let tags = account
            .tags
            .entry(r.resource_arn().unwrap().to_string())
            .or_default();
        tags.extend(r.tags().iter().cloned());
        TagResourceOutput::builder().build()
    });
    let clients = mock_clients(MockRules {
        ecs: vec![
            &tag,
            &in_flight,
            &listed,
            &revisions,
            &definitions,
            &services,
            &update,
            &deployments,
        ],
        ..Default::default()
    });
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let first = rollback(&clients, &reporter, &rollback_request())
        .await
        .unwrap();
    let second = rollback(&clients, &reporter, &rollback_request())
        .await
        .unwrap();

    println!("{}{first}\n{second}", output.text());
    assert_eq!(
        first,
        RollbackOutcome::Returned {
            task_definition: td(6)
        }
    );
    assert_eq!(
        second,
        RollbackOutcome::Returned {
            task_definition: td(5)
        }
    );

    // `deployer history` reads the same account back: newest first, each revision a rollback
    // left marked.
    let history = deployer::history::read(&clients, &common::canned::target())
        .await
        .unwrap();
    let shown = history.to_string();
    println!("{shown}");
    let rows: Vec<&str> = shown.lines().skip(2).collect();
    assert_eq!(rows.len(), 5, "{shown}");
    assert!(
        rows[0].contains("hwdash-portal:5") && !rows[0].contains("rolled back"),
        "{shown}"
    );
    assert!(
        rows[1].contains("hwdash-portal:6") && rows[1].contains("(rolled back: "),
        "{shown}"
    );
    assert!(
        rows[2].contains("hwdash-portal:7") && rows[2].contains("(rolled back: "),
        "{shown}"
    );
    // Tag values allow no backquote: the deployer writes `_` in its place.
    assert!(
        rows[2].contains("requested with _deployer rollback_"),
        "{shown}"
    );

    let account = account.lock().unwrap();
    assert_eq!(account.updates, [td(6), td(5)]);
    let rolled_back: Vec<&String> = account
        .tags
        .iter()
        .filter(|(_, tags)| tags.iter().any(|t| t.key() == Some("hwdash:rolled-back")))
        .map(|(td, _)| td)
        .collect();
    let mut rolled_back: Vec<String> = rolled_back.into_iter().cloned().collect();
    rolled_back.sort();
    assert_eq!(
        rolled_back,
        [td(6), td(7)],
        "each rollback marks what it left"
    );
    assert!(
        output
            .text()
            .contains("last known good release: deployment d5 (hwdash-portal:5)"),
        "{}",
        output.text()
    );
}
