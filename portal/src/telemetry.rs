//! The portal's own Prometheus series, registered next to service-kit's latency histogram.

use prometheus::{Gauge, IntCounter, IntGauge, Opts};
use service_kit::HttpMetrics;
use time::OffsetDateTime;

use crate::domain::SnapshotStore;

#[derive(Clone)]
pub struct PortalMetrics {
    /// Seconds since the last successful sync (since start-up while there was none).
    pub snapshot_age_seconds: Gauge,
    pub sync_failures: IntCounter,
    pub consecutive_sync_failures: IntGauge,
    pub profiles: IntGauge,
    /// Page renders (cache misses); hits are the request count minus this.
    pub page_renders: IntCounter,
    started: OffsetDateTime,
}

impl PortalMetrics {
    pub fn register(http: &HttpMetrics) -> Result<Self, prometheus::Error> {
        let metrics = Self {
            snapshot_age_seconds: Gauge::with_opts(Opts::new(
                "portal_snapshot_age_seconds",
                "Seconds since the last successful sync with hardware.",
            ))?,
            sync_failures: IntCounter::with_opts(Opts::new(
                "portal_sync_failures_total",
                "Sync attempts with hardware that failed.",
            ))?,
            consecutive_sync_failures: IntGauge::with_opts(Opts::new(
                "portal_sync_consecutive_failures",
                "Sync attempts that failed since the last success (0 when healthy).",
            ))?,
            profiles: IntGauge::with_opts(Opts::new(
                "portal_profiles",
                "Hardware profiles in the portal's snapshot.",
            ))?,
            page_renders: IntCounter::with_opts(Opts::new(
                "portal_page_renders_total",
                "Dashboard pages rendered (page cache misses).",
            ))?,
            started: OffsetDateTime::now_utc(),
        };
        let registry = &http.registry;
        registry.register(Box::new(metrics.snapshot_age_seconds.clone()))?;
        registry.register(Box::new(metrics.sync_failures.clone()))?;
        registry.register(Box::new(metrics.consecutive_sync_failures.clone()))?;
        registry.register(Box::new(metrics.profiles.clone()))?;
        registry.register(Box::new(metrics.page_renders.clone()))?;
        Ok(metrics)
    }

    /// Gauges that depend on the clock are computed when scraped.
    pub fn refresh_clock_gauges(&self, store: &SnapshotStore) {
        let since = store.last_success().unwrap_or(self.started);
        let age = (OffsetDateTime::now_utc() - since).as_seconds_f64();
        self.snapshot_age_seconds.set(age.max(0.0));
    }
}
