use axum::extract::State;
use axum::response::{IntoResponse, Response};
use service_kit::ApiError;
use service_kit::openapi::ErrorBody;

use super::AppState;

/// `/readyz`'s 503: a database does not answer, or the process drains after SIGTERM.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub(super) enum NotReady {
    Error(ErrorBody),
    Draining(service_kit::openapi::Draining),
}

/// Alive: the process answers HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")),
)]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: every database this process uses can be read.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "`ready`", body = String, content_type = "text/plain"),
        (status = 503, description = "A database does not answer, or the process drains after \
            SIGTERM.", body = NotReady),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let checked = async {
        if let Some(sources) = &state.sources {
            sources.ping().await?;
        }
        if let Some(flusher) = &state.flusher {
            flusher.ping_store().await?;
        }
        Ok::<_, crate::storage::StorageError>(())
    }
    .await;
    match checked {
        Ok(()) => "ready".into_response(),
        Err(err) => ApiError::unavailable(err).into_response(),
    }
}
