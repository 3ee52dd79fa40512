//! Bad query parameters get a 400 page that names the problem, never a 500.

use axum::http::StatusCode;

use crate::fake_hardware::FakeHardware;
use crate::helpers::{catalog, synced_portal};

#[tokio::test]
async fn bad_parameters_get_a_400_page_naming_the_problem() {
    let portal = synced_portal(&FakeHardware::start(catalog(6)).await).await;
    let cases = [
        ("/?page=0", "&#39;page&#39;"),
        ("/?page=abc", "&#39;abc&#39;"),
        ("/?per_page=501", "from 1 to 500"),
        ("/?availability=SOMETIMES", "HIGH, MEDIUM, LOW or PENDING"),
        (
            "/?sort=price",
            "name, provider, availability, computed_at, vcpus, memory or gpus",
        ),
        ("/?order=sideways", "asc or desc"),
        (
            "/?provider=Oracle",
            "known providers: Amazon, Azure, Google",
        ),
        ("/?page=1&page=2", "more than once"),
        ("/?q=%FF", "not valid URL encoding"),
    ];
    for (uri, expected) in cases {
        let response = portal.get(uri).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(response.header("content-type"), "text/html; charset=utf-8");
        let html = response
            .text()
            .replace("&#x27;", "&#39;")
            .replace('\'', "&#39;");
        assert!(
            html.contains(expected),
            "{uri}: expected {expected:?} in {html}"
        );
    }
}

#[tokio::test]
async fn hostile_values_are_escaped_in_the_error_page() {
    let portal = synced_portal(&FakeHardware::start(catalog(2)).await).await;
    let response = portal
        .get("/?sort=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(!response.text().contains("<script>alert(1)"));
    let long = "x".repeat(101);
    let response = portal.get(&format!("/?q={long}")).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.text().contains("longer than 100 characters"));
    let huge = format!("/?q={}", "y".repeat(5000));
    assert_eq!(portal.get(&huge).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_filter_forms_empty_fields_are_accepted() {
    let portal = synced_portal(&FakeHardware::start(catalog(3)).await).await;
    let response = portal
        .get("/?q=&provider=&availability=&sort=provider&order=asc&per_page=50")
        .await;
    assert_eq!(response.status, StatusCode::OK);
}
