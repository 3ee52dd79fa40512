//! HTTP routes. `router` is separate from serving so tests call it in-process.

mod changes;
mod error;
mod health;
mod history;
mod list;
pub mod openapi;
mod status;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use service_kit::ApiError;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let metrics = state.http_metrics.clone();
    Router::new()
        .route("/hardware/", get(list::list_hardware))
        .route("/hardware", get(list::list_hardware))
        .route("/hardware/changes", get(changes::changes))
        .route("/hardware/status", get(status::status))
        .route("/hardware/{provider}/{name}/history", get(history::history))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/openapi.json",
            service_kit::openapi::document_route(&openapi::document()),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            service_kit::http_metrics::track_latency,
        ))
        // Every answer (JSON, errors, /metrics text) must be taken as the type it says it is.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http().on_failure(log_failure))
}

/// 5xx answers at ERROR, except 503: that is a handled outage (`/readyz` while the database is
/// away), logged once per transition by the refresher rather than once per probe.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass;
    match class {
        ServerErrorsFailureClass::StatusCode(axum::http::StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms = latency.as_millis() as u64, "answered 503");
        }
        class => {
            tracing::error!(%class, latency_ms = latency.as_millis() as u64, "response failed");
        }
    }
}
