//! The trend in every dashboard row and each profile's own page.

use axum::http::StatusCode;
use portal::routes::CONTENT_SECURITY_POLICY;

use crate::fake_hardware::{FakeHardware, profile};
use crate::helpers::synced_portal;

fn with_recent(mut profile: serde_json::Value, recent: &[&str]) -> serde_json::Value {
    profile["recent"] = serde_json::json!(recent);
    profile
}

#[tokio::test]
async fn each_row_shows_its_recent_results_as_bars_with_words_and_links_to_its_page() {
    let fake = FakeHardware::start(vec![
        with_recent(
            profile(1, "Amazon", "c5", Some("HIGH")),
            &["HIGH", "HIGH", "MEDIUM", "LOW"],
        ),
        profile(2, "Azure", "H16mr", None),
    ])
    .await;
    let portal = synced_portal(&fake).await;
    let html = portal.get("/").await.text();
    assert!(
        html.contains("<th scope=\"col\">Recent results</th>"),
        "{html}"
    );
    // Oldest first: the newest (HIGH) is the last bar.
    assert!(
        html.contains(
            "<span class=\"trend\" title=\"last 4 results: 2 HIGH, 1 MEDIUM, 1 LOW\" \
             aria-hidden=\"true\"><span class=\"tb-low\"></span><span class=\"tb-medium\"></span>\
             <span class=\"tb-high\"></span><span class=\"tb-high\"></span></span>\
             <span class=\"visually-hidden\">last 4 results: 2 HIGH, 1 MEDIUM, 1 LOW</span>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"note\">none yet</span>"),
        "H16mr has no result"
    );
    assert!(html.contains("<th scope=\"row\"><a href=\"/profiles/Amazon/c5\">c5</a></th>"));
    assert!(!html.contains("style="), "no inline style (CSP)");
    // The trend comes with the sync: a page view asks hardware nothing.
    assert!(fake.history_requests().is_empty());
}

#[tokio::test]
async fn a_profile_page_shows_its_specs_and_its_history_as_a_timeline_and_a_table() {
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Azure", "Standard_D2s v3/x", Some("LOW")),
    ])
    .await;
    fake.set_history(
        "Amazon",
        "c5",
        &[
            ("HIGH", "2026-11-22T10:02:05Z"),
            ("LOW", "2026-11-22T10:01:05Z"),
            ("LOW", "2026-11-22T10:00:05Z"),
        ],
    );
    let portal = synced_portal(&fake).await;
    let page = portal.get("/profiles/Amazon/c5").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(
        page.header("content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    let html = page.text();
    assert!(html.contains("<title>Amazon c5 - Hardware availability</title>"));
    assert!(html.contains("<h1><a href=\"/\">Hardware availability</a></h1>"));
    assert!(html.contains("<h2>Amazon c5</h2>"));
    assert!(html.contains("<main id=\"live\""));
    assert!(html.contains("<dt>vCPUs</dt><dd>4</dd>"), "{html}");
    assert!(html.contains("<caption>Latest 3 results, newest first</caption>"));
    let newest = html.find("2026-11-22T10:02:05Z").unwrap();
    let oldest = html.rfind("2026-11-22T10:00:05Z").unwrap();
    assert!(newest < oldest, "the table runs newest first");
    assert!(html.contains(
        "<time datetime=\"2026-11-22T10:01:05Z\">2026-11-22 10:01:05 UTC</time></td>\
         <td><span class=\"badge badge-low\">LOW</span>"
    ));
    assert!(html.contains("last 3 results: 1 HIGH, 2 LOW, oldest first."));
    assert!(html.contains(
        "<span class=\"tb-low\"></span><span class=\"tb-low\"></span><span class=\"tb-high\"></span>"
    ));
    // Any case and the usual short names for the provider, as the dashboard's filter.
    assert_eq!(portal.get("/profiles/aws/c5").await.status, StatusCode::OK);
    assert_eq!(
        fake.history_requests(),
        vec!["Amazon/c5"],
        "the second view was cached"
    );

    // A name with a slash and a space round-trips through the row's link.
    let html = portal.get("/").await.text();
    let href = "/profiles/Azure/Standard_D2s%20v3%2Fx";
    assert!(html.contains(&format!("href=\"{href}\"")), "{html}");
    let page = portal.get(href).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("<h2>Azure Standard_D2s v3/x</h2>"));
}

#[tokio::test]
async fn without_history_from_hardware_the_page_shows_the_synced_trend_and_says_why() {
    let fake = FakeHardware::start(vec![with_recent(
        profile(1, "Amazon", "c5", Some("HIGH")),
        &["HIGH", "LOW"],
    )])
    .await;
    let mut portal = synced_portal(&fake).await;
    // An older hardware without history answers 404.
    let page = portal.get("/profiles/Amazon/c5").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("The history cannot be fetched right now."),
        "{html}"
    );
    assert!(html.contains("last 2 results: 1 HIGH, 1 LOW"));
    assert!(!html.contains("<table"));

    // Hardware down: the sync notices, and the page does not even ask.
    fake.stop().await;
    portal.syncer.sync_once().await;
    let asked = fake.history_requests().len();
    let page = portal.get("/profiles/Amazon/c5").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains("live data is paused"),
        "{}",
        page.text()
    );
    assert_eq!(fake.history_requests().len(), asked);
}

#[tokio::test]
async fn an_unknown_profile_is_a_404_page() {
    let fake = FakeHardware::start(vec![profile(1, "Amazon", "c5", Some("HIGH"))]).await;
    let portal = synced_portal(&fake).await;
    for uri in ["/profiles/Amazon/nope", "/profiles/Nowhere/c5"] {
        let page = portal.get(uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(page.text().contains("<h2>Profile not found</h2>"), "{uri}");
        assert_eq!(page.header("x-frame-options"), "DENY");
    }
    assert!(fake.history_requests().is_empty());
}

#[tokio::test]
async fn a_slow_history_is_given_up_on_well_inside_the_sla() {
    let fake = FakeHardware::start(vec![with_recent(
        profile(1, "Amazon", "c5", Some("HIGH")),
        &["HIGH"],
    )])
    .await;
    fake.set_history("Amazon", "c5", &[("HIGH", "2026-12-01T10:00:00Z")]);
    let portal = synced_portal(&fake).await;
    fake.delay_history(std::time::Duration::from_secs(5));

    let started = std::time::Instant::now();
    let page = portal.get("/profiles/Amazon/c5").await;
    let took = started.elapsed();
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text()
            .contains("The history cannot be fetched right now."),
        "{}",
        page.text()
    );
    // The page waited for the history timeout, not for hardware's 5 s.
    assert!(
        took >= portal::sync::client::HISTORY_TIMEOUT && took < std::time::Duration::from_secs(1),
        "the page took {took:?}"
    );
}
