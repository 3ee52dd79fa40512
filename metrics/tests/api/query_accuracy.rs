use std::time::Duration;

use metrics::Role;
use metrics::domain::UtcHour;
use metrics_client::{ClientConfig, MetricsClient};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_results_match_statistics_computed_from_the_raw_messages() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let values = response_times(42, 20_000);
    let client = MetricsClient::spawn(ClientConfig {
        collectors: vec![app.udp.unwrap()],
        key: "portal-test-1".into(),
        queue_capacity: 100_000,
    })
    .unwrap();
    avoid_hour_boundary().await;
    let hour = UtcHour::now();
    for (i, value) in values.iter().enumerate() {
        client.record(*value);
        if i % 2000 == 0 {
            // Paced like real traffic rather than one 20k burst into the socket buffer.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    app.wait_for_udp_ingested(values.len() as u64).await;
    app.flush().await;
    assert_eq!(
        UtcHour::now(),
        hour,
        "the test outlasted the 20 s margin before the hour boundary"
    );

    let count = values.len() as u64;
    let stat = |name: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app.query("portal-test-1", name, hour).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["count"], count);
            assert_eq!(body["stat"], name);
            body["value"].as_f64().unwrap()
        }
    };
    let sum: f64 = values.iter().sum();
    let average = stat("average").await;
    assert!(
        (average - sum / values.len() as f64).abs() < 1e-9,
        "{average}"
    );
    assert_eq!(
        stat("min").await,
        values.iter().copied().fold(f64::INFINITY, f64::min)
    );
    assert_eq!(
        stat("max").await,
        values.iter().copied().fold(0.0, f64::max)
    );
    assert_within_one_percent(stat("median").await, lower_median(&values), "median");
    app.stop().await.unwrap();
}
