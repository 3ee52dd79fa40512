//! The dashboard page rendered through the router.

use std::io::Read as _;

use axum::http::StatusCode;
use portal::routes::CONTENT_SECURITY_POLICY;

use crate::fake_hardware::{FakeHardware, profile};
use crate::helpers::{catalog, portal_for, row_count, synced_portal};

#[tokio::test]
async fn before_the_first_snapshot_the_page_says_it_is_waiting_and_readyz_is_503() {
    // Nothing listens on port 9 of 127.0.0.1 here; the portal has not synced.
    let portal = portal_for("http://127.0.0.1:9");
    let page = portal.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text()
            .contains("Waiting for the first data from hardware")
    );
    assert!(!page.text().contains("<table"));
    assert_eq!(
        portal.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(portal.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_page_lists_every_profile_with_badges_and_counts() {
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Azure", "H16mr", None),
        profile(3, "Google", "n2", Some("LOW")),
    ])
    .await;
    let portal = synced_portal(&fake).await;
    assert_eq!(portal.get("/readyz").await.status, StatusCode::OK);
    let page = portal.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
    let html = page.text();
    assert_eq!(row_count(&html), 3);
    assert!(html.contains("\">c5</a></th>"));
    assert!(html.contains("badge badge-high\">HIGH</span>"));
    assert!(html.contains("badge badge-pending\">not computed yet</span>"));
    assert!(html.contains("badge badge-low\">LOW</span>"));
    // Counts per availability and per provider, each a filter link.
    assert!(html.contains("href=\"/?availability=PENDING\""));
    assert!(html.contains("href=\"/?provider=Azure\""));
    assert!(html.contains("Showing 1&ndash;3 of 3 profiles"));
    assert!(!html.contains("Live data is paused"));
}

#[tokio::test]
async fn names_from_the_database_are_escaped() {
    let fake = FakeHardware::start(vec![profile(
        1,
        "Amazon\"><b>",
        "<script>alert(1)</script>",
        Some("HIGH"),
    )])
    .await;
    let portal = synced_portal(&fake).await;
    let html = portal.get("/").await.text();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("Amazon\"><b>"));
}

#[tokio::test]
async fn security_headers_are_on_pages_errors_and_assets() {
    let portal = synced_portal(&FakeHardware::start(catalog(3)).await).await;
    for uri in ["/", "/?page=zero", "/nowhere"] {
        let response = portal.get(uri).await;
        assert_eq!(
            response.header("content-security-policy"),
            CONTENT_SECURITY_POLICY,
            "{uri}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            "nosniff",
            "{uri}"
        );
        assert_eq!(response.header("x-frame-options"), "DENY", "{uri}");
    }
    assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
}

#[tokio::test]
async fn other_methods_get_a_405_page_that_says_the_dashboard_is_read_only() {
    use axum::body::Body;
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;

    let portal = synced_portal(&FakeHardware::start(catalog(3)).await).await;
    for (method, uri) in [
        ("POST", "/"),
        ("DELETE", "/static/app.css"),
        ("PUT", "/healthz"),
    ] {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = portal.router.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        assert_eq!(response.headers()["allow"], "GET,HEAD", "{method} {uri}");
        assert_eq!(
            response.headers()["content-security-policy"],
            CONTENT_SECURITY_POLICY
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.contains(&format!("{method} is not accepted at {uri}")),
            "{text}"
        );
    }
}

