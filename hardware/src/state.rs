//! What request handlers share.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bytes::Bytes;
use service_kit::HttpMetrics;

use crate::app_metrics::AppMetrics;
use crate::compute_status::ComputeStatusHandle;
use crate::snapshot::SnapshotHandle;
use crate::store::Store;

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

/// The cache's memory cap, in bytes: the full catalog of 100,000 profiles is ~15 MB of JSON.
pub const RESPONSE_CACHE_BYTES: u64 = 128 * 1024 * 1024;

/// What one entry costs beyond its key and body: moka's entry, its place in the eviction
/// and idle-time lists, the hash table slot and the allocator's headers. Measured, not
/// guessed: `cargo run --release -p hardware --example cache_entry_overhead`
/// prints RSS per entry for empty bodies (docs/reliability.md has the figure).
const ENTRY_OVERHEAD_BYTES: usize = 384;

/// The bytes one entry really holds, so the cap holds whatever the query mix: a stream of
/// distinct queries with empty results is bounded as well as one huge catalog page.
pub fn entry_weight(key: &(Arc<str>, String), value: &CachedBody) -> u32 {
    let (version, query) = key;
    let weight = ENTRY_OVERHEAD_BYTES
        + std::mem::size_of::<(Arc<str>, String)>()
        + version.len()
        + query.capacity()
        + std::mem::size_of::<CachedBody>()
        + value.body.len()
        + value.link.as_ref().map_or(0, String::capacity);
    weight.try_into().unwrap_or(u32::MAX)
}

pub fn response_cache() -> ResponseCache {
    moka::sync::Cache::builder()
        .max_capacity(RESPONSE_CACHE_BYTES)
        .weigher(entry_weight)
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
    /// For what the snapshot does not hold: a profile's history (one indexed query).
    pub store: Arc<dyn Store>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> CachedBody {
        CachedBody {
            body: Bytes::from_static(b"[]"),
            total: 0,
            link: None,
        }
    }

    #[test]
    fn an_empty_result_still_weighs_its_key_and_overhead() {
        let key: (Arc<str>, String) = (Arc::from("v1"), "provider=x".repeat(10));
        let weight = entry_weight(&key, &empty()) as usize;
        assert!(weight >= ENTRY_OVERHEAD_BYTES + 100 + 2, "weight {weight}");
    }

    #[test]
    fn distinct_empty_queries_cannot_grow_the_cache_past_its_cap() {
        let cache = moka::sync::Cache::builder()
            .max_capacity(1024 * 1024)
            .weigher(entry_weight)
            .build();
        let version: Arc<str> = Arc::from("v1");
        for i in 0..20_000 {
            cache.insert(
                (version.clone(), format!("name=no-such-profile-{i}")),
                empty(),
            );
        }
        cache.run_pending_tasks();
        assert!(
            cache.weighted_size() <= 1024 * 1024,
            "weighted {} over the cap",
            cache.weighted_size()
        );
        // Each entry weighs ~530 bytes, so 1 MiB holds under 2,000 of the 20,000.
        assert!(
            cache.entry_count() < 2_000,
            "{} entries",
            cache.entry_count()
        );
    }
}
