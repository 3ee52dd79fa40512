//! The one JSON error shape every service answers with (docs/api.md, "Errors"):
//!
//! ```json
//! {"error": "bad_request", "message": "limit: '0': expected 1 to 1000", "parameter": "limit"}
//! ```
//!
//! `error` is a stable machine-readable kind (callers branch on it), `message` a sentence for a
//! person naming what was wrong; a route may add members that say more (`parameter`,
//! `bad_messages`, `missing_sources`), never replace these two.

use axum::Json;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// Extra members of the body, after `error` and `message`.
    details: Map<String, Value>,
}

impl ApiError {
    /// Any status with its kind; prefer the named constructors below.
    pub fn new(status: StatusCode, kind: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            status,
            kind,
            message: message.to_string(),
            details: Map::new(),
        }
    }

    /// 400: the request itself is wrong; the message names the bad value.
    pub fn bad_request(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: no such route, or nothing stored for what was asked.
    pub fn not_found(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 405: a known path with a method it does not serve (axum adds `Allow`).
    pub fn method_not_allowed(message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        )
    }

    /// 413: a request body over the route's limit.
    pub fn payload_too_large(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 429: accepted in part or refused for now; sending again later may work.
    pub fn too_many_requests(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
    }

    /// 503: a dependency (a database) does not answer; a handled outage, not a bug.
    pub fn unavailable(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 500: a bug on our side (a render task that panicked); logged when answered.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// Adds a member to the body, e.g. the query parameter at fault.
    pub fn with_detail(mut self, name: &str, value: impl Into<Value>) -> Self {
        debug_assert!(
            name != "error" && name != "message",
            "details never replace the shape's own members"
        );
        self.details.insert(name.to_owned(), value.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The JSON body, as sent.
    pub fn body(&self) -> Value {
        let mut body = Map::with_capacity(2 + self.details.len());
        body.insert("error".to_owned(), self.kind.into());
        body.insert("message".to_owned(), self.message.clone().into());
        body.extend(self.details.clone());
        Value::Object(body)
    }
}

/// A path axum cannot extract (a part that is not UTF-8 once percent-decoded): a 400 in the one
/// shape, where axum would answer plain text. Any other rejection is a route declared wrong,
/// a bug on our side.
impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_client_error() {
            Self::bad_request(rejection.body_text())
        } else {
            Self::internal(rejection.body_text())
        }
    }
}

/// A body axum cannot read: over the limit (2 MiB, axum's default) is a 413, anything else
/// (the client went away mid-body) a 400; in the one shape, where axum would answer plain text.
impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::payload_too_large(format!(
                "the body is larger than {} bytes",
                DEFAULT_BODY_LIMIT
            ))
        } else {
            Self::bad_request(rejection.body_text())
        }
    }
}

/// axum's default request body limit (`DefaultBodyLimit`), which the services keep.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A 503 is an outage the service handles (and logs once per transition); anything
        // else on the server side is a bug worth a line per request.
        if self.status.is_server_error() && self.status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(kind = self.kind, message = %self.message, "request failed");
        }
        (self.status, Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_kind_and_message_then_details() {
        let error = ApiError::bad_request("limit: '0': expected 1 to 1000")
            .with_detail("parameter", "limit");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            error.body(),
            serde_json::json!({
                "error": "bad_request",
                "message": "limit: '0': expected 1 to 1000",
                "parameter": "limit",
            })
        );
    }

    #[tokio::test]
    async fn the_response_carries_the_status_and_a_json_body() {
        let response = ApiError::unavailable("database unavailable").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            "application/json"
        );
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": "unavailable", "message": "database unavailable"})
        );
    }
}
