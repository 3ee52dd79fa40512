//! The service's own Prometheus metrics (next to service-kit's HTTP latency histogram).

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use crate::ingest::DropReason;

#[derive(Clone)]
pub struct ServiceMetrics {
    /// Messages aggregated, by transport (`udp`, `http`).
    pub ingested: IntCounterVec,
    /// Messages rejected, by reason (`malformed`, `bad_key`, `bad_value`, `series_limit`).
    pub dropped: IntCounterVec,
    pub datagrams: IntCounter,
    pub flush_duration: Histogram,
    pub flush_errors: IntCounter,
    /// Series waiting for the next flush (grows while the database is failing, up to
    /// `--max-series`).
    pub pending_series: IntGauge,
    /// Series (and their messages) dropped from the flush backlog because a database outage
    /// made it grow past `--max-series`.
    pub backlog_dropped_series: IntCounter,
    pub backlog_dropped_messages: IntCounter,
    /// Events appended to the database.
    pub events_stored: IntCounter,
    /// Events not kept, by reason (`buffer_full`: the shard's buffer between flushes;
    /// `backlog_full`: appends kept failing). Their values are still aggregated.
    pub events_dropped: IntCounterVec,
}

impl ServiceMetrics {
    pub fn register(registry: &Registry) -> Self {
        let ingested = IntCounterVec::new(
            Opts::new("metrics_messages_ingested_total", "Messages aggregated."),
            &["transport"],
        )
        .expect("valid metric");
        let dropped = IntCounterVec::new(
            Opts::new("metrics_messages_dropped_total", "Messages rejected."),
            &["reason"],
        )
        .expect("valid metric");
        let datagrams = IntCounter::new("metrics_udp_datagrams_total", "UDP datagrams received.")
            .expect("valid metric");
        let flush_duration = Histogram::with_opts(
            HistogramOpts::new(
                "metrics_flush_duration_seconds",
                "Time to merge pending aggregates into the database.",
            )
            .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0]),
        )
        .expect("valid metric");
        let flush_errors = IntCounter::new(
            "metrics_flush_errors_total",
            "Flushes that failed (their data is kept and retried).",
        )
        .expect("valid metric");
        let pending_series = IntGauge::new(
            "metrics_pending_series",
            "Series kept in memory after a failed flush.",
        )
        .expect("valid metric");
        let backlog_dropped_series = IntCounter::new(
            "metrics_flush_backlog_dropped_series_total",
            "Series dropped from the failed-flush backlog (oldest hours first) to keep it within \
             --max-series.",
        )
        .expect("valid metric");
        let backlog_dropped_messages = IntCounter::new(
            "metrics_flush_backlog_dropped_messages_total",
            "Messages in the series dropped from the failed-flush backlog.",
        )
        .expect("valid metric");
        let events_stored = IntCounter::new(
            "metrics_events_stored_total",
            "Events appended to the database.",
        )
        .expect("valid metric");
        let events_dropped = IntCounterVec::new(
            Opts::new(
                "metrics_events_dropped_total",
                "Events not kept (their values are still aggregated).",
            ),
            &["reason"],
        )
        .expect("valid metric");
        for collector in [
            Box::new(ingested.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(dropped.clone()),
            Box::new(datagrams.clone()),
            Box::new(flush_duration.clone()),
            Box::new(flush_errors.clone()),
            Box::new(pending_series.clone()),
            Box::new(backlog_dropped_series.clone()),
            Box::new(backlog_dropped_messages.clone()),
            Box::new(events_stored.clone()),
            Box::new(events_dropped.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric registered once");
        }
        // Zero-valued series exist from the start, so dashboards and tests see every reason.
        for transport in ["udp", "http"] {
            ingested.with_label_values(&[transport]);
        }
        for reason in DropReason::ALL {
            dropped.with_label_values(&[reason.label()]);
        }
        for reason in ["buffer_full", "backlog_full"] {
            events_dropped.with_label_values(&[reason]);
        }
        Self {
            ingested,
            dropped,
            datagrams,
            flush_duration,
            flush_errors,
            pending_series,
            backlog_dropped_series,
            backlog_dropped_messages,
            events_stored,
            events_dropped,
        }
    }
}
