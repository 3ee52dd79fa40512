//! `GET /openapi.json` keeps the document honest: every JSON route of the router is in it, it
//! parses as OpenAPI 3.x, and each documented operation, called in-process with its example
//! values, answers one of the statuses documented for it (so no path in it is a 404 fallback).

use std::collections::BTreeSet;

use http_body_util::BodyExt;
use serde_json::Value;
use test_support::openapi::assert_response_documented;

use crate::helpers::InProcess;

/// Every route `hardware::router` serves, with its methods. A route added to the router and
/// not to the document (or the other way round) fails here.
const ROUTES: &[(&str, &str)] = &[
    ("/hardware/", "get"),
    ("/hardware", "get"),
    ("/hardware/changes", "get"),
    ("/hardware/status", "get"),
    ("/hardware/{provider}/{name}/history", "get"),
    ("/healthz", "get"),
    ("/readyz", "get"),
    ("/metrics", "get"),
];

async fn document(app: &InProcess) -> Value {
    let response = app.get("/openapi.json", &[]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // It is an OpenAPI document as utoipa's own model reads one...
    serde_json::from_slice::<utoipa::openapi::OpenApi>(&bytes).expect("parses as OpenAPI");
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_every_route_of_the_router() {
    let app = InProcess::new().await;
    let document = document(&app).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        document["openapi"]
    );
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(path, method)| (path.to_string(), method.to_string()))
        .collect();
    assert_eq!(documented, expected);
    // Every reference resolves.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference
            .split('"')
            .next()
            .unwrap()
            .trim_start_matches("#/components/schemas/");
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "dangling $ref {name}"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_answers_a_documented_status() {
    let app = InProcess::new().await;
    let document = document(&app).await;
    for path in document["paths"].as_object().unwrap().keys() {
        let uri = path.replace("{provider}", "Amazon").replace("{name}", "c5");
        let response = app.get(&uri, &[]).await;
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned());
        assert_response_documented(
            &document,
            path,
            "get",
            &uri,
            response.status().as_u16(),
            content_type.as_deref(),
        );
    }
}

#[tokio::test]
async fn a_path_part_that_is_not_utf8_is_a_400_in_the_error_shape() {
    let app = InProcess::new().await;
    let (status, body) = app.get_json("/hardware/%FF/c5/history").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "bad_request");
    assert!(
        body["message"].as_str().unwrap().contains("provider"),
        "{body}"
    );
}
