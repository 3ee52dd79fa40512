//! Errors as JSON: `{"error": "<kind>", "message": "..."}`. Client mistakes are 4xx with a
//! message naming what was wrong; nothing a client sends produces a 5xx.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl ToString) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "bad_request",
            message: message.to_string(),
        }
    }

    /// A bug on our side (a render task that panicked): logged, and a 500 with a message.
    pub fn internal(message: impl ToString) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "internal",
            message: message.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(kind = self.kind, message = %self.message, "request failed");
        }
        (
            self.status,
            Json(json!({ "error": self.kind, "message": self.message })),
        )
            .into_response()
    }
}

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        kind: "not_found",
        message: format!(
            "no route for {} (try GET /hardware/)",
            uri.path().chars().take(100).collect::<String>()
        ),
    }
}

/// A known path with a method it does not serve (every route is GET only). axum still adds the
/// `Allow` header; this gives the 405 a JSON body like every other client error.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        kind: "method_not_allowed",
        message: format!(
            "{} is not allowed on {} (only GET)",
            method.as_str().chars().take(20).collect::<String>(),
            uri.path().chars().take(100).collect::<String>()
        ),
    }
}
