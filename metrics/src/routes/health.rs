use axum::extract::State;
use axum::response::{IntoResponse, Response};
use service_kit::ApiError;

use super::AppState;

/// Alive: the process answers HTTP.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: every database this process uses can be read.
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