#[tokio::test]
async fn filters_search_and_sorting_narrow_and_order_the_rows() {
    let portal = synced_portal(&FakeHardware::start(catalog(12)).await).await;
    let azure = portal.get("/?provider=azure").await.text();
    // ids 1, 4, 7, 10 are Azure (id % 3 == 1).
    assert_eq!(row_count(&azure), 4);
    assert!(!azure.contains(">Amazon</td>") && !azure.contains(">Google</td>"));
    assert!(azure.contains("<option value=\"Azure\" selected>"));

    let pending = portal.get("/?availability=pending").await.text();
    assert_eq!(row_count(&pending), 3); // ids 3, 7, 11
    assert!(pending.contains("badge badge-pending"));
    assert!(!pending.contains("badge badge-high\">"));

    let search = portal.get("/?q=TYPE-001").await.text();
    assert_eq!(row_count(&search), 3); // 0010, 0011, 0012

    let by_name_desc = portal.get("/?sort=name&order=desc&per_page=2").await.text();
    let first = by_name_desc.find("type-0012").expect("0012 on the page");
    let second = by_name_desc.find("type-0011").expect("0011 on the page");
    assert!(first < second);
    assert!(by_name_desc.contains("aria-sort=\"descending\""));
}

#[tokio::test]
async fn pages_hold_fifty_rows_with_first_and_last_links() {
    let portal = synced_portal(&FakeHardware::start(catalog(120)).await).await;
    let first = portal.get("/").await.text();
    assert_eq!(row_count(&first), 50);
    assert!(first.contains("Page 1 of 3"));
    assert!(first.contains("<a href=\"/?page=3\" rel=\"last\">"));
    assert!(first.contains("<a href=\"/?page=2\" rel=\"next\">"));
    assert!(
        !first.contains("rel=\"first\""),
        "no first link on the first page"
    );

    let last = portal.get("/?page=3").await.text();
    assert_eq!(row_count(&last), 20);
    assert!(last.contains("Showing 101&ndash;120 of 120 profiles"));
    assert!(last.contains("<a href=\"/\" rel=\"first\">"));
    assert!(last.contains("<a href=\"/?page=2\" rel=\"prev\">"));
    assert!(!last.contains("rel=\"next\""));

    let small = portal.get("/?per_page=7&page=2").await.text();
    assert_eq!(row_count(&small), 7);
    assert!(small.contains("rel=\"last\"") && small.contains("page=18"));

    let beyond = portal.get("/?page=9").await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert!(beyond.text().contains("past the last page"));
}

#[tokio::test]
async fn a_repeat_view_with_the_etag_gets_304_until_the_data_changes() {
    let fake = FakeHardware::start(catalog(3)).await;
    let mut portal = synced_portal(&fake).await;
    let first = portal.get("/").await;
    let etag = first.header("etag").to_owned();
    assert_eq!(first.header("cache-control"), "no-cache");

    let again = portal.get_with("/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    // Another query is another page with its own ETag.
    let other = portal
        .get_with("/?q=type", &[("if-none-match", &etag)])
        .await;
    assert_eq!(other.status, StatusCode::OK);

    let version_before = portal.get("/version").await.text();
    fake.upsert(profile(2, "Azure", "type-0002", Some("HIGH")));
    portal.syncer.sync_once().await;
    assert_ne!(portal.get("/version").await.text(), version_before);
    let changed = portal.get_with("/", &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), etag);
}

#[tokio::test]
async fn gzip_clients_get_the_same_page_compressed() {
    let portal = synced_portal(&FakeHardware::start(catalog(60)).await).await;
    let plain = portal.get("/").await;
    let gzip = portal
        .get_with("/", &[("accept-encoding", "gzip, br")])
        .await;
    assert_eq!(gzip.header("content-encoding"), "gzip");
    assert_eq!(gzip.header("vary"), "accept-encoding");
    assert_ne!(gzip.header("etag"), plain.header("etag"));
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzip.body[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain.body);
    assert!(gzip.body.len() * 3 < plain.body.len());
}

#[tokio::test]
async fn a_page_is_rendered_once_per_snapshot_and_query() {
    let portal = synced_portal(&FakeHardware::start(catalog(10)).await).await;
    let renders = || portal.state.metrics.page_renders.get();
    portal.get("/").await;
    portal.get("/?page=1&per_page=50").await; // same canonical page as "/"
    portal.get("/").await;
    assert_eq!(renders(), 1);
    portal.get("/?provider=amazon").await;
    portal.get("/?provider=Amazon").await;
    assert_eq!(renders(), 2);
}

