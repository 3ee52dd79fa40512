//! The listener's counters in the service's `/metrics`.

use prometheus::{IntCounter, IntGauge, Registry};

#[derive(Clone)]
pub struct ListenerMetrics {
    pub open: IntGauge,
    pub refused: IntCounter,
    pub evicted: IntCounter,
    pub header_timeouts: IntCounter,
    pub idle_timeouts: IntCounter,
    pub accept_errors: IntCounter,
}

impl ListenerMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            open: IntGauge::new("http_connections_open", "Client connections open now")?,
            refused: IntCounter::new(
                "http_connections_refused_total",
                "Connections answered 503 and closed at the connection cap (no slow connection to evict)",
            )?,
            evicted: IntCounter::new(
                "http_connections_evicted_total",
                "Slow connections (no request header completed) closed at the connection cap to make room for a new one",
            )?,
            header_timeouts: IntCounter::new(
                "http_header_read_timeouts_total",
                "Connections closed because a request's headers did not arrive in time",
            )?,
            idle_timeouts: IntCounter::new(
                "http_idle_timeouts_total",
                "Kept-alive connections closed after the idle timeout",
            )?,
            accept_errors: IntCounter::new(
                "http_accept_errors_total",
                "accept() failures (descriptor exhaustion and the like)",
            )?,
        };
        registry.register(Box::new(metrics.open.clone()))?;
        registry.register(Box::new(metrics.refused.clone()))?;
        registry.register(Box::new(metrics.evicted.clone()))?;
        registry.register(Box::new(metrics.header_timeouts.clone()))?;
        registry.register(Box::new(metrics.idle_timeouts.clone()))?;
        registry.register(Box::new(metrics.accept_errors.clone()))?;
        Ok(metrics)
    }
}
