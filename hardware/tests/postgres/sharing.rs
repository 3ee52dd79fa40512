//! Several `hardware` processes on one database compute each profile once and agree.

use std::time::Duration;

use test_support::postgres::PgServer;

use crate::services::{SHARED_ARGS, Service, profile_count, wait_all_computed_and_equal};

#[tokio::test]
async fn heavy_three_processes_share_the_work_compute_each_profile_once_and_serve_the_same() {
    let server = PgServer::start();
    let url = server.url();
    // Started together on an empty database: they race to create and seed it.
    let (a, b, c) = tokio::join!(
        Service::spawn(&url, SHARED_ARGS),
        Service::spawn(&url, SHARED_ARGS),
        Service::spawn(&url, SHARED_ARGS),
    );
    let profiles = profile_count(&server.client().await).await;
    assert!(profiles >= 50, "seeded once: {profiles} profiles");

    // 6 workers at 200 ms: about 3 s of work; one process alone would need 8 s.
    wait_all_computed_and_equal(&[&a, &b, &c], profiles, Duration::from_secs(40)).await;

    let mut per_process = Vec::new();
    for service in [&a, &b, &c] {
        per_process.push(service.metric("hardware_computations_total").await as usize);
    }
    assert_eq!(
        per_process.iter().sum::<usize>(),
        profiles,
        "computations per process {per_process:?}: every profile exactly once"
    );
    assert!(
        per_process.iter().all(|&n| n > 0),
        "every process took a share: {per_process:?}"
    );
    for service in [&a, &b, &c] {
        assert_eq!(service.status("/readyz").await, 200);
    }
}