#[tokio::test]
async fn assets_are_served_from_the_binary_with_long_cache_headers() {
    let portal = synced_portal(&FakeHardware::start(catalog(1)).await).await;
    let html = portal.get("/").await.text();
    for (marker, content_type) in [
        ("stylesheet\" href=\"", "text/css"),
        ("<script src=\"", "text/javascript"),
    ] {
        let start = html.find(marker).unwrap() + marker.len();
        let href = &html[start..start + html[start..].find('"').unwrap()];
        assert!(href.starts_with("/static/"), "{href}");
        let asset = portal.get(href).await;
        assert_eq!(asset.status, StatusCode::OK, "{href}");
        assert!(asset.header("content-type").starts_with(content_type));
        assert!(asset.header("cache-control").contains("immutable"));
    }
    assert_eq!(
        portal.get("/static/app.css").await.status,
        StatusCode::NOT_FOUND
    );
    // No inline script anywhere on the page (the CSP would block it).
    assert_eq!(html.matches("<script").count(), 1);
}

#[tokio::test]
async fn metrics_expose_snapshot_age_sync_failures_and_profiles() {
    let portal = synced_portal(&FakeHardware::start(catalog(5)).await).await;
    portal.get("/").await;
    let text = portal.get("/metrics").await.text();
    assert!(text.contains("portal_profiles 5"), "{text}");
    assert!(text.contains("portal_snapshot_age_seconds"));
    assert!(text.contains("portal_sync_failures_total 0"));
    assert!(text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/\""));
}

#[tokio::test]
async fn shared_links_with_tracking_parameters_and_provider_aliases_work() {
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Azure", "H16mr", Some("HIGH")),
        profile(3, "Amazon", "m5", Some("LOW")),
    ])
    .await;
    let portal = synced_portal(&fake).await;
    let shared = portal
        .get("/?utm_source=news&fbclid=abc&gclid=def&provider=aws")
        .await;
    assert_eq!(shared.status, StatusCode::OK);
    let html = shared.text();
    assert_eq!(row_count(&html), 2, "{html}");
    // Links on the page carry the canonical query, without the tracking parameters.
    assert!(!html.contains("utm_source") && !html.contains("fbclid"));
    assert!(html.contains("provider=Amazon"));
    assert!(
        html.contains("<title>Amazon - Hardware availability</title>"),
        "{html}"
    );
    // A bad value of a known parameter is still a 400.
    assert_eq!(
        portal.get("/?utm_source=x&page=zero").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn counts_follow_the_other_filters_and_a_selected_chip_clears_its_filter() {
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Azure", "H16mr", Some("HIGH")),
        profile(3, "Amazon", "m5", Some("LOW")),
        profile(4, "Azure", "D2", Some("LOW")),
        profile(5, "Azure", "D4", Some("LOW")),
    ])
    .await;
    let portal = synced_portal(&fake).await;
    let html = portal
        .get("/?provider=Azure&availability=HIGH")
        .await
        .text();
    assert_eq!(row_count(&html), 1);
    let chip = |label: &str| {
        let start = html
            .find(&format!("<span class=\"count-label\">{label}</span>"))
            .unwrap_or_else(|| panic!("no {label} chip in {html}"));
        let rest = &html[start..];
        let value = rest.split("count-value\">").nth(1).unwrap();
        value.split('<').next().unwrap().to_owned()
    };
    // Within Azure: 1 HIGH, 2 LOW; among HIGH: 1 Amazon, 1 Azure.
    assert_eq!(chip("HIGH"), "1");
    assert_eq!(chip("LOW"), "2");
    assert_eq!(chip("Amazon"), "1");
    // The selected Azure chip links to the page without the provider filter.
    assert!(
        html.contains("href=\"/?availability=HIGH\" aria-current=\"true\""),
        "{html}"
    );
    // One page: "Last" is not a link to itself.
    assert!(!html.contains("rel=\"last\""));
}
