//! `GET /static/{name}`: the embedded CSS and JS. Names carry a content hash, so they are
//! cached for a year and never revalidated.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::errors::html_error;
use crate::render::assets;

pub async fn asset(Path(name): Path<String>) -> Response {
    match assets::find(&name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
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
