//! `GET /hardware/`: the original contract, filters, paging, bad parameters and ETags.

use crate::helpers::InProcess;
use hardware::availability::Availability;
use hardware::profile::ProfileRow;

#[tokio::test]
async fn the_list_keeps_the_original_contract_with_the_original_rows_first() {
    let app = InProcess::new().await;
    let (status, body) = app.get_json("/hardware/").await;
    assert_eq!(status, 200);
    let rows = body.as_array().unwrap();
    assert!(rows.len() >= 50);
    assert_eq!(rows[0]["provider"], "Amazon");
    assert_eq!(rows[0]["name"], "c5");
    assert_eq!(rows[1]["provider"], "Azure");
    assert_eq!(rows[1]["name"], "H16mr");
    for row in rows {
        for field in ["id", "provider", "name", "availability", "computed_at"] {
            assert!(row.get(field).is_some(), "{field} missing in {row}");
        }
        assert!(row["availability"].is_null(), "nothing is computed yet");
        assert!(row["computed_at"].is_null());
    }
    // The path without the trailing slash answers the same.
    assert_eq!(app.get_json("/hardware").await.1, body);
}

#[tokio::test]
async fn computed_values_are_served_with_rfc3339_times() {
    let app = InProcess::new().await;
    let snapshot = app.state.snapshot.load();
    let mut row: ProfileRow = (*snapshot.rows[0]).clone();
    row.availability = Some(Availability::Medium);
    row.computed_at = Some(time::macros::datetime!(2026-11-22 10:00:05.250 UTC));
    row.seq = snapshot.version.seq + 1;
    app.state.snapshot.apply(vec![row]);
    let (_, body) = app.get_json("/hardware/?q=c5&provider=Amazon").await;
    assert_eq!(body[0]["availability"], "MEDIUM");
    assert_eq!(body[0]["computed_at"], "2026-11-22T10:00:05.25Z");
}

#[tokio::test]
async fn filters_combine_and_search_is_case_insensitive() {
    let app = InProcess::new().await;
    let (_, azure) = app.get_json("/hardware/?provider=azure").await;
    let azure = azure.as_array().unwrap();
    assert!(!azure.is_empty());
    assert!(azure.iter().all(|row| row["provider"] == "Azure"));

    let (_, gpus) = app
        .get_json("/hardware/?provider=Google&q=A2-HIGHGPU")
        .await;
    let names: Vec<&str> = gpus
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a2-highgpu-1g", "a2-highgpu-8g"]);

    let (_, pending) = app.get_json("/hardware/?availability=pending").await;
    let (_, all) = app.get_json("/hardware/").await;
    assert_eq!(pending, all, "nothing computed: every profile is pending");
    let (status, high) = app.get_json("/hardware/?availability=HIGH").await;
    assert_eq!((status, high), (200, serde_json::json!([])));
}

#[tokio::test]
async fn paging_walks_to_the_last_page_with_link_and_total_headers() {
    let app = InProcess::new().await;
    let (_, all) = app.get_json("/hardware/").await;
    let total = all.as_array().unwrap().len();

    let response = app.get("/hardware/?per_page=10&page=2", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], total.to_string());
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let last_page = total.div_ceil(10);
    assert!(link.contains("rel=\"next\""), "{link}");
    assert!(
        link.contains(&format!("page={last_page}&per_page=10>; rel=\"last\"")),
        "{link}"
    );

    let mut collected = Vec::new();
    for page in 1..=last_page {
        let (_, rows) = app
            .get_json(&format!("/hardware/?page={page}&per_page=10"))
            .await;
        collected.extend(rows.as_array().unwrap().iter().cloned());
    }
    assert_eq!(serde_json::Value::Array(collected), all);

    let (status, past) = app
        .get_json(&format!("/hardware/?page={}&per_page=10", last_page + 1))
        .await;
    assert_eq!((status, past), (200, serde_json::json!([])));
    let last = app
        .get(&format!("/hardware/?page={last_page}&per_page=10"), &[])
        .await;
    assert!(
        !last.headers()["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"next\"")
    );
}

