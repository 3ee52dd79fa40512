//! Composition: a workflow made of instances of others, each instance with its own actors.

mod common;

use std::collections::BTreeSet;

use common::{TestServer, options, run, settings, step, write_workflow};

const EVENTS: &str = r#"
name = "events"
sla = ["errors = 0"]

[[actor]]
name = "app-instance"
target = "api"
groups = [{ count = 2, members = 3 }]
group_var = "customer"
member_var = "endpoint"
schedule = { requests = 60, every = "2m" }

[[actor.step]]
name = "send event"
method = "POST"
path = "/ingest"
body = "i{instance}-c{customer}-e{endpoint}:{random:1-900}"
"#;

const READERS: &str = r#"
name = "readers"

[[actor]]
name = "reader"
target = "api"
count = 2
schedule = { requests = 1, every = "1w" }
start = "in_run"

[[actor.step]]
name = "list"
path = "/items?page={page}&per_page=100"
paginate = { by = "link" }
"#;

const COMBINED: &str = r#"
name = "combined"
duration = "2m"
sla = ["max < 1s"]
include = [
    { workflow = "events.toml", instances = 3 },
    { workflow = "readers.toml", instances = 1 },
]
"#;

#[tokio::test]
async fn included_workflows_run_once_per_instance_with_their_own_variables() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    write_workflow(dir.path(), "events.toml", EVENTS);
    write_workflow(dir.path(), "readers.toml", READERS);
    let path = write_workflow(dir.path(), "combined.toml", COMBINED);
    let report = run(&path, &settings(&server, 1000.0, 1.0), &options(32)).await;

    // 3 instances x 6 endpoints x 60 events in 2 minutes (compressed to 120 ms).
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 3 * 6 * 60);
    let keys: BTreeSet<String> = bodies
        .iter()
        .map(|b| b.split(':').next().unwrap().to_owned())
        .collect();
    let expected: BTreeSet<String> = (0..3)
        .flat_map(|i| (0..2).flat_map(move |c| (0..3).map(move |e| format!("i{i}-c{c}-e{e}"))))
        .collect();
    assert_eq!(keys, expected);
    // Values come from {random:1-900}.
    assert!(bodies.iter().all(|b| {
        let value: u64 = b.split(':').nth(1).unwrap().parse().unwrap();
        (1..=900).contains(&value)
    }));

    // The weekly readers (`start = "in_run"`) read once each in a 2-minute run, following
    // 3 pages each.
    assert_eq!(
        step(&report, "readers", "reader", "list (all pages)").count,
        2
    );
    assert_eq!(step(&report, "readers", "reader", "list").count, 6);

    // Results of all instances are reported together, under the included workflow's name,
    // and the parent's totals cover them.
    let events = report
        .workflows
        .iter()
        .find(|w| w.name == "events")
        .unwrap();
    assert_eq!(events.instances, 3);
    assert_eq!(events.parent.as_deref(), Some("combined"));
    let combined = report
        .workflows
        .iter()
        .find(|w| w.name == "combined")
        .unwrap();
    assert_eq!(combined.summary.count, 1080 + 6);
    // Thresholds of parent and included workflows are both checked.
    let scopes: Vec<&str> = report.checks.iter().map(|c| c.scope.as_str()).collect();
    assert!(
        scopes.contains(&"combined") && scopes.contains(&"events"),
        "{scopes:?}"
    );
}

#[tokio::test]
async fn a_workflow_that_includes_itself_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_workflow(
        dir.path(),
        "a.toml",
        "include = [{ workflow = \"b.toml\" }]\n",
    );
    let path_b = write_workflow(
        dir.path(),
        "b.toml",
        "include = [{ workflow = \"a.toml\" }]\n",
    );
    let error = loadtest::workflow::load(&path_b).unwrap_err().to_string();
    assert!(error.contains("includes itself"), "{error}");
    assert!(
        error.contains("a.toml") && error.contains("b.toml"),
        "{error}"
    );
}
