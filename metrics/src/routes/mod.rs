//! HTTP routes. `router` builds the whole app from state, so tests call it in-process.

pub mod events;
pub mod health;
pub mod ingest;
pub mod openapi;
pub mod query;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use service_kit::http_metrics::{metrics_endpoint, track_latency};
use service_kit::{ApiError, HttpMetrics};

use crate::aggregate::Shard;
use crate::config::Role;
use crate::flush::Flusher;
use crate::storage::Sources;
use crate::telemetry::ServiceMetrics;

#[derive(Clone)]
pub struct AppState {
    pub role: Role,
    /// What queries read; `None` for a collector.
    pub sources: Option<Sources>,
    /// Where POST /ingest aggregates; `None` for a query-only process.
    pub http_shard: Option<Arc<Mutex<Shard>>>,
    /// The collector's flusher; `/readyz` reports its database.
    pub flusher: Option<Arc<Flusher>>,
    pub service_metrics: ServiceMetrics,
    pub http_metrics: HttpMetrics,
}

impl FromRef<AppState> for HttpMetrics {
    fn from_ref(state: &AppState) -> Self {
        state.http_metrics.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics_endpoint))
        .route(
            "/openapi.json",
            service_kit::openapi::document_route(&openapi::document()),
        );
    if state.role.collects() {
        router = router.route("/ingest", post(ingest::ingest));
    }
    if state.role.queries() {
        router = router
            .route("/{key}/{stat_type}/{date}/{hour}", get(query::query))
            .route("/events", get(events::by_prefix))
            .route("/events/{key}", get(events::by_key));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.http_metrics.clone(),
            track_latency,
        ))
        .with_state(state)
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::method_not_allowed(format!(
        "{method} is not accepted at {}: query with GET, ingest with POST /ingest",
        uri.path()
    ))
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "no such route: query with GET /<key>/<average|min|max|median>/<YYYY-MM-DD>/<0-23>, \
         events with GET /events/<key> or GET /events?prefix=<prefix>, ingest with POST /ingest",
    )
}
