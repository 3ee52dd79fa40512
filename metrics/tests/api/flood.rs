//! A flood of random keys from one sender: an app instance that starts sending during it
//! loses nothing, the flood stores at most its quota per flush window, and the database stays
//! within its row budget with the app's rows kept.

use std::net::UdpSocket;
use std::time::Duration;

use metrics::domain::UtcHour;
use metrics::retention::RetentionPolicy;
use metrics::{Role, ServeConfig};
use test_support::wait;

use crate::helpers::*;

const FLOOD_PER_WINDOW: usize = 5_000;
const QUOTA_PER_SOURCE: usize = 200;
const BUDGET_ROWS: u64 = 300;
const APP_VALUES_PER_WINDOW: usize = 100;

fn send_lines(socket: &UdpSocket, to: std::net::SocketAddr, lines: &[String]) {
    for chunk in lines.chunks(40) {
        socket.send_to(chunk.join("\n").as_bytes(), to).unwrap();
    }
}

async fn wait_for_handled(app: &TestApp, messages: u64) {
    wait::until(
        Duration::from_secs(10),
        Duration::from_millis(20),
        async || {
            let ingested = app
                .metric("metrics_messages_ingested_total{transport=\"udp\"}")
                .await;
            let refused = app
                .metric("metrics_messages_dropped_total{reason=\"new_series_quota\"}")
                .await;
            if ingested + refused >= messages {
                return Ok(());
            }
            Err(format!(
                "{ingested} ingested + {refused} refused of {messages}"
            ))
        },
    )
    .await;
}

#[tokio::test]
async fn a_random_key_flood_cannot_crowd_out_a_new_app_instance_or_outgrow_the_budget() {
    avoid_hour_boundary().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServeConfig::for_tests(Role::All, dir.path().join("m.db"));
    config.max_series = 20_000;
    config.max_new_series = 10_000;
    config.max_new_series_per_source = QUOTA_PER_SOURCE;
    config.retention = RetentionPolicy {
        max_rows: BUDGET_ROWS,
        every: Duration::ZERO,
        ..RetentionPolicy::default()
    };
    let app = spawn_config(config).await;
    let to = app.udp.unwrap();
    let flooder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let instance = UdpSocket::bind("127.0.0.1:0").unwrap();
    let hour = UtcHour::now();

    let mut sent = 0u64;
    for window in 0..3 {
        let flood: Vec<String> = (0..FLOOD_PER_WINDOW)
            .map(|i| format!("flood-{window}-{i}:1"))
            .collect();
        let (first_half, second_half) = flood.split_at(FLOOD_PER_WINDOW / 2);
        send_lines(&flooder, to, first_half);
        // The app instance starts (window 0) and keeps sending in the middle of the flood.
        let values: Vec<String> = (0..APP_VALUES_PER_WINDOW)
            .map(|i| format!("app-instance:{}", i + 1))
            .collect();
        send_lines(&instance, to, &values);
        send_lines(&flooder, to, second_half);
        sent += (FLOOD_PER_WINDOW + APP_VALUES_PER_WINDOW) as u64;
        wait_for_handled(&app, sent).await;
        app.flush().await;

        let (status, body) = app.query("app-instance", "average", hour).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["count"].as_u64(),
            Some(((window + 1) * APP_VALUES_PER_WINDOW) as u64),
            "the app instance lost nothing by window {window}"
        );
    }
    let refused = app
        .metric("metrics_messages_dropped_total{reason=\"new_series_quota\"}")
        .await;
    assert_eq!(
        refused,
        3 * (FLOOD_PER_WINDOW - QUOTA_PER_SOURCE) as u64,
        "the flood got its quota per window and no more"
    );
    let stored = app.metric("metrics_stored_series").await;
    assert!(
        stored <= BUDGET_ROWS,
        "{stored} rows stored, budget {BUDGET_ROWS}"
    );
    assert!(app.metric("metrics_retention_over_budget_rows_total").await > 0);
    app.stop().await.unwrap();
}
