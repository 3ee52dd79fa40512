//! `GET /hardware/status`: the refresher's slots, what it computes now and how long that
//! takes (a few hundred bytes, never cached: it changes with every claim).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::compute_status::ComputeStatus;
use crate::state::AppState;

/// The refresher's slots, what it computes now and how long that takes.
#[utoipa::path(
    get,
    path = "/hardware/status",
    operation_id = "hardware_status",
    tag = "hardware",
    responses(
        (status = 200, description = "What the refresher is doing.", body = ComputeStatus,
            headers(("Cache-Control" = String, description = "`no-store`."))),
    ),
)]
pub async fn status(State(state): State<AppState>) -> Response {
    let status = state.compute_status.load();
    let mut response = Json(status.as_ref().clone()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
