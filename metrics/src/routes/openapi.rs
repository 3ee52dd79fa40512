//! `GET /openapi.json`: the metrics service's OpenAPI document, derived from the handlers'
//! annotations (utoipa) so that it cannot describe routes or fields the code does not have.
//! The document lists every route whatever `--role` this process has: a role that does not
//! serve one answers it 404, as documented. The contract test (`tests/api/openapi.rs`) checks
//! that every JSON route is in it, and `scripts/ci/check-openapi.sh` runs schemathesis against
//! the real binary with it.

use utoipa::OpenApi;

use super::{events, health, ingest, query};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "metrics",
        description = "Response times per app instance, aggregated by UTC hour, and the kept \
            events (docs/metrics.md). Every error has the one JSON shape `Error`.",
    ),
    paths(
        query::query,
        events::by_key,
        events::by_prefix,
        ingest::ingest,
        health::healthz,
        health::readyz,
        service_kit::http_metrics::metrics_endpoint,
    ),
    components(schemas(service_kit::openapi::ErrorBody, service_kit::openapi::ErrorKind)),
    modifiers(&EmptyBatch),
    tags(
        (name = "query", description = "Hourly statistics."),
        (name = "events", description = "Kept events, a page at a time."),
        (name = "ingest", description = "Batches over HTTP (UDP is the other way in)."),
        (name = "operations", description = "Probes and metrics."),
    ),
)]
struct ApiDoc;

/// `POST /ingest` without a body is an empty batch (`{"accepted": 0}`), as an empty text body
/// is: the body is optional, which the `request_body` attribute cannot say.
struct EmptyBatch;

impl utoipa::Modify for EmptyBatch {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let body = openapi
            .paths
            .paths
            .get_mut("/ingest")
            .and_then(|item| item.post.as_mut())
            .and_then(|post| post.request_body.as_mut());
        if let Some(body) = body {
            body.required = Some(utoipa::openapi::Required::False);
        }
    }
}

/// The document `GET /openapi.json` serves.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::domain::event::MAX_PAGE_LIMIT;

    fn served() -> Value {
        service_kit::openapi::to_json(&document())
    }

    /// utoipa takes literals only: the bounds and names written in the annotations are the
    /// constants the code uses.
    #[test]
    fn the_documented_bounds_are_the_ones_the_code_checks() {
        let document = served();
        let key_pattern = format!("^[A-Za-z0-9_.-]{{1,{}}}$", metrics_client::MAX_KEY_LEN);
        for path in ["/events/{key}", "/events"] {
            for parameter in document["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
            {
                match parameter["name"].as_str().unwrap() {
                    "limit" => assert_eq!(parameter["schema"]["maximum"], MAX_PAGE_LIMIT),
                    "key" | "prefix" => assert_eq!(parameter["schema"]["pattern"], key_pattern),
                    _ => {}
                }
            }
        }
        let schemas = &document["components"]["schemas"];
        assert_eq!(
            schemas["EventPage"]["properties"]["limit"]["maximum"],
            MAX_PAGE_LIMIT
        );
        assert_eq!(
            schemas["Aggregate"]["properties"]["key"]["pattern"],
            key_pattern
        );
        assert_eq!(
            schemas["IngestMessage"]["properties"]["value"]["oneOf"][0]["maximum"],
            metrics_client::MAX_VALUE_MS
        );
        let aggregate = &document["paths"]["/{key}/{stat_type}/{date}/{hour}"]["get"];
        assert!(
            aggregate["responses"]["200"]["headers"]
                .as_object()
                .unwrap()
                .keys()
                .any(|name| name.eq_ignore_ascii_case(super::query::MISSING_SOURCES_HEADER))
        );
        assert_eq!(
            document["paths"]["/ingest"]["post"]["requestBody"]["required"],
            false
        );
    }
}
