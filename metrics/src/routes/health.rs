use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{AppState, error_response};

/// Alive: the process answers HTTP.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: every database this process uses can be read.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let sources = state.sources.clone();
    let flusher = state.flusher.clone();
    let checked = tokio::task::spawn_blocking(move || {
        if let Some(sources) = sources {
            sources.ping()?;
        }
        if let Some(flusher) = flusher {
            flusher.ping_store()?;
        }
        Ok::<_, crate::storage::StorageError>(())
    })
    .await;
    match checked {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(err)) => error_response(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
        Err(err) => error_response(StatusCode::SERVICE_UNAVAILABLE, err.to_string()),
    }
}
