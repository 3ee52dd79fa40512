//! Freshness told honestly: "computing now" versus "queued" (with a place and an estimate),
//! progress while the catalog fills, and a stale mark on values past their refresh.

use serde_json::json;

use crate::fake_hardware::{FakeHardware, profile};
use crate::helpers::synced_portal;

fn status(computing: &[i64]) -> serde_json::Value {
    json!({"refresh_interval_seconds": 60.0, "compute_slots": 2,
           "computing": computing, "average_compute_seconds": 4.0})
}

/// Row `id`'s HTML, from its `<tr data-id>` to its `</tr>`.
fn row(html: &str, id: i64) -> &str {
    let start = html
        .find(&format!("<tr data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id}: {html}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test]
async fn queued_rows_say_their_place_and_when_they_are_due_and_the_page_shows_progress() {
    let mut profiles: Vec<_> = (1..=5)
        .map(|id| profile(id, "Amazon", &format!("p{id}"), None))
        .collect();
    profiles.push(profile(6, "Amazon", "p6", Some("HIGH")));
    let fake = FakeHardware::start(profiles).await;
    fake.set_status(Some(status(&[1, 2])));
    let portal = synced_portal(&fake).await;
    let html = portal.get("/").await.text();

    assert!(row(&html, 1).contains("badge-computing\">computing now</span>"));
    // 3 and 4 take the next round of the two slots (4 s each), 5 the one after.
    let queued = row(&html, 3);
    assert!(queued.contains("badge-pending\">queued</span>"), "{queued}");
    assert!(
        queued.contains("1st in the queue, due in about 4 s"),
        "{queued}"
    );
    assert!(row(&html, 5).contains("3rd in the queue, due in about 8 s"));
    assert!(
        html.contains(
            "Computed 1 of 6 profiles: 2 computing now, 3 queued (all due in about 8 s)."
        ),
        "{html}"
    );
    assert!(html.contains("<progress max=\"6\" value=\"1\""));
}

#[tokio::test]
async fn a_value_past_the_interval_plus_the_grace_is_marked_stale_with_its_exact_time() {
    // The fake's values were computed on 2026-11-22, long before now: all overdue.
    let fake = FakeHardware::start(vec![profile(1, "Amazon", "c5", Some("HIGH"))]).await;
    fake.set_status(Some(status(&[])));
    let portal = synced_portal(&fake).await;
    let html = portal.get("/").await.text();
    let stale = row(&html, 1);
    assert!(stale.contains("class=\"stale\""), "{stale}");
    assert!(
        stale.contains("<span class=\"stale-mark\">stale</span>"),
        "{stale}"
    );
    // The exact time on hover; the table says when values go stale (60 s + 30 s grace).
    assert!(
        stale.contains(
            "<time datetime=\"2026-11-22T10:00:05Z\" title=\"2026-11-22 10:00:05 UTC\" \
             data-relative>"
        ),
        "{stale}"
    );
    assert!(html.contains("<table data-stale-after=\"90\">"), "{html}");
    assert!(html.contains("computed more than 1 min 30 s ago"));
    // No progress line once everything has a value.
    assert!(!html.contains("class=\"progress\""));
}

#[tokio::test]
async fn without_a_status_from_hardware_nothing_is_claimed() {
    // The fake answers 404 to /hardware/status, as an older hardware does.
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Amazon", "c6", None),
    ])
    .await;
    let portal = synced_portal(&fake).await;
    let html = portal.get("/").await.text();
    assert!(row(&html, 2).contains("badge-pending\">not computed yet</span>"));
    assert!(!html.contains("in the queue"));
    assert!(!html.contains("stale-mark"), "no interval, no stale claim");
    assert!(html.contains("Computed 1 of 2 profiles."), "{html}");
}

#[tokio::test]
async fn a_status_change_that_shows_republishes_and_a_routine_one_does_not() {
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Amazon", "c6", None),
    ])
    .await;
    fake.set_status(Some(status(&[])));
    let mut portal = synced_portal(&fake).await;
    let revision = portal.state.store.load().revision;
    // Recomputing a value already shown: nothing on the page changes.
    fake.set_status(Some(status(&[1])));
    portal.syncer.sync_once().await;
    assert_eq!(portal.state.store.load().revision, revision);
    // Starting the first value of profile 2: the page must say "computing now".
    fake.set_status(Some(status(&[1, 2])));
    portal.syncer.sync_once().await;
    assert_eq!(portal.state.store.load().revision, revision + 1);
    let html = portal.get("/").await.text();
    assert!(row(&html, 2).contains("computing now"));
}
