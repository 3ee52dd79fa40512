//! The one place the real 5 s computation runs: the rest of the suite injects a fast source.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hardware::availability::{Availability, AvailabilitySource, SlowProcess};

use crate::helpers::{TestApp, computed};

#[tokio::test]
async fn heavy_the_real_computation_takes_five_seconds_and_the_service_never_waits_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let app = TestApp::spawn(
        dir.path().join("hw.db"),
        Arc::new(SlowProcess),
        &["--compute-workers", "2"],
    )
    .await;

    // While the first two profiles are computed, the list answers at once with nulls.
    let first = app.get_json("/hardware/").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        first
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["availability"].is_null())
    );

    let rows = app
        .wait_until(Duration::from_secs(20), |rows| computed(rows) >= 2)
        .await;
    let elapsed = started.elapsed();
    // W = 2 workers: the two original rows are computed side by side, so both are done about
    // 5 s after the start; one after the other would take 10 s, hence the 9 s bound.
    assert!(!rows[0]["availability"].is_null() && !rows[1]["availability"].is_null());
    assert!(
        elapsed >= Duration::from_millis(4900),
        "first results after {elapsed:?}; the real computation takes 5 s"
    );
    assert!(
        elapsed < Duration::from_secs(9),
        "the first two results took {elapsed:?}: they were not computed side by side"
    );
    app.stop().await;

    let direct = tokio::task::spawn_blocking(|| {
        let started = Instant::now();
        let availability = SlowProcess.compute("Amazon", "c5");
        (availability, started.elapsed())
    })
    .await
    .unwrap();
    assert!(Availability::ALL.contains(&direct.0));
    assert!(direct.1 >= Duration::from_secs(5), "took {:?}", direct.1);
}
