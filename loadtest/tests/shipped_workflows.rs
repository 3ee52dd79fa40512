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
fn workflow1_has_250_endpoints_250_customer_endpoint_readers_and_10_partner_readers() {
    assert_eq!(
        population("workflow1.toml"),
        vec![
            row("workflow1", "app-instance", 250),
            row("workflow1", "customer", 250),
            row("workflow1", "partner", 10),
        ]
    );
}

#[test]
fn workflow2_has_200_endpoints_200_customers_100_partners_and_one_probe() {
    assert_eq!(
        population("workflow2.toml"),
        vec![
            row("workflow2", "app-instance", 200),
            row("workflow2", "customer", 200),
            row("workflow2", "partner", 100),
            row("workflow2", "deepest retrieval", 1),
        ]
    );
}

#[test]
fn workflow3_is_five_workflow1_and_one_workflow2() {
    assert_eq!(
        population("workflow3.toml"),
        vec![
            row("workflow1", "app-instance", 1250),
            row("workflow1", "customer", 1250),
            row("workflow1", "partner", 50),
            row("workflow2", "app-instance", 200),
            row("workflow2", "customer", 200),
            row("workflow2", "partner", 100),
            row("workflow2", "deepest retrieval", 1),
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
    for actor in ["app-instance", "customer"] {
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
    assert_eq!(period_of("workflow1", "customer"), [minutes(10)]);
    assert_eq!(period_of("workflow1", "partner"), [minutes(30)]);
    assert_eq!(period_of("workflow2", "customer"), [minutes(7 * 24 * 60)]);
    let month = period_of("workflow2", "partner");
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
    // Every actor but the one probe is copied ten times.
    assert_eq!(tenfold.actors.len(), 10 * (base.actors.len() - 1) + 1);
    let probe_rate = 1.0 / (30.0 * 86_400.0);
    assert!(
        ((tenfold.iteration_rate() - probe_rate) / (base.iteration_rate() - probe_rate) - 10.0)
            .abs()
            < 1e-6
    );
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

/// (actor, iterations in the run) of the readers, over every instance.
fn reader_iterations(multiplier: f64, duration_s: u64) -> Vec<(String, u64)> {
    let workflow = loadtest::workflow::load(&shipped("workflow3.toml")).unwrap();
    let mut settings = settings();
    settings.multiplier = multiplier;
    settings.duration = Some(std::time::Duration::from_secs(duration_s));
    let plan = plan(&workflow, &settings).unwrap();
    let mut counts: Vec<(String, u64)> = Vec::new();
    for actor in &plan.actors {
        let entry = &plan.stats[actor.program.steps[0].stat];
        if entry.actor == "app-instance" {
            continue;
        }
        let name = format!("{} / {}", plan.workflows[entry.workflow].name, entry.actor);
        let n = actor.iterations(plan.run_time);
        match counts.iter_mut().find(|(a, _)| *a == name) {
            Some(found) => found.1 += n,
            None => counts.push((name, n)),
        }
    }
    counts
}

#[test]
fn readers_retrieve_at_their_real_rates_plus_one_deepest_retrieval_per_run() {
    // A 2-minute run at 1x: 1,250 endpoint readers every 10 minutes read 250 times, the 50
    // partner readers every 30 minutes about 3 times; the weekly and monthly readers of
    // workflow 2 (0.04 and 0.005 expected) not at all; the probe exactly once.
    let at_1x = reader_iterations(1.0, 120);
    assert_eq!(
        at_1x,
        [
            ("workflow1 / customer".to_owned(), 250),
            ("workflow1 / partner".to_owned(), 3),
            ("workflow2 / customer".to_owned(), 0),
            ("workflow2 / partner".to_owned(), 0),
            ("workflow2 / deepest retrieval".to_owned(), 1),
        ]
    );
    // At 10x the customers' retrievals grow tenfold; the probe stays one.
    let at_10x = reader_iterations(10.0, 120);
    let get =
        |counts: &[(String, u64)], name: &str| counts.iter().find(|(a, _)| a == name).unwrap().1;
    assert_eq!(get(&at_10x, "workflow1 / customer"), 2500);
    assert!((25..=35).contains(&get(&at_10x, "workflow1 / partner")));
    assert_eq!(get(&at_10x, "workflow2 / deepest retrieval"), 1);
    // A whole day at 1x: every weekly customer reads 1/7 of the time (200/7 = 28.6).
    let a_day = reader_iterations(1.0, 86_400);
    assert!(
        (28..=30).contains(&get(&a_day, "workflow2 / customer")),
        "{a_day:?}"
    );
}
