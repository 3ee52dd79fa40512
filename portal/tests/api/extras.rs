//! The smaller items of the dashboard: the favicon, compressed assets, paging above the
//! table, the no-results page repeating the filters, and the CSV and JSON export.

use std::io::Read as _;

use axum::http::StatusCode;

use crate::fake_hardware::{FakeHardware, profile};
use crate::helpers::{catalog, synced_portal};

#[tokio::test]
async fn the_favicon_is_served_not_a_404() {
    let portal = synced_portal(&FakeHardware::start(catalog(1)).await).await;
    let icon = portal.get("/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header("content-type"), "image/x-icon");
    // An ICO file: reserved 0, type 1 (icon), one image.
    assert_eq!(&icon.body[..6], &[0, 0, 1, 0, 1, 0]);
}

#[tokio::test]
async fn css_and_js_are_gzip_compressed_for_clients_that_accept_it() {
    let portal = synced_portal(&FakeHardware::start(catalog(1)).await).await;
    let html = portal.get("/").await.text();
    for marker in ["stylesheet\" href=\"", "<script src=\""] {
        let start = html.find(marker).unwrap() + marker.len();
        let href = &html[start..start + html[start..].find('"').unwrap()];
        let plain = portal.get(href).await;
        let zipped = portal
            .get_with(href, &[("accept-encoding", "gzip, br")])
            .await;
        assert_eq!(zipped.header("content-encoding"), "gzip");
        assert_eq!(zipped.header("vary"), "accept-encoding");
        assert!(
            zipped.body.len() * 2 < plain.body.len(),
            "{href} compresses"
        );
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&zipped.body[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, plain.body);
        assert!(plain.headers.get("content-encoding").is_none());
    }
}

#[tokio::test]
async fn paging_shows_above_the_table_too_and_last_is_no_link_on_the_last_page() {
    let portal = synced_portal(&FakeHardware::start(catalog(120)).await).await;
    let first = portal.get("/").await.text();
    assert!(first.contains("aria-label=\"Pages, top\""));
    assert_eq!(first.matches("rel=\"next\"").count(), 2);
    let last = portal.get("/?page=3").await.text();
    assert!(!last.contains("rel=\"last\""));
    assert_eq!(
        last.matches("<span aria-disabled=\"true\">Last &raquo;</span>")
            .count(),
        2
    );
}

#[tokio::test]
async fn the_no_results_page_repeats_every_filter() {
    let portal = synced_portal(&FakeHardware::start(catalog(6)).await).await;
    let html = portal
        .get("/?provider=aws&q=nothing&min_vcpus=64&availability=LOW")
        .await
        .text();
    assert!(
        html.contains(
            "No profiles match these filters (provider Amazon, availability LOW, \
             name contains \u{201c}nothing\u{201d}, at least 64 vCPUs)."
        ),
        "{html}"
    );
}

#[tokio::test]
async fn the_current_view_exports_as_csv_and_json_with_every_matching_row() {
    let fake = FakeHardware::start(vec![
        profile(1, "Amazon", "c5", Some("HIGH")),
        profile(2, "Amazon", "=cmd,\"x\"", Some("LOW")),
        profile(3, "Azure", "H16mr", None),
    ])
    .await;
    let portal = synced_portal(&fake).await;
    let page = portal
        .get("/?provider=Amazon&sort=name&per_page=1")
        .await
        .text();
    assert!(page.contains("href=\"/export.csv?provider=Amazon&#38;sort=name&#38;per_page=1\""));

    // Both Amazon rows although the page shows one, in the page's order (by name).
    let csv = portal
        .get("/export.csv?provider=aws&sort=name&per_page=1&page=1")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
    assert!(
        csv.header("content-disposition")
            .contains("hardware-profiles.csv")
    );
    assert_eq!(
        csv.text(),
        "id,provider,name,availability,computed_at,vcpus,memory_gib,gpus\r\n\
         2,Amazon,\"'=cmd,\"\"x\"\"\",LOW,2026-11-22T10:00:05Z,4,8,0\r\n\
         1,Amazon,c5,HIGH,2026-11-22T10:00:05Z,4,8,0\r\n"
    );

    let json = portal.get("/export.json?availability=pending").await;
    assert_eq!(json.header("content-type"), "application/json");
    let rows: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"id": 3, "provider": "Azure", "name": "H16mr",
            "availability": null, "computed_at": null, "vcpus": 4, "memory_gib": 8.0, "gpus": 0}])
    );
    // A bad value of a known parameter is still a clear 400.
    let bad = portal.get("/export.csv?sort=price").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("price"));
}
