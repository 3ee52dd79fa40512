//! What the OpenAPI documents of the services share (`GET /openapi.json`, docs/api.md): the
//! schema of the one error shape ([`ApiError`](crate::ApiError)'s body) and the route that
//! serves a document. Each service derives its own document from its handlers (utoipa).

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, get};
use serde_json::Value;
use utoipa::ToSchema;

/// The body of every error answer (`service_kit::ApiError`): `error` and `message` always, and
/// members a route adds to say more. Only a schema: the body itself is built by `ApiError`.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// The kind, stable, one per status code, for programs to branch on.
    error: ErrorKind,
    /// A sentence for a person, naming the bad value and what would be accepted.
    #[schema(example = "limit: '0': expected 1 to 1000")]
    message: String,
    /// The query or path parameter at fault (some 400s).
    #[schema(nullable = false)]
    parameter: Option<String>,
    /// metrics `POST /ingest`: up to ten `"line 2: ..."` entries.
    #[schema(nullable = false)]
    bad_messages: Option<Vec<String>>,
    /// metrics query: some `--source` databases did not answer.
    #[schema(nullable = false)]
    partial: Option<bool>,
    /// metrics query: the sources that did not answer.
    #[schema(nullable = false)]
    missing_sources: Option<Vec<String>>,
}

/// `error` of the error body: one kind per status code (400, 404, 405, 413, 429, 500, 503).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ErrorKind {
    BadRequest,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    TooManyRequests,
    Internal,
    Unavailable,
}

/// `/readyz` while the service drains after SIGTERM: answered by the listener, before any
/// route (`listener::drain`). Only a schema.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Draining {
    #[schema(pattern = "^draining$")]
    status: String,
    /// `the service is shutting down`.
    reason: String,
}

/// The document as served: utoipa's, with what its attributes cannot say put right. An
/// optional header parameter (`Option<String>`) comes out as `"type": ["string", "null"]`,
/// but a header is never JSON `null`; and a primitive named in `value_type` leaves an unused
/// component behind (`i64`).
pub fn to_json(document: &utoipa::openapi::OpenApi) -> Value {
    let mut document =
        serde_json::to_value(document).expect("an OpenAPI document always serializes");
    for operation in operations_mut(&mut document) {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters {
            if parameter["in"] == "header"
                && let Some(types) = parameter["schema"]["type"].as_array()
            {
                let types: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                parameter["schema"]["type"] = match types.as_slice() {
                    [single] => single.clone(),
                    _ => Value::Array(types),
                };
            }
        }
    }
    let text = document.to_string();
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.retain(|name, _| text.contains(&format!("\"#/components/schemas/{name}\"")));
    }
    document
}

/// Every operation of every path.
fn operations_mut(document: &mut Value) -> impl Iterator<Item = &mut Value> {
    document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
}

/// `GET /openapi.json`: the document ([`to_json`]), serialized once.
pub fn document_route<S>(document: &utoipa::openapi::OpenApi) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let body = Bytes::from(to_json(document).to_string());
    get(move || {
        let body = body.clone();
        async move {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    /// The schema names every kind the constructors of `ApiError` use, spelled as sent.
    #[test]
    fn the_schema_lists_every_kind_of_error() {
        let schema = serde_json::to_value(<ErrorKind as utoipa::PartialSchema>::schema()).unwrap();
        let kinds: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kind| kind.as_str().unwrap())
            .collect();
        for error in [
            ApiError::bad_request(""),
            ApiError::not_found(""),
            ApiError::method_not_allowed(""),
            ApiError::payload_too_large(""),
            ApiError::too_many_requests(""),
            ApiError::internal(""),
            ApiError::unavailable(""),
        ] {
            assert!(kinds.contains(&error.kind()), "{} missing", error.kind());
        }
        assert_eq!(kinds.len(), 7);
    }
}
