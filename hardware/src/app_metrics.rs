//! The service's own Prometheus metrics, beside the request latency histogram.

use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntGauge, IntGaugeVec, Opts, Registry,
};

#[derive(Clone)]
pub struct AppMetrics {
    /// Profiles by freshness: `fresh`, `stale` (older than the refresh interval) and
    /// `never_computed`. Computed from the snapshot at scrape time.
    pub profiles: IntGaugeVec,
    pub compute_slots: IntGauge,
    pub compute_slots_busy: IntGauge,
    pub computations: IntCounter,
    /// Duration of the last completed refresh cycle: from the moment due profiles were found
    /// until none was left.
    pub refresh_cycle_seconds: Gauge,
    /// Age of the refresh cycle in progress, 0 when idle (a cycle over 100,000 profiles may
    /// take days on a few workers; this shows it is moving).
    pub refresh_cycle_running_seconds: Gauge,
    pub refresh_cycles: IntCounter,
    pub store_errors: IntCounter,
    /// Corrupt values met while loading rows (each cost its own row only).
    pub corrupt_values: IntGauge,
    pub results_pending: IntGauge,
    pub persist_seconds: Histogram,
}

impl AppMetrics {
    pub fn register(registry: &Registry) -> Self {
        let metrics = Self {
            profiles: IntGaugeVec::new(
                Opts::new(
                    "hardware_profiles",
                    "Profiles by freshness of their availability.",
                ),
                &["state"],
            )
            .expect("valid"),
            compute_slots: IntGauge::new("hardware_compute_slots", "Size of the compute pool.")
                .expect("valid"),
            compute_slots_busy: IntGauge::new(
                "hardware_compute_slots_busy",
                "Compute slots running the availability computation now.",
            )
            .expect("valid"),
            computations: IntCounter::new(
                "hardware_computations_total",
                "Availability computations completed.",
            )
            .expect("valid"),
            refresh_cycle_seconds: Gauge::new(
                "hardware_refresh_cycle_seconds",
                "Duration of the last completed refresh cycle.",
            )
            .expect("valid"),
            refresh_cycle_running_seconds: Gauge::new(
                "hardware_refresh_cycle_running_seconds",
                "Age of the refresh cycle in progress (0 when every profile is fresh).",
            )
            .expect("valid"),
            refresh_cycles: IntCounter::new(
                "hardware_refresh_cycles_total",
                "Refresh cycles completed.",
            )
            .expect("valid"),
            store_errors: IntCounter::new(
                "hardware_store_errors_total",
                "Database operations that failed (they are retried).",
            )
            .expect("valid"),
            corrupt_values: IntGauge::new(
                "hardware_store_corrupt_values",
                "Unreadable values met while loading rows; each row was served as never \
                 computed (and recomputed) or left out, never the whole catalog.",
            )
            .expect("valid"),
            results_pending: IntGauge::new(
                "hardware_results_pending",
                "Computed results waiting to be written to the database.",
            )
            .expect("valid"),
            persist_seconds: Histogram::with_opts(
                HistogramOpts::new(
                    "hardware_persist_seconds",
                    "Time to write one batch of results to the database.",
                )
                .buckets(vec![0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0]),
            )
            .expect("valid"),
        };
        for collector in [
            Box::new(metrics.profiles.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(metrics.compute_slots.clone()),
            Box::new(metrics.compute_slots_busy.clone()),
            Box::new(metrics.computations.clone()),
            Box::new(metrics.refresh_cycle_seconds.clone()),
            Box::new(metrics.refresh_cycle_running_seconds.clone()),
            Box::new(metrics.refresh_cycles.clone()),
            Box::new(metrics.store_errors.clone()),
            Box::new(metrics.corrupt_values.clone()),
            Box::new(metrics.results_pending.clone()),
            Box::new(metrics.persist_seconds.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric registers once");
        }
        metrics
    }
}
