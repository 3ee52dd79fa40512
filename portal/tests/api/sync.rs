//! The sync step against a fake hardware: deltas, 304s, resyncs, outages.

use axum::http::StatusCode;
use portal::domain::{Availability, SyncHealth};
use portal::sync::SyncOutcome;

use crate::fake_hardware::{FakeHardware, profile};
use crate::helpers::{catalog, portal_for, row_count, synced_portal};

#[tokio::test]
async fn deltas_are_applied_and_an_unchanged_hardware_changes_nothing() {
    let fake = FakeHardware::start(catalog(4)).await;
    let mut portal = synced_portal(&fake).await;
    let revision = portal.state.store.load().revision;

    assert_eq!(portal.syncer.sync_once().await, SyncOutcome::Unchanged);
    assert_eq!(
        portal.state.store.load().revision,
        revision,
        "a 304 keeps cached pages"
    );

    fake.upsert(profile(3, "Amazon", "type-0003", Some("MEDIUM")));
    assert_eq!(
        portal.syncer.sync_once().await,
        SyncOutcome::Updated {
            full: false,
            changed: 1
        }
    );
    let snapshot = portal.state.store.load();
    let catalog = snapshot.catalog.as_ref().unwrap();
    let changed = catalog.profiles.iter().find(|p| p.id == 3).unwrap();
    assert_eq!(changed.availability, Some(Availability::Medium));
    assert_eq!(catalog.profiles.len(), 4);
    assert_eq!(
        fake.requests(),
        [None, Some("fake-1".into()), Some("fake-1".into())]
    );
}

#[tokio::test]
async fn a_size_mismatch_with_total_triggers_a_full_resync() {
    let fake = FakeHardware::start(catalog(5)).await;
    let mut portal = synced_portal(&fake).await;
    fake.remove_silently(2);
    fake.upsert(profile(1, "Azure", "type-0001", Some("LOW")));
    assert_eq!(
        portal.syncer.sync_once().await,
        SyncOutcome::Updated {
            full: true,
            changed: 4
        }
    );
    let snapshot = portal.state.store.load();
    let ids: Vec<i64> = snapshot
        .catalog
        .as_ref()
        .unwrap()
        .profiles
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, [1, 3, 4, 5]);
    assert_eq!(fake.requests().last(), Some(&None));
}

#[tokio::test]
async fn a_rejected_since_is_dropped_and_the_next_sync_is_full() {
    let fake = FakeHardware::start(catalog(2)).await;
    let mut portal = synced_portal(&fake).await;
    fake.reject_since(true);
    assert!(matches!(
        portal.syncer.sync_once().await,
        SyncOutcome::Failed(_)
    ));
    fake.reject_since(false);
    assert!(matches!(
        portal.syncer.sync_once().await,
        SyncOutcome::Updated { full: true, .. }
    ));
    assert_eq!(fake.requests().last(), Some(&None));
}

#[tokio::test]
async fn when_hardware_goes_down_the_last_snapshot_is_served_with_a_banner_and_recovers() {
    let fake = FakeHardware::start(catalog(3)).await;
    let mut portal = synced_portal(&fake).await;
    fake.stop().await;

    let outcome = portal.syncer.sync_once().await;
    assert!(
        matches!(outcome, SyncOutcome::Failed(ref e) if e.contains("cannot reach hardware")),
        "{outcome:?}"
    );
    let page = portal.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Live data is paused; showing values as of <time datetime=\""),
        "{html}"
    );
    // One timestamp: the banner's; the caption has none of its own while paused.
    assert_eq!(html.matches("as of <time").count(), 1, "{html}");
    assert!(!html.contains("unreachable"), "no internal jargon: {html}");
    assert_eq!(row_count(&html), 3, "the last snapshot is still shown");
    assert_eq!(portal.get("/readyz").await.status, StatusCode::OK);

    // Further failures do not republish (cached pages stay valid).
    let revision = portal.state.store.load().revision;
    portal.syncer.sync_once().await;
    assert_eq!(portal.state.store.load().revision, revision);
    assert_eq!(portal.syncer.consecutive_failures(), 2);
    assert!(
        portal
            .get("/metrics")
            .await
            .text()
            .contains("portal_sync_failures_total 2")
    );

    fake.restart().await;
    assert_eq!(portal.syncer.sync_once().await, SyncOutcome::Unchanged);
    assert_eq!(portal.state.store.load().health, SyncHealth::Healthy);
    let html = portal.get("/").await.text();
    assert!(!html.contains("Live data is paused"));
    assert_eq!(row_count(&html), 3);
}

#[tokio::test]
async fn an_unreachable_hardware_before_the_first_snapshot_is_said_plainly() {
    let mut portal = portal_for("http://127.0.0.1:9");
    assert!(matches!(
        portal.syncer.sync_once().await,
        SyncOutcome::Failed(_)
    ));
    let html = portal.get("/").await.text();
    assert!(html.contains("Waiting for the first data from hardware"));
    assert!(html.contains("Live data is not available yet"), "{html}");
}
