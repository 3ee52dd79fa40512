//! The database goes away and comes back: the processes keep serving the last values, say
//! they are not ready, and recover by themselves.

use std::time::Duration;

use hardware::store::{DatabaseUrl, open_store};
use test_support::postgres::PgServer;
use test_support::wait;

use crate::services::{SHARED_ARGS, Service, computed, wait_all_computed_and_equal};

async fn wait_for_status(service: &Service, path: &str, want: u16, timeout: Duration) {
    wait::until(timeout, Duration::from_millis(100), async || {
        if service.status(path).await == want {
            return Ok(());
        }
        Err(format!("{path} did not turn {want}:\n{}", service.logs()))
    })
    .await;
}

#[tokio::test]
async fn heavy_a_database_outage_turns_readiness_off_keeps_serving_and_recovers() {
    let server = PgServer::start();
    let url = server.url();
    // Create and seed the database before the services start.
    let store = open_store(&DatabaseUrl::Postgres(url.clone()))
        .await
        .unwrap();
    let profiles = store.count_profiles().await.unwrap();
    drop(store);
    let a = Service::spawn(&url, SHARED_ARGS).await;
    let b = Service::spawn(&url, SHARED_ARGS).await;

    // Stop the database mid-cycle, with some profiles computed and many left.
    wait::until(
        Duration::from_secs(20),
        Duration::from_millis(20),
        async || {
            if computed(&a.rows().await) >= 8 {
                return Ok(());
            }
            Err(format!("nothing computed:\n{}", a.logs()))
        },
    )
    .await;
    server.stop_fast();
    let served_before = a.rows().await;
    assert!(computed(&served_before) < profiles, "stopped mid-cycle");

    for service in [&a, &b] {
        wait_for_status(service, "/readyz", 503, Duration::from_secs(20)).await;
        let rows = service.rows().await;
        assert_eq!(rows.len(), profiles, "the catalog is still served");
    }
    // What a served before the outage, it still serves (it may have more: results written
    // just before the stop).
    let during = a.rows().await;
    for (before, now) in served_before.iter().zip(&during) {
        if !before["availability"].is_null() {
            assert_eq!(before, now);
        }
    }

    server.restart();
    for service in [&a, &b] {
        wait_for_status(service, "/readyz", 200, Duration::from_secs(40)).await;
    }
    // Computing resumes: the cycle completes and both serve the same values.
    wait_all_computed_and_equal(&[&a, &b], profiles, Duration::from_secs(40)).await;
    assert!(a.metric("hardware_store_errors_total").await >= 1.0);
}
