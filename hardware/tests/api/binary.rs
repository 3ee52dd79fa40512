//! The real `hardware` binary: configuration from the environment, SIGTERM, subcommands.

use std::process::{Command, Stdio};
use std::time::Duration;

use test_support::process::Running;
use test_support::{free_port, http, wait};

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hardware"))
}

#[tokio::test]
async fn the_binary_reads_its_environment_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = Running::new(
        binary()
            .env("HARDWARE_BIND", &bind)
            .env("DATABASE_URL", dir.path().join("hw.db"))
            .env("AVAILABILITY_SOURCE", "fake")
            .env("FAKE_COMPUTE_MS", "1")
            .env("LOG_FORMAT", "json")
            .env("HTTP_DRAIN_DELAY", "2")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );

    let rows = http::wait_for(
        &format!("http://{bind}/hardware/"),
        Duration::from_secs(20),
        "the binary to answer",
        |_, _| true,
    )
    .await;
    let rows: serde_json::Value = serde_json::from_str(&rows).unwrap();
    assert_eq!(rows[0]["name"], "c5");

    let health = binary()
        .args(["healthcheck", "--bind", &bind])
        .status()
        .unwrap();
    assert!(health.success());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let client = reqwest::Client::new();
    // Readiness goes first: during the drain delay /readyz says 503 while pages are served.
    // (polled: the signal reaches the process a moment after `kill` returns)
    let readiness = loop {
        let response = client
            .get(format!("http://{bind}/readyz"))
            .send()
            .await
            .expect("still accepting during the drain");
        if response.status() == 503 {
            break response.text().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(readiness.contains("draining"), "{readiness}");
    let page = client
        .get(format!("http://{bind}/hardware/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "still serving during the drain");
    assert_eq!(page.headers()["connection"], "close");
    let status = wait::until(
        Duration::from_secs(15),
        Duration::from_millis(50),
        async || child.exited().ok_or("no exit after SIGTERM"),
    )
    .await;
    assert!(status.success(), "exit status {status}");
    let mut logs = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut logs).unwrap();
    let first = logs.lines().next().unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "LOG_FORMAT=json gives JSON lines: {first}"
    );
    assert!(logs.contains("hardware stopped"));

    let unhealthy = binary()
        .args(["healthcheck", "--bind", &bind, "--timeout", "1"])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        !unhealthy.success(),
        "healthcheck fails once the service is gone"
    );
}

#[test]
fn seed_grows_the_catalog_and_reports_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("big.db");
    let output = binary()
        .args(["seed", "--quiet", "--profiles", "2000", "--database"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("now has 2000"), "{stdout}");
}

#[test]
fn bad_flags_and_databases_fail_with_a_message_naming_them() {
    let output = binary()
        .args(["--refresh-interval", "often"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("often"));

    let dir = tempfile::tempdir().unwrap();
    let not_ours = dir.path().join("notes.db");
    std::fs::write(&not_ours, b"this is not a database").unwrap();
    let output = binary()
        .args(["--bind", "127.0.0.1:0", "--database"])
        .arg(&not_ours)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("notes.db"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A lease that a computation can outlast is refused before the database is touched.
    let fresh = dir.path().join("fresh.db");
    for (lease, extra) in [
        ("3", &[][..]),
        (
            "0.2",
            &["--availability-source", "fake", "--fake-compute-ms", "500"][..],
        ),
    ] {
        let output = binary()
            .args(["--bind", "127.0.0.1:0", "--claim-lease", lease])
            .args(extra)
            .arg("--database")
            .arg(&fresh)
            .output()
            .unwrap();
        assert!(!output.status.success(), "--claim-lease {lease} accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("--claim-lease {lease}s")),
            "--claim-lease {lease}: {stderr}"
        );
        assert!(!fresh.exists(), "the database was created anyway");
    }
}

#[test]
fn a_database_in_a_missing_directory_is_refused_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nonexistent/dir");
    for subcommand in [&[][..], &["seed", "--profiles", "10"][..]] {
        let output = binary()
            .args(subcommand)
            .arg("--database")
            .arg(missing.join("hw.db"))
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "the directory {} does not exist",
                missing.display()
            )),
            "{subcommand:?}: {stderr}"
        );
        assert!(!missing.exists(), "{subcommand:?} created the directory");
    }
}

#[test]
fn a_busy_port_fails_the_start_before_the_database_is_created() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hw.db");
    let output = binary()
        .args(["--bind", &bind, "--database"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("--bind {bind}")), "{stderr}");
    assert!(
        !db.exists(),
        "the database was created before the bind failed"
    );
}

#[test]
fn a_negative_duration_is_refused_naming_the_flag() {
    let output = binary()
        .args(["--refresh-interval", "-5"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--refresh-interval") && stderr.contains("durations are non-negative"),
        "{stderr}"
    );
}

#[tokio::test]
async fn response_times_reach_a_metrics_collector_over_udp() {
    let collector = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bind = format!("127.0.0.1:{}", free_port());
    let mut child = Running::new(
        binary()
            .env("HARDWARE_BIND", &bind)
            .env("DATABASE_URL", dir.path().join("hw.db"))
            .env("AVAILABILITY_SOURCE", "fake")
            .env("METRICS_UDP", collector.local_addr().unwrap().to_string())
            .env("METRICS_KEY", "hardware-under-test")
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    http::wait_for(
        &format!("http://{bind}/hardware/?provider=Azure"),
        Duration::from_secs(20),
        "the binary to answer",
        |_, _| true,
    )
    .await;
    let mut datagram = [0u8; 1500];
    let received = tokio::time::timeout(Duration::from_secs(10), collector.recv(&mut datagram))
        .await
        .expect("a datagram within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&datagram[..received]).to_string();
    child.kill();
    let line = text.lines().next().unwrap();
    let (key, value) = line.split_once(':').expect("key:value lines");
    assert_eq!(key, "hardware-under-test");
    assert!(value.parse::<f64>().unwrap() >= 0.0, "{line}");
}

#[test]
fn the_binary_writes_its_backlog_as_embedded_metric_format_lines_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Running::new(
        binary()
            .env("HARDWARE_BIND", "127.0.0.1:0")
            .env("DATABASE_URL", dir.path().join("hw.db"))
            // The real (5 s) computation: the seed catalog stays due while the test reads.
            .env("AVAILABILITY_SOURCE", "real")
            .env("COMPUTE_WORKERS", "1")
            .env("BACKLOG_METRIC_NAMESPACE", "test-stack/hardware")
            .env("BACKLOG_METRIC_INTERVAL", "0.2")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("no backlog line on stdout within 20 s");
    child.kill();
    let emf: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    let directive = &emf["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "test-stack/hardware");
    assert_eq!(emf["ServiceName"], "hardware");
    // Nothing is computed yet (one worker, 5 s each): every seeded profile is due.
    let due = emf["DueProfiles"].as_u64().expect("DueProfiles is a count");
    assert!(due > 10, "expected the seed catalog to be due, got {due}");
}

#[test]
fn log_lines_written_to_a_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let output = binary()
        .args(["seed", "--quiet", "--profiles", "100", "--database"])
        .arg(dir.path().join("hw.db"))
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INFO"), "expected text log lines: {stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escape in piped logs: {stderr:?}"
    );
}
