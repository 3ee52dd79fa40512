//! `/healthz` (the process runs), `/readyz` (it can serve: snapshot loaded, database answering)
//! and `/metrics` (Prometheus text).

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::backlog::Backlog;
use crate::state::AppState;

/// `/readyz`'s answer, ready or not.
#[derive(Serialize, ToSchema)]
#[schema(as = Readiness)]
pub(super) struct Readiness {
    #[schema(value_type = String, pattern = "^(ready|not_ready)$")]
    status: &'static str,
    /// Why it is not ready; `null` when ready.
    #[schema(value_type = Option<String>, required = true)]
    reason: Option<&'static str>,
    /// Profiles in the served snapshot.
    #[schema(minimum = 0)]
    profiles: usize,
    /// The snapshot version.
    version: String,
}

/// `/readyz`'s 503: the database does not answer, or the process drains after SIGTERM.
#[derive(ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub(super) enum NotReady {
    Readiness(Readiness),
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

/// Ready: the snapshot is loaded and the database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready.", body = Readiness),
        (status = 503, description = "The database does not answer (the last values are still \
            served), or the process drains after SIGTERM.", body = NotReady),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let snapshot = state.snapshot.load();
    let body = |status: &'static str, reason: Option<&'static str>| {
        Json(Readiness {
            status,
            reason,
            profiles: snapshot.rows.len(),
            version: snapshot.version.to_string(),
        })
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

/// Prometheus text: request latency by route, profiles by state, compute slots, ...
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4.", body = String,
        content_type = "text/plain")),
)]
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
