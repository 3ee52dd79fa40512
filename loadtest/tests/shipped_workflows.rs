//! The reference workflows shipped in workflows/ load and expand to the populations the
//! issue describes.

use std::path::PathBuf;

use loadtest::plan::{RunSettings, plan};

fn shipped(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("workflows")
        .join(name)
}

fn settings() -> RunSettings {
    let targets = ["portal", "hardware", "metrics"]
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                format!("{name}=http://127.0.0.1:9").parse().unwrap(),
            )
        })
        .collect();
    RunSettings {
        compress: 1.0,
        multiplier: 1.0,
        duration: None,
        targets,
        extra_sla: Vec::new(),
    }
}

/// Actors per (workflow, actor name).
fn population(file: &str) -> Vec<(String, String, usize)> {
    let workflow = loadtest::workflow::load(&shipped(file)).unwrap();
    let plan = plan(&workflow, &settings()).unwrap();
    let mut counts: Vec<(String, String, usize)> = Vec::new();
    for actor in &plan.actors {
        let entry = &plan.stats[actor.program.steps[0].stat];
        let workflow = plan.workflows[entry.workflow].name.clone();
        match counts
            .iter_mut()
            .find(|(w, a, _)| *w == workflow && *a == entry.actor)
        {
            Some(found) => found.2 += 1,
            None => counts.push((workflow, entry.actor.clone(), 1)),
        }
    }
    counts
}

fn row(workflow: &str, actor: &str, count: usize) -> (String, String, usize) {
    (workflow.to_owned(), actor.to_owned(), count)
}

#[test]
fn workflow1_has_250_endpoints_250_customer_endpoint_readers_and_10_viewers() {
    assert_eq!(
        population("workflow1.toml"),
        vec![
            row("workflow1", "app-instance", 250),
            row("workflow1", "api-client", 250),
            row("workflow1", "dashboard-viewer", 10),
        ]
    );
}

#[test]
fn workflow2_has_200_endpoints_200_customers_and_100_partners() {
    assert_eq!(
        population("workflow2.toml"),
        vec![
            row("workflow2", "app-instance", 200),
            row("workflow2", "api-client", 200),
            row("workflow2", "dashboard-viewer", 100),
        ]
    );
}

#[test]
fn workflow3_is_five_workflow1_and_one_workflow2() {
    assert_eq!(
        population("workflow3.toml"),
        vec![
            row("workflow1", "app-instance", 1250),
            row("workflow1", "api-client", 1250),
            row("workflow1", "dashboard-viewer", 50),
            row("workflow2", "app-instance", 200),
            row("workflow2", "api-client", 200),
            row("workflow2", "dashboard-viewer", 100),
        ]
    );
    // Events: 1250 endpoints x 60 per 2 min + 200 x 10 per 2 min = 641.7 per second.
    let workflow = loadtest::workflow::load(&shipped("workflow3.toml")).unwrap();
    let plan = plan(&workflow, &settings()).unwrap();
    let events: f64 = plan
        .actors
        .iter()
        .filter(|a| a.program.steps[0].step.name == "send event")
        .map(|a| 1.0 / a.period.as_secs_f64())
        .sum();
    assert!((events - 641.67).abs() < 0.01, "{events}");
}
