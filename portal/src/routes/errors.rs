//! HTML error pages: a person gets a sentence saying what was wrong, never a bare status.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::render::ErrorPage;

pub fn html_error(status: StatusCode, heading: &'static str, message: String) -> Response {
    let body = ErrorPage::new(heading, message)
        .render()
        .unwrap_or_else(|_| "error".to_owned());
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

pub fn bad_request(message: String) -> Response {
    html_error(StatusCode::BAD_REQUEST, "Bad request", message)
}

/// Every page is read-only: a POST (a form, a crawler, a scanner) gets a sentence, not an
/// empty 405. axum adds the `Allow` header.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    html_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        format!(
            "{method} is not accepted at {}: this dashboard is read-only, use GET.",
            uri.path()
        ),
    )
}

pub async fn not_found() -> Response {
    html_error(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address.".to_owned(),
    )
}
