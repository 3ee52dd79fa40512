//! Shutdown and failure: what is kept and what keeps working.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use metrics::Role;
use metrics::domain::UtcHour;
use metrics::storage::SqliteStore;
use metrics_client::{ClientConfig, MetricsClient};
use test_support::process::Running;
use test_support::{free_port, free_udp_port, http, wait};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_flushes_what_arrived_since_the_last_flush() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("m.db");
    // The test config flushes hourly, so only the final flush can store these.
    let app = spawn_app(Role::All, &database, &[]).await;
    let hour = UtcHour::now();
    send_udp(app.udp.unwrap(), b"stopping:4\nstopping:6");
    app.wait_for_udp_ingested(2).await;
    app.stop().await.unwrap();
    let stored = SqliteStore::open(&database)
        .unwrap()
        .read("stopping", hour)
        .unwrap();
    assert_eq!(stored.map(|stats| stats.count), Some(2));
}

/// A `metrics` process on ephemeral ports; killed when dropped.
struct Process {
    _child: Running,
    base: String,
    udp: std::net::SocketAddr,
}

async fn start_process(role: &str, database: &std::path::Path) -> Process {
    let (http_port, udp_port) = (free_port(), free_udp_port());
    let child = Command::new(env!("CARGO_BIN_EXE_metrics"))
        .args([
            "--role",
            role,
            "--flush-interval",
            "0.2",
            "--udp-workers",
            "1",
        ])
        .arg("--bind")
        .arg(format!("127.0.0.1:{http_port}"))
        .arg("--udp")
        .arg(format!("127.0.0.1:{udp_port}"))
        .arg("--database")
        .arg(database)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("metrics binary starts");
    let process = Process {
        _child: child.into(),
        base: format!("http://127.0.0.1:{http_port}"),
        udp: format!("127.0.0.1:{udp_port}").parse().unwrap(),
    };
    http::wait_for(
        &format!("{}/readyz", process.base),
        Duration::from_secs(10),
        &format!("metrics {role} to start"),
        |_, _| true,
    )
    .await;
    process
}

async fn stored_count(base: &str, key: &str, hours: &[UtcHour]) -> u64 {
    let mut total = 0;
    for hour in hours {
        let response = reqwest::get(format!("{base}{}", query_path(key, "average", *hour)))
            .await
            .unwrap();
        if response.status() == 200 {
            let body: serde_json::Value = response.json().await.unwrap();
            total += body["count"].as_u64().unwrap();
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_a_collector_killed_while_clients_send_leaves_clients_and_queries_working() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shared.db");
    let doomed = start_process("collector", &database).await;
    let survivor = start_process("all", &database).await;
    let client = MetricsClient::spawn(ClientConfig {
        collectors: vec![doomed.udp, survivor.udp],
        key: "portal-kill-1".into(),
        queue_capacity: 10_000,
    })
    .unwrap();
    let first_hour = UtcHour::now();

    let mut doomed = Some(doomed);
    let mut slowest_record = Duration::ZERO;
    let mut recorded_after_kill = 0u64;
    let sends = 300u64;
    for i in 0..sends {
        if i == 100 {
            // SIGKILL: no final flush, like a crash.
            drop(doomed.take());
        }
        let started = Instant::now();
        client.record(1.0 + i as f64);
        slowest_record = slowest_record.max(started.elapsed());
        if i >= 120 {
            recorded_after_kill += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let hours = [first_hour, UtcHour::now()];
    let hours = if hours[0] == hours[1] {
        &hours[..1]
    } else {
        &hours[..]
    };

    // The client never waited: recording is a queue push even while a collector dies. (The
    // bound is far above a push preempted on a loaded machine and far below any wait on the
    // dead collector, whose failover window is 5 s.)
    assert!(
        slowest_record < Duration::from_millis(250),
        "record took {slowest_record:?}"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stats = client.stats();
    assert_eq!(stats.queued, sends, "{stats:?}");
    assert!(
        stats.send_errors >= 1,
        "the client never noticed the dead collector: {stats:?}"
    );
    assert_eq!(stats.sent + stats.dropped, sends, "{stats:?}");

    // The survivor got everything sent after the failover and still answers queries; values
    // the dead collector held unflushed, or that went to it before the refusal surfaced, are
    // the documented loss.
    let stored = wait::until(
        Duration::from_secs(5),
        Duration::from_millis(100),
        async || {
            let stored = stored_count(&survivor.base, "portal-kill-1", hours).await;
            if stored >= recorded_after_kill {
                return Ok(stored);
            }
            Err(format!(
                "{stored} stored, {recorded_after_kill} sent after the kill"
            ))
        },
    )
    .await;
    assert!(stored <= sends);
    let health = reqwest::get(format!("{}/healthz", survivor.base))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

/// A start that fails on its configuration or a busy port leaves no database behind.
#[test]
fn a_failed_start_creates_no_database_and_says_why_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nonexistent");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    for (bind, database, needle) in [
        ("127.0.0.1:0", missing.join("m.db"), "does not exist"),
        (busy.as_str(), dir.path().join("m.db"), "--bind"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_metrics"))
            .args(["--bind", bind, "--udp", "127.0.0.1:0", "--database"])
            .arg(&database)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{bind} {database:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches(needle).count(), 1, "{stderr}");
        assert!(!database.exists() && !missing.exists(), "{stderr}");
    }
}
