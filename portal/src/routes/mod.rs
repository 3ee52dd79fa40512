//! The HTTP surface. [`router`] is separate from serving so tests call it in-process.

mod assets;
mod dashboard;
mod errors;
mod export;
mod ops;
mod profile;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// No inline script or style, nothing from other origins: a name like
/// `<script>alert(1)</script>` in the catalog is escaped anyway, and CSP is the second wall.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let security_headers = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    let mut router = Router::new()
        .route("/", get(dashboard::dashboard))
        .route("/version", get(ops::version))
        .route("/profiles/{provider}/{name}", get(profile::profile))
        .route("/static/{name}", get(assets::asset))
        .route("/favicon.ico", get(assets::favicon))
        .route("/export.csv", get(export::csv))
        .route("/export.json", get(export::json))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.http_metrics.clone(),
            service_kit::http_metrics::track_latency,
        ));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router.with_state(state)
}
