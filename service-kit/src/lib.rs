//! What every service in this workspace shares, and nothing more: the database plumbing
//! (`database`, behind the feature of that name), logging set-up, the shutdown signal, the
//! per-route request latency histogram behind `/metrics` with the response-time reporting to
//! the collectors, the JSON error shape, jittered backoff, typed headers, and the HTTP listener
//! with its timeouts, connection cap and draining.

pub mod backoff;
mod client_metrics;
#[cfg(feature = "database")]
pub mod database;
pub mod error;
pub mod headers;
pub mod http_metrics;
pub mod listener;
pub mod shutdown;
pub mod telemetry;

pub use backoff::Backoff;
pub use error::ApiError;
pub use http_metrics::HttpMetrics;
pub use listener::{ListenerArgs, ListenerMetrics, raise_descriptor_limit, serve};
pub use shutdown::{Stop, shutdown_signal};
pub use telemetry::{LogFormat, init_tracing};
