//! `/healthz` (the process runs), `/readyz` (it can serve: snapshot loaded, database answering)
//! and `/metrics` (Prometheus text).

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::backlog::Backlog;
use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let snapshot = state.snapshot.load();
    let body = |status: &str, reason: Option<&str>| {
        Json(json!({
            "status": status,
            "reason": reason,
            "profiles": snapshot.rows.len(),
            "version": snapshot.version.to_string(),
        }))
    };
    // The snapshot is loaded before the listener opens, so only the database can be missing.
    if state.store_healthy.load(Ordering::Relaxed) {
        (StatusCode::OK, body("ready", None))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            body(
                "not_ready",
                Some("the database does not answer; serving the last known values"),
            ),
        )
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let backlog = Backlog::of(
        &state.snapshot.load(),
        state.refresh_interval,
        time::OffsetDateTime::now_utc(),
    );
    let profiles = &state.app_metrics.profiles;
    profiles
        .with_label_values(&["fresh"])
        .set(backlog.fresh as i64);
    profiles
        .with_label_values(&["stale"])
        .set(backlog.stale as i64);
    profiles
        .with_label_values(&["never_computed"])
        .set(backlog.never_computed as i64);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.http_metrics.render(),
    )
}
