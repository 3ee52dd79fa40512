//! `GET /static/{name}`: the embedded CSS and JS. Names carry a content hash, so they are
//! cached for a year and never revalidated.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::dashboard::accepts_gzip;
use super::errors::html_error;
use crate::render::assets;

const YEAR: &str = "public, max-age=31536000, immutable";

pub async fn asset(Path(name): Path<String>, request_headers: HeaderMap) -> Response {
    match assets::find(&name) {
        Some(asset) if accepts_gzip(&request_headers) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, YEAR),
                (header::CONTENT_ENCODING, "gzip"),
                (header::VARY, "accept-encoding"),
            ],
            asset.gzip.clone(),
        )
            .into_response(),
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, YEAR),
                (header::VARY, "accept-encoding"),
            ],
            asset.body,
        )
            .into_response(),
        None => html_error(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such file (assets are named after their content; reload the page).".into(),
        ),
    }
}

/// `GET /favicon.ico`: the name never changes, so a day of caching, not a year.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        assets::FAVICON,
    )
        .into_response()
}
