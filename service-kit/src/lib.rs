//! What every service in this workspace shares, and nothing more: logging set-up,
//! the shutdown signal, and the per-route request latency histogram behind `/metrics`.

pub mod http_metrics;
pub mod shutdown;
pub mod telemetry;

pub use http_metrics::HttpMetrics;
pub use shutdown::shutdown_signal;
pub use telemetry::{LogFormat, init_tracing};
