//! The refresher filling a database, restarts, refreshing stale values, and shutdown.

use std::sync::Arc;
use std::time::Duration;

use hardware::availability::FakeSource;
use hardware::store::{SqliteStore, Store};

use crate::helpers::{TestApp, computed, fast, never};

#[tokio::test]
async fn the_refresher_fills_a_fresh_database_and_persists_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hw.db");
    let app = TestApp::spawn(db.clone(), fast(), &["--compute-workers", "4"]).await;
    let rows = app
        .wait_until(Duration::from_secs(30), |rows| computed(rows) == rows.len())
        .await;
    for row in &rows {
        assert!(["HIGH", "MEDIUM", "LOW"].contains(&row["availability"].as_str().unwrap()));
        assert!(row["computed_at"].as_str().unwrap().ends_with('Z'));
    }
    app.stop().await;

    let store = SqliteStore::open(&db).await.unwrap();
    let stored = store.load_rows(None).await.unwrap();
    assert_eq!(stored.len(), rows.len());
    for (stored, served) in stored.iter().zip(&rows) {
        assert_eq!(
            stored.availability.unwrap().as_str(),
            served["availability"]
        );
    }
}

#[tokio::test]
async fn a_restart_serves_the_persisted_values_at_once_without_recomputing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hw.db");
    let first = TestApp::spawn(db.clone(), fast(), &[]).await;
    let before = first
        .wait_until(Duration::from_secs(30), |rows| computed(rows) == rows.len())
        .await;
    first.stop().await;

    // The second life's computations would never finish: everything it serves was persisted.
    let second = TestApp::spawn(db.clone(), never(), &[]).await;
    let after = second.get_json("/hardware/").await;
    assert_eq!(after.as_array().unwrap(), &before);
    let metrics = second
        .client
        .get(second.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hardware_compute_slots_busy 0"),
        "fresh values are not recomputed after a restart"
    );
    second.stop().await;
}

#[tokio::test]
async fn stale_values_are_recomputed_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::spawn(
        dir.path().join("hw.db"),
        fast(),
        &["--refresh-interval", "0.3", "--compute-workers", "2"],
    )
    .await;
    let first = app
        .wait_until(Duration::from_secs(30), |rows| computed(rows) == rows.len())
        .await;
    let oldest = first
        .iter()
        .map(|row| row["computed_at"].as_str().unwrap().to_owned())
        .min()
        .unwrap();
    // Every value is recomputed once it is older than the interval.
    app.wait_until(Duration::from_secs(30), |rows| {
        rows.iter()
            .all(|row| row["computed_at"].as_str().unwrap() > oldest.as_str())
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn requests_answer_in_milliseconds_while_every_profile_is_being_computed() {
    let dir = tempfile::tempdir().unwrap();
    let slow = Arc::new(FakeSource {
        delay: Duration::from_secs(2),
    });
    let app = TestApp::spawn(dir.path().join("hw.db"), slow, &["--compute-workers", "2"]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let rows = app.get_json("/hardware/").await;
        assert!(!rows.as_array().unwrap().is_empty());
        // Generous bound for a loaded CI machine; the benchmark measures the real figure.
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "took {:?}",
            started.elapsed()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn shutdown_waits_for_computations_in_progress_and_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hw.db");
    let source = Arc::new(FakeSource {
        delay: Duration::from_millis(700),
    });
    let app = TestApp::spawn(db.clone(), source, &["--compute-workers", "3"]).await;
    // Stop while the first three computations are in progress.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.stop().await;

    let store = SqliteStore::open(&db).await.unwrap();
    let stored = store.load_rows(None).await.unwrap();
    let written = stored
        .iter()
        .filter(|row| row.availability.is_some())
        .count();
    assert_eq!(written, 3, "the three computations in progress were kept");
    assert_eq!(
        stored
            .iter()
            .take(3)
            .filter(|row| row.availability.is_some())
            .count(),
        3,
        "never-computed profiles go first, by id"
    );
}
