//! The fallbacks, in the one JSON error shape (`service_kit::ApiError`, docs/api.md). Client
//! mistakes are 4xx with a message naming what was wrong; nothing a client sends produces a 5xx.

use service_kit::ApiError;

pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "no route for {} (try GET /hardware/)",
        uri.path().chars().take(100).collect::<String>()
    ))
}

/// A known path with a method it does not serve (every route is GET only). axum still adds the
/// `Allow` header; this gives the 405 a JSON body like every other client error.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::method_not_allowed(format!(
        "{} is not allowed on {} (only GET)",
        method.as_str().chars().take(20).collect::<String>(),
        uri.path().chars().take(100).collect::<String>()
    ))
}
