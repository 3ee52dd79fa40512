//! SLA thresholds checked at the end of a run, and the exit code that gates CI on them.

mod common;

use common::{TestServer, options, run, settings, write_workflow};

fn workflow(path: &str, step_sla: &str) -> String {
    format!(
        r#"
name = "gate"
duration = "300ms"
sla = ["errors = 0"]

[[actor]]
name = "caller"
target = "api"
count = 2
schedule = {{ requests = 20, every = "1s" }}

[[actor.step]]
name = "call"
path = "{path}"
sla = [{step_sla}]
"#
    )
}

#[tokio::test]
async fn a_fast_endpoint_passes_and_a_slow_one_fails_its_latency_threshold() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();

    let fast = write_workflow(
        dir.path(),
        "fast.toml",
        &workflow("/hit", r#""p99 < 200ms", "max < 1s""#),
    );
    let report = run(&fast, &settings(&server, 1.0, 1.0), &options(16)).await;
    assert!(report.passed, "{:#?}", report.checks);
    assert_eq!(report.checks.len(), 3);

    let slow = write_workflow(
        dir.path(),
        "slow.toml",
        &workflow("/slow", r#""p99 < 200ms", "max < 1s""#),
    );
    let report = run(&slow, &settings(&server, 1.0, 1.0), &options(16)).await;
    assert!(!report.passed);
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.threshold.as_str())
        .collect();
    assert_eq!(failed, vec!["p99 < 200ms"]);
}

#[tokio::test]
async fn error_responses_fail_an_errors_threshold_and_are_counted_by_status() {
    let server = TestServer::start().await;
    let report = server
        .run_inline(&workflow("/fail", r#""max < 1s""#), 16)
        .await;
    assert!(!report.passed);
    let errors = report
        .checks
        .iter()
        .find(|c| c.threshold == "errors = 0")
        .unwrap();
    assert!(!errors.passed);
    // Every response was a 503: the latency threshold had no successful response to judge
    // and fails saying so, rather than passing on how fast the errors came back.
    let latency = report
        .checks
        .iter()
        .find(|c| c.threshold == "max < 1s")
        .unwrap();
    assert!(!latency.passed, "{latency:#?}");
    assert!(
        latency.actual.starts_with("no data: none of"),
        "{}",
        latency.actual
    );
    assert_eq!(report.total.errors, report.total.count);
    assert_eq!(
        report.total.errors_by_kind["status 503"],
        report.total.count
    );
}

#[tokio::test]
async fn connection_failures_are_errors_of_kind_connect() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, noted, closed.
    let port = test_support::free_port();
    let path = write_workflow(
        dir.path(),
        "refused.toml",
        &workflow("/hit", r#""max < 1s""#),
    );
    let settings = loadtest::plan::RunSettings {
        compress: 1.0,
        multiplier: 1.0,
        duration: None,
        targets: [(
            "api".to_owned(),
            format!("api=http://127.0.0.1:{port}").parse().unwrap(),
        )]
        .into_iter()
        .collect(),
        extra_sla: Vec::new(),
    };
    let report = run(&path, &settings, &options(4)).await;
    assert!(!report.passed);
    assert_eq!(
        report.total.errors_by_kind.get("connect"),
        Some(&report.total.count)
    );
}

#[tokio::test]
async fn the_binary_exits_with_2_when_a_threshold_fails_and_0_when_all_pass() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let slow = write_workflow(
        dir.path(),
        "slow.toml",
        &workflow("/slow", r#""p99 < 200ms""#),
    );
    let fast = write_workflow(
        dir.path(),
        "fast.toml",
        &workflow("/hit", r#""p99 < 200ms""#),
    );
    let report_dir = dir.path().join("reports");
    let exit_code = |path: std::path::PathBuf| {
        let base = server.base.clone();
        let report_dir = report_dir.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_loadtest"))
                .arg("run")
                .arg(&path)
                .arg("--target")
                .arg(format!("api={base}"))
                .arg("--report-dir")
                .arg(&report_dir)
                .arg("--progress")
                .arg("never")
                .output()
                .unwrap()
        })
    };
    let failed = exit_code(slow).await.unwrap();
    assert_eq!(
        failed.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&failed.stdout).contains("FAIL gate / caller / call: p99 < 200ms")
    );

    let passed = exit_code(fast).await.unwrap();
    assert_eq!(
        passed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
    // The Markdown report links its SVG charts, which exist.
    let markdown = std::fs::read_to_string(report_dir.join("gate.md")).unwrap();
    assert!(markdown.contains("![latency by percentile](gate-percentiles.svg)"));
    let svg = std::fs::read_to_string(report_dir.join("gate-percentiles.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("gate / caller / call"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report_dir.join("gate.json")).unwrap())
            .unwrap();
    assert_eq!(json["passed"], true);
    assert!(json["total"]["count"].as_u64().unwrap() > 0);
}
