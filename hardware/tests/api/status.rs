//! `GET /hardware/status`: what the refresher computes now, for "queued" versus "computing".

use std::time::Duration;

use test_support::wait;

use crate::helpers::{TestApp, never};

#[tokio::test]
async fn status_lists_the_profiles_being_computed_and_the_slots() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(
        dir.path().join("hw.db"),
        never(),
        &["--compute-workers", "2"],
    )
    .await;
    let status = wait::until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        async || {
            let status = app.get_json("/hardware/status").await;
            if status["computing"]
                .as_array()
                .is_some_and(|ids| ids.len() == 2)
            {
                return Ok(status);
            }
            Err(format!("not two profiles computing: {status}"))
        },
    )
    .await;
    assert_eq!(status["compute_slots"], 2);
    assert_eq!(status["refresh_interval_seconds"], 3600.0);
    // Never computed profiles are claimed first, lowest id first: 1 and 2 of the seed.
    assert_eq!(status["computing"], serde_json::json!([1, 2]), "{status}");
    assert!(
        status["average_compute_seconds"].is_null(),
        "nothing finished yet"
    );
    app.stop().await;
}
