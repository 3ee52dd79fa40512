//! What every service in this workspace shares, and nothing more: the database plumbing
//! (`database`, behind the feature of that name), configuration parsing and checks (durations,
//! addresses, counts, database directories), the host name, the `healthcheck` probe, the exit
//! message, logging set-up, the shutdown signal, the per-route request latency histogram behind
//! `/metrics` with the response-time reporting to the collectors, the JSON error shape,
//! jittered backoff, typed headers, CPU-bound work off the async workers, the HTTP listener
//! with its timeouts, connection cap and draining, and (feature `openapi`) the error shape's
//! schema and `GET /openapi.json`.

pub mod backoff;
mod client_metrics;
pub mod config;
#[cfg(feature = "database")]
pub mod database;
pub mod error;
pub mod exit;
pub mod headers;
pub mod healthcheck;
pub mod host;
pub mod http_metrics;
pub mod listener;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod runtime;
pub mod shutdown;
pub mod telemetry;

pub use backoff::Backoff;
pub use error::ApiError;
pub use exit::error_message;
pub use host::host_name;
pub use http_metrics::HttpMetrics;
pub use listener::{ListenerArgs, ListenerMetrics, raise_descriptor_limit, serve};
pub use shutdown::{Stop, shutdown_signal};
pub use telemetry::{LogFormat, init_tracing};
