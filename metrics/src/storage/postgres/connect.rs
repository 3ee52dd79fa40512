//! This service's PostgreSQL numbers; the plumbing they feed (URL parsing, session timeouts,
//! pool) is `service_kit::database::postgres`.
//!
//! Pool size: a collector runs one flush at a time (three statements every few seconds), so
//! it needs one connection; a query process runs one primary-key lookup per request (~1 ms),
//! so even 1,000 requests/s keep about one connection busy (Little's law L = λ × W). Four
//! leaves room for bursts and for a connection being replaced after a database restart.

use std::time::Duration;

use service_kit::database::postgres::PostgresSettings;

pub const POOL_SIZE: usize = 4;

/// The statement timeout also bounds waiting for a row lock: another collector's flush holds
/// its rows for milliseconds; a 100,000-series flush takes about a second.
pub const SETTINGS: PostgresSettings = PostgresSettings {
    application_name: "metrics",
    statement_timeout: Duration::from_secs(10),
};
