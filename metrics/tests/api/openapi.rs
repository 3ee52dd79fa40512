//! `GET /openapi.json` keeps the document honest: every route of the router is in it, it parses
//! as OpenAPI 3.x, and each documented operation, called with its example values, answers one
//! of the statuses documented for it (so no path in it is the 404 fallback). Also answers the
//! fuzzing from it found in plain text (docs/reliability.md, "Fuzzing from the contract").

use std::collections::BTreeSet;

use metrics::Role;
use serde_json::Value;
use test_support::openapi::assert_response_documented;

use crate::helpers::*;

/// Every route `metrics::routes::router` serves (role `all`), with its methods.
const ROUTES: &[(&str, &str)] = &[
    ("/{key}/{stat_type}/{date}/{hour}", "get"),
    ("/events/{key}", "get"),
    ("/events", "get"),
    ("/ingest", "post"),
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/metrics", "get"),
];

async fn fetch_document(app: &TestApp) -> Value {
    let response = app
        .http
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice::<utoipa::openapi::OpenApi>(&bytes).expect("parses as OpenAPI");
    serde_json::from_slice(&bytes).unwrap()
}

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (path.clone(), method.clone()))
        })
        .collect()
}

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_every_route_of_the_router() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let document = fetch_document(&app).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    assert_eq!(operations(&document), expected);
    // A process of any role serves the same document: what its role does not serve is a
    // documented 404.
    let query_only = spawn_app(Role::Query, &dir.path().join("m.db"), &[]).await;
    assert_eq!(fetch_document(&query_only).await, document);
}

#[tokio::test]
async fn every_documented_operation_answers_a_documented_status() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let document = fetch_document(&app).await;
    for (path, method) in operations(&document) {
        let uri = path
            .replace("{key}", "portal-web1-42")
            .replace("{stat_type}", "median")
            .replace("{date}", "2026-11-22")
            .replace("{hour}", "14")
            .replace("/events", "/events?prefix=p1.")
            .replace("?prefix=p1./", "/");
        let url = format!("{}{uri}", app.base);
        let request = match method.as_str() {
            "get" => app.http.get(&url),
            "post" => app
                .http
                .post(&url)
                .header("content-type", "text/plain")
                .body("portal-web1-42:1.5"),
            other => panic!("{other}"),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_response_documented(&document, &path, &method, &uri, status, Some(&content_type));
    }
}

#[tokio::test]
async fn a_path_part_that_is_not_utf8_is_a_400_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    for path in ["/events/%FF", "/%FF/median/2026-11-22/14"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}");
        assert_eq!(body["error"], "bad_request", "{path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("key"), "{body}");
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let line = "portal-web1-42:1.5\n";
    let body = line.repeat(3 * 1024 * 1024 / line.len());
    let (status, body) = app.post(&body, "text/plain").await;
    assert_eq!(status, 413);
    assert_eq!(body["error"], "payload_too_large", "{body}");
}
