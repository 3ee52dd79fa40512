//! What every service in this workspace shares, and nothing more: logging set-up,
//! configuration parsing and checks (durations, addresses, counts, database directories), the
//! host name, the `healthcheck` probe, the exit message, the shutdown signal, the per-route request latency
//! histogram behind `/metrics`, and the HTTP listener with its timeouts and connection cap.

pub mod config;
pub mod exit;
pub mod healthcheck;
pub mod host;
pub mod http_metrics;
pub mod listener;
pub mod shutdown;
pub mod telemetry;

pub use exit::error_message;
pub use host::host_name;
pub use http_metrics::HttpMetrics;
pub use listener::{ListenerArgs, ListenerMetrics, raise_descriptor_limit, serve};
pub use shutdown::shutdown_signal;
pub use telemetry::{LogFormat, init_tracing};
