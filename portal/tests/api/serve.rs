//! The application served on a real socket (port 0), as main.rs runs it.

use std::process::Command;
use std::time::Duration;

use clap::Parser;
use portal::{Application, Cli};
use test_support::http::{wait_for, wait_until_ok};

use crate::fake_hardware::FakeHardware;
use crate::helpers::catalog;

/// The application of `portal --bind 127.0.0.1:0 --hardware-url FAKE EXTRA...`, bound.
async fn build(fake: &FakeHardware, extra: &[&str]) -> Application {
    let hardware_url = fake.url();
    let mut argv = vec![
        "portal",
        "--bind",
        "127.0.0.1:0",
        "--hardware-url",
        &hardware_url,
    ];
    argv.extend_from_slice(extra);
    let cli = Cli::try_parse_from(argv).unwrap();
    Application::build(cli.serve).await.unwrap()
}

/// Serves `app` until the test ends; returns `http://ADDR`.
fn serve_until_the_test_ends(app: Application) -> String {
    let base = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until(std::future::pending::<()>()));
    base
}

#[tokio::test]
async fn the_served_portal_syncs_in_the_background_and_stops_gracefully() {
    let fake = FakeHardware::start(catalog(7)).await;
    let app = build(&fake, &["--sync-interval", "0.05"]).await;
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    wait_until_ok(&format!("{base}/readyz"), Duration::from_secs(10)).await;
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
    wait_for(
        &format!("{base}/"),
        Duration::from_secs(5),
        "the change to reach the page",
        |_, html| html.contains("late-arrival"),
    )
    .await;

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
    let url = format!(
        "{}/healthz",
        serve_until_the_test_ends(build(&fake, &[]).await)
    );

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
    let app = build(
        &fake,
        &[
            "--metrics-udp",
            &collector_addr,
            "--metrics-key",
            "portal-test-1",
        ],
    )
    .await;
    let base = serve_until_the_test_ends(app);
    // Probes and the page's version poll are not user traffic: only the favicon is sent.
    for path in ["/healthz", "/version", "/favicon.ico"] {
        reqwest::get(format!("{base}{path}")).await.unwrap();
    }

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
    let scrape = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        scrape.contains("metrics_client_queued_total 1\n"),
        "{scrape}"
    );
    assert!(
        scrape.contains("metrics_client_dropped_total 0\n"),
        "{scrape}"
    );
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
