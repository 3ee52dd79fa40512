//! Endpoints for operators and for the page's refresh script.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready once the first snapshot has arrived: before that, the page has nothing to show,
/// so a load balancer should keep sending traffic to instances that have data.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.store.peek().catalog.is_some() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "waiting for the first snapshot from hardware",
        )
            .into_response()
    }
}

/// The token the page's script polls; it changes whenever the page would change.
pub async fn version(State(state): State<AppState>) -> Response {
    let token = state.store.version_token(&state.store.peek());
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        token,
    )
        .into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.refresh_clock_gauges(&state.store);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.http_metrics.render(),
    )
        .into_response()
}
