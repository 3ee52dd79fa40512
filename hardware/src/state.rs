//! What request handlers share.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bytes::Bytes;
use service_kit::HttpMetrics;

use crate::app_metrics::AppMetrics;
use crate::compute_status::ComputeStatusHandle;
use crate::snapshot::SnapshotHandle;

/// A response body built once per (snapshot version, query) and then served from memory.
#[derive(Clone)]
pub struct CachedBody {
    pub body: Bytes,
    /// Profiles matching the filters, before paging (`X-Total-Count`).
    pub total: usize,
    /// `Link` header value when paging.
    pub link: Option<String>,
}

pub type ResponseCache = moka::sync::Cache<(Arc<str>, String), CachedBody>;

/// Bounded by bytes: the full catalog of 100,000 profiles is ~15 MB of JSON.
pub fn response_cache() -> ResponseCache {
    moka::sync::Cache::builder()
        .max_capacity(128 * 1024 * 1024)
        .weigher(|_key, value: &CachedBody| value.body.len().try_into().unwrap_or(u32::MAX))
        // Entries of old versions are never asked for again; let them go soon.
        .time_to_idle(Duration::from_secs(30))
        .build()
}

#[derive(Clone)]
pub struct AppState {
    pub snapshot: SnapshotHandle,
    pub responses: ResponseCache,
    pub http_metrics: HttpMetrics,
    pub app_metrics: AppMetrics,
    /// Set by the refresher after each database round trip.
    pub store_healthy: Arc<AtomicBool>,
    pub refresh_interval: Duration,
    /// The refresher's slots and current work, for `GET /hardware/status`.
    pub compute_status: ComputeStatusHandle,
}