#[tokio::test]
async fn bad_parameters_get_a_400_naming_the_problem() {
    let app = InProcess::new().await;
    for (uri, needle, parameter) in [
        ("/hardware/?color=red", "color", "color"),
        ("/hardware/?provider=Oracle", "Oracle", "provider"),
        (
            "/hardware/?availability=SOMETIMES",
            "SOMETIMES",
            "availability",
        ),
        ("/hardware/?page=0", "page", "page"),
        ("/hardware/?page=abc", "abc", "page"),
        ("/hardware/?page=1000000001", "1000000001", "page"),
        ("/hardware/?per_page=5000", "per_page", "per_page"),
        ("/hardware/?page=1&page=2", "more than once", "page"),
    ] {
        let (status, body) = app.get_json(uri).await;
        assert_eq!(status, 400, "{uri}");
        assert_eq!(body["error"], "bad_request", "{uri}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(needle), "{uri}: {message}");
        assert_eq!(body["parameter"], parameter, "{uri}");
    }
    let (status, body) = app.get_json("/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn a_repeated_request_with_the_etag_gets_304_until_the_data_changes() {
    let app = InProcess::new().await;
    let first = app.get("/hardware/?provider=Amazon", &[]).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));

    let again = app
        .get("/hardware/?provider=Amazon", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());

    let snapshot = app.state.snapshot.load();
    let mut row: ProfileRow = (*snapshot.rows[0]).clone();
    row.availability = Some(Availability::Low);
    row.seq = snapshot.version.seq + 1;
    app.state.snapshot.apply(vec![row]);
    let changed = app
        .get("/hardware/?provider=Amazon", &[("if-none-match", &etag)])
        .await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag.as_str());
}

#[tokio::test]
async fn a_bad_query_is_a_400_even_with_the_current_etag() {
    let app = InProcess::new().await;
    let first = app.get("/hardware/", &[]).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    for (uri, needle) in [
        ("/hardware/?color=red", "color"),
        ("/hardware/?provider=Oracle", "Oracle"),
    ] {
        let response = app.get(uri, &[("if-none-match", &etag)]).await;
        assert_eq!(response.status(), 400, "{uri} with the current ETag");
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"], "bad_request", "{uri}");
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
    }
    // A good query with the same ETag is still a 304.
    let again = app.get("/hardware/", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn other_methods_get_a_405_with_a_json_message() {
    use axum::body::Body;
    use axum::http::{Method, Request};
    use tower::ServiceExt;

    let app = InProcess::new().await;
    for (method, path) in [
        (Method::POST, "/hardware/"),
        (Method::PUT, "/hardware"),
        (Method::DELETE, "/hardware/changes"),
        (Method::PATCH, "/healthz"),
        (Method::POST, "/readyz"),
        (Method::POST, "/metrics"),
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .body(Body::from("{}"))
            .unwrap();
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        let allow = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allow.contains("GET"), "{method} {path}: allow {allow}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{method} {path}"
        );
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(method.as_str()) && message.contains(path),
            "{method} {path}: {message}"
        );
    }
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = InProcess::new().await;
    assert_eq!(app.get("/healthz", &[]).await.status(), 200);
    let (status, ready) = app.get_json("/readyz").await;
    assert_eq!(status, 200);
    assert_eq!(ready["status"], "ready");
    app.get("/hardware/", &[]).await;
    let response = app.get("/metrics", &[]).await;
    let text = String::from_utf8(
        http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for needle in [
        "http_request_duration_seconds_bucket",
        "route=\"/hardware/\"",
        "hardware_profiles{state=\"never_computed\"}",
        "hardware_compute_slots_busy",
        "hardware_refresh_cycle_seconds",
    ] {
        assert!(text.contains(needle), "{needle} missing from /metrics");
    }
}
