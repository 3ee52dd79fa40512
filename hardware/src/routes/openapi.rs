//! `GET /openapi.json`: hardware's OpenAPI document, derived from the handlers' annotations
//! (utoipa) so that it cannot describe routes or fields the code does not have. The contract
//! test (`tests/api/openapi.rs`) checks that every JSON route is in it, and
//! `scripts/ci/check-openapi.sh` runs schemathesis against the real binary with it.

use utoipa::OpenApi;
use utoipa::openapi::path::PathItem;

use super::{changes, health, history, list, status};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hardware",
        description = "The private availability service: the hardware catalog and its \
            precomputed availability (docs/api.md). Every error has the one JSON shape `Error`; \
            every route is GET (HEAD works too), any other method a 405.",
    ),
    paths(
        list::list_hardware,
        changes::changes,
        status::status,
        history::history,
        health::healthz,
        health::readyz,
        health::metrics,
    ),
    components(schemas(service_kit::openapi::ErrorBody, service_kit::openapi::ErrorKind)),
    modifiers(&WithoutTrailingSlash),
    tags(
        (name = "hardware", description = "The catalog, its changes and histories."),
        (name = "operations", description = "Probes and metrics."),
    ),
)]
struct ApiDoc;

/// `/hardware` answers as `/hardware/` does (the original served both); one handler, so the
/// second path is a copy of the first with its own operation id.
struct WithoutTrailingSlash;

impl utoipa::Modify for WithoutTrailingSlash {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(item) = openapi.paths.paths.get("/hardware/") else {
            return;
        };
        let mut item: PathItem = item.clone();
        if let Some(get) = item.get.as_mut() {
            get.operation_id = Some("list_hardware_without_slash".to_owned());
        }
        openapi.paths.paths.insert("/hardware".to_owned(), item);
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
    use crate::profile::RECENT_LEN;
    use crate::query::{MAX_PAGE, MAX_PER_PAGE, MAX_SEARCH_LEN};

    fn served() -> Value {
        service_kit::openapi::to_json(&document())
    }

    fn parameter<'a>(document: &'a Value, path: &str, name: &str) -> &'a Value {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
    }

    /// utoipa takes literals only: the bounds written in the annotations are the constants
    /// the code checks.
    #[test]
    fn the_documented_bounds_are_the_ones_the_code_checks() {
        let document = served();
        for path in ["/hardware/", "/hardware"] {
            let schema = |name| &parameter(&document, path, name)["schema"];
            assert_eq!(schema("per_page")["maximum"], MAX_PER_PAGE);
            assert_eq!(schema("page")["maximum"], MAX_PAGE);
            assert_eq!(schema("q")["maxLength"], MAX_SEARCH_LEN);
        }
        let limit = &parameter(&document, "/hardware/{provider}/{name}/history", "limit")["schema"];
        assert_eq!(limit["maximum"], super::history::MAX_LIMIT);
        let schemas = &document["components"]["schemas"];
        assert_eq!(
            schemas["History"]["properties"]["limit"]["maximum"],
            super::history::MAX_LIMIT
        );
        assert_eq!(
            schemas["Profile"]["properties"]["recent"]["maxItems"],
            RECENT_LEN
        );
    }

    #[test]
    fn optional_headers_are_never_null_and_no_schema_is_unused() {
        let document = served();
        let since = parameter(&document, "/hardware/changes", "If-None-Match");
        assert_eq!(since["schema"]["type"], "string");
        assert!(document["components"]["schemas"].get("i64").is_none());
    }
}
