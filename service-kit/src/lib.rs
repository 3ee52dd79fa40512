//! What every service in this workspace shares, and nothing more: the database plumbing
//! (`database`, behind the feature of that name), logging set-up,
//! the shutdown signal, the per-route request latency histogram behind `/metrics`, and the
//! HTTP listener with its timeouts and connection cap.

#[cfg(feature = "database")]
pub mod database;
pub mod http_metrics;
pub mod listener;
pub mod shutdown;
pub mod telemetry;

pub use http_metrics::HttpMetrics;
pub use listener::{ListenerArgs, ListenerMetrics, raise_descriptor_limit, serve};
pub use shutdown::shutdown_signal;
pub use telemetry::{LogFormat, init_tracing};
