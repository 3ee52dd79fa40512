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

#[test]
fn workflow1_customers_have_10_10_10_10_10_25_25_25_25_and_100_endpoints() {
    let workflow = loadtest::workflow::load(&shipped("workflow1.toml")).unwrap();
    let plan = plan(&workflow, &settings()).unwrap();
    for actor in ["app-instance", "api-client"] {
        let mut per_customer = std::collections::BTreeMap::<u64, u64>::new();
        for planned in plan
            .actors
            .iter()
            .filter(|a| plan.stats[a.program.steps[0].stat].actor == actor)
        {
            *per_customer.entry(planned.group).or_default() += 1;
        }
        let mut sizes: Vec<u64> = per_customer.into_values().collect();
        sizes.sort_unstable();
        assert_eq!(sizes, [10, 10, 10, 10, 10, 25, 25, 25, 25, 100], "{actor}");
    }
}

#[test]
fn the_shipped_schedules_are_the_issues_rates() {
    use std::time::Duration;
    let minutes = |m: u64| Duration::from_secs(60 * m);
    let workflow = loadtest::workflow::load(&shipped("workflow3.toml")).unwrap();
    let plan = plan(&workflow, &settings()).unwrap();
    let period_of = |workflow_name: &str, actor: &str| -> Vec<Duration> {
        let mut periods: Vec<Duration> = plan
            .actors
            .iter()
            .filter(|a| {
                let entry = &plan.stats[a.program.steps[0].stat];
                plan.workflows[entry.workflow].name == workflow_name && entry.actor == actor
            })
            .map(|a| a.period)
            .collect();
        periods.dedup();
        periods
    };
    // 60 events every 2 minutes; 10 events over 2 minutes.
    assert_eq!(
        period_of("workflow1", "app-instance"),
        [Duration::from_secs(2)]
    );
    assert_eq!(
        period_of("workflow2", "app-instance"),
        [Duration::from_secs(12)]
    );
    // Customers every 10 minutes, partners every 30; a week and a month in workflow 2.
    assert_eq!(period_of("workflow1", "api-client"), [minutes(10)]);
    assert_eq!(period_of("workflow1", "dashboard-viewer"), [minutes(30)]);
    assert_eq!(period_of("workflow2", "api-client"), [minutes(7 * 24 * 60)]);
    let month = period_of("workflow2", "dashboard-viewer");
    assert_eq!(month.len(), 1);
    assert!(month[0] >= minutes(28 * 24 * 60) && month[0] <= minutes(31 * 24 * 60));
}

#[test]
fn ten_times_workflow3_is_ten_times_the_actors_with_distinct_customer_keys() {
    let workflow = loadtest::workflow::load(&shipped("workflow3.toml")).unwrap();
    let mut grown = settings();
    grown.multiplier = 10.0;
    let base = plan(&workflow, &settings()).unwrap();
    let tenfold = plan(&workflow, &grown).unwrap();
    assert_eq!(tenfold.actors.len(), 10 * base.actors.len());
    assert!((tenfold.iteration_rate() / base.iteration_rate() - 10.0).abs() < 1e-6);
    let identities: std::collections::HashSet<(&str, u64, u64, u64)> = tenfold
        .actors
        .iter()
        .map(|a| {
            (
                &*a.instance,
                a.program.steps[0].stat as u64,
                a.group,
                a.member,
            )
        })
        .collect();
    assert_eq!(identities.len(), tenfold.actors.len());
}
