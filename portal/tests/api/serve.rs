//! The application served on a real socket (port 0), as main.rs runs it.

use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use portal::{Application, Cli};

use crate::fake_hardware::FakeHardware;
use crate::helpers::catalog;

async fn wait_until_ready(base: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "portal at {base} never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_served_portal_syncs_in_the_background_and_stops_gracefully() {
    let fake = FakeHardware::start(catalog(7)).await;
    let cli = Cli::try_parse_from([
        "portal",
        "--bind",
        "127.0.0.1:0",
        "--hardware-url",
        &fake.url(),
        "--sync-interval",
        "0.05",
    ])
    .unwrap();
    let app = Application::build(cli.serve).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    wait_until_ready(&base).await;
    let html = reqwest::get(format!("{base}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Showing 1&ndash;7 of 7 profiles"));

    // A change on hardware reaches the page without any request to trigger it.
    fake.upsert(crate::fake_hardware::profile(
        99,
        "Azure",
        "late-arrival",
        Some("HIGH"),
    ));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let html = reqwest::get(format!("{base}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains("late-arrival") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the change never reached the page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("graceful shutdown finishes")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn binding_a_busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let cli = Cli::try_parse_from(["portal", "--bind", &addr]).unwrap();
    let err = Application::build(cli.serve)
        .await
        .err()
        .expect("bind fails");
    assert!(err.to_string().contains(&addr), "{err}");
}

#[tokio::test]
async fn the_healthcheck_subcommand_exits_0_when_healthy_and_1_otherwise() {
    let fake = FakeHardware::start(catalog(1)).await;
    let cli = Cli::try_parse_from([
        "portal",
        "--bind",
        "127.0.0.1:0",
        "--hardware-url",
        &fake.url(),
    ])
    .unwrap();
    let app = Application::build(cli.serve).await.unwrap();
    let url = format!("http://{}/healthz", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));

    let binary = env!("CARGO_BIN_EXE_portal");
    let healthy = tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(["healthcheck", "--url", &url])
            .status()
            .unwrap()
    });
    assert_eq!(healthy.await.unwrap().code(), Some(0));

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = format!("http://{closed}/healthz");
    let output = tokio::task::spawn_blocking(move || {
        Command::new(binary)
            .args(["healthcheck", "--url", &down])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unhealthy"));
}

#[tokio::test]
async fn response_times_are_sent_to_the_metrics_collector_over_udp() {
    let collector = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = collector.local_addr().unwrap().to_string();
    let fake = FakeHardware::start(catalog(1)).await;
    let cli = Cli::try_parse_from([
        "portal",
        "--bind",
        "127.0.0.1:0",
        "--hardware-url",
        &fake.url(),
        "--metrics-udp",
        &collector_addr,
        "--metrics-key",
        "portal-test-1",
    ])
    .unwrap();
    let app = Application::build(cli.serve).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending()));
    reqwest::get(format!("{base}/healthz")).await.unwrap();

    let mut datagram = vec![0u8; 2048];
    let (len, _) = tokio::time::timeout(Duration::from_secs(5), collector.recv_from(&mut datagram))
        .await
        .expect("a datagram within 5 s")
        .unwrap();
    let text = String::from_utf8_lossy(&datagram[..len]).into_owned();
    let line = text.lines().next().unwrap();
    let (key, value) = line.split_once(':').expect("key:value");
    assert_eq!(key, "portal-test-1");
    assert!(value.parse::<f64>().unwrap() >= 0.0, "{line}");
}

#[tokio::test]
async fn an_invalid_metrics_key_is_a_startup_error_naming_it() {
    let cli = Cli::try_parse_from([
        "portal",
        "--bind",
        "127.0.0.1:0",
        "--metrics-udp",
        "127.0.0.1:9",
        "--metrics-key",
        "bad key/with slash",
    ])
    .unwrap();
    let err = Application::build(cli.serve)
        .await
        .err()
        .expect("invalid key");
    let chain = format!("{:?}", anyhow::Error::from(err));
    assert!(chain.contains("bad key/with slash"), "{chain}");
}

#[test]
fn a_max_backoff_below_the_sync_interval_stops_the_binary_naming_both() {
    let output = Command::new(env!("CARGO_BIN_EXE_portal"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--sync-max-backoff",
            "1",
            "--sync-interval",
            "5",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--sync-max-backoff 1s must be at least --sync-interval 5s"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("must be at least").count(),
        1,
        "said once: {stderr}"
    );
}
