//! `loadtest seed`: the writers' history, in time order, up to the wall clock, and only what
//! the run's readers read with `--scope read`.

mod common;

use std::time::Duration;

use common::write_workflow;
use loadtest::plan::RunSettings;
use loadtest::seed::{SeedError, SeedScope, seed};

const SHOP: &str = r#"
name = "shop"
duration = "1m"
history = "10m"

[[actor]]
name = "app-instance"
target = "metrics"
groups = [{ count = 2, members = 3 }]
group_var = "customer"
member_var = "endpoint"
schedule = { requests = 6, every = "1m" }

[[actor.step]]
name = "send event"
method = "POST"
path = "/ingest"
body = "pa.c{customer}.e{endpoint}.req:{random:1-900}\n"

[[actor]]
name = "reader"
target = "metrics"
count = 1
schedule = { requests = 1, every = "30d" }
start = "in_run"

[[actor.step]]
name = "read"
path = "/events?prefix=pa.c{group}.&from={time:-10m}&to={time}&limit=50"
paginate = { by = "link" }
"#;

fn settings(multiplier: f64) -> RunSettings {
    RunSettings {
        compress: 1.0,
        multiplier,
        duration: None,
        targets: Default::default(),
        extra_sla: Vec::new(),
    }
}

fn now_micros() -> i64 {
    loadtest::workflow::template::now_micros()
}

/// (received_at, key, value) of every line written.
fn seeded(scope: SeedScope, multiplier: f64) -> Vec<(i64, String, u64)> {
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(dir.path(), "shop.toml", SHOP);
    let workflow = loadtest::workflow::load(&path).unwrap();
    let mut out = Vec::new();
    let summary = seed(&workflow, &settings(multiplier), scope, &mut out).unwrap();
    let lines: Vec<(i64, String, u64)> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| {
            let (at, message) = line.split_once('\t').expect("micros TAB message");
            let (key, value) = message.split_once(':').expect("key:value");
            (at.parse().unwrap(), key.to_owned(), value.parse().unwrap())
        })
        .collect();
    assert_eq!(summary.events, lines.len() as u64);
    lines
}

#[test]
fn every_writer_gets_its_history_at_its_rate_oldest_first_up_to_now() {
    let before = now_micros();
    let lines = seeded(SeedScope::All, 1.0);
    let after = now_micros();
    // 6 writers x 10 minutes x 6 per minute = 360 events (each writer 60, give or take the
    // one its phase puts at either end).
    assert!((354..=366).contains(&lines.len()), "{}", lines.len());
    let ten_minutes = Duration::from_secs(600).as_micros() as i64;
    assert!(
        lines.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "time order"
    );
    assert!(lines.first().unwrap().0 >= before - ten_minutes);
    assert!(lines.last().unwrap().0 < after);
    // The newest event is within one period (10 s) of the end: no gap before the run.
    assert!(lines.last().unwrap().0 > before - 10_000_000);
    let keys: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.1.as_str()).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    for key in keys {
        let times: Vec<i64> = lines.iter().filter(|l| l.1 == key).map(|l| l.0).collect();
        assert!((59..=61).contains(&times.len()), "{key}: {}", times.len());
        assert!(
            times.windows(2).all(|pair| pair[1] - pair[0] == 10_000_000),
            "{key}"
        );
    }
    assert!(lines.iter().all(|l| (1..=900).contains(&l.2)));
}

#[test]
fn read_scope_writes_only_the_keys_a_reader_of_the_run_reads() {
    // The reader reads customer 0; customer 1's three endpoints are left out.
    let lines = seeded(SeedScope::Read, 1.0);
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|l| l.1.starts_with("pa.c0.")),
        "{:?}",
        &lines[..3]
    );
    // The multiplier plans twice the writers, so twice the history.
    let grown = seeded(SeedScope::All, 2.0);
    assert!((708..=732).contains(&grown.len()), "{}", grown.len());
}

#[test]
fn compressed_time_and_workflows_without_history_are_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(dir.path(), "shop.toml", SHOP);
    let workflow = loadtest::workflow::load(&path).unwrap();
    let mut compressed = settings(1.0);
    compressed.compress = 10.0;
    let error = seed(&workflow, &compressed, SeedScope::All, &mut Vec::new()).unwrap_err();
    assert!(matches!(error, SeedError::Compressed(_)));
    assert!(
        error.to_string().contains("seed with --compress 1"),
        "{error}"
    );

    let bare = write_workflow(
        dir.path(),
        "bare.toml",
        &SHOP.replace("history = \"10m\"\n", ""),
    );
    let workflow = loadtest::workflow::load(&bare).unwrap();
    let error = seed(&workflow, &settings(1.0), SeedScope::All, &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("has a `history`"), "{error}");
}
