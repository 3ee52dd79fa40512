//! From a `postgres://` URL to a small connection pool with a timeout on every step (the same
//! settings as hardware/src/store/postgres/connect.rs, sized for this service's load).
//!
//! Pool size: a collector runs one flush at a time (three statements every few seconds), so
//! it needs one connection; a query process runs one primary-key lookup per request (~1 ms),
//! so even 1,000 requests/s keep about one connection busy (Little's law L = λ × W). Four
//! leaves room for bursts and for a connection being replaced after a database restart.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

pub const POOL_SIZE: usize = 4;

/// Time to open a TCP connection and log in, unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Server-side bound on one statement and on waiting for a row lock (another collector's
/// flush holds its rows for milliseconds; a 100,000-series flush takes about a second).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// A session left idle inside a transaction (a frozen collector) gives its row locks back.
const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Waiting for a free connection from the pool.
const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses the URL and adds the timeouts it does not set itself.
pub fn pg_config(url: &str) -> Result<tokio_postgres::Config, String> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|err| format!("not a valid PostgreSQL URL: {err}"))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("metrics");
    }
    // Keepalives notice a peer that vanished without closing the connection.
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    let session = format!(
        "-c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
        STATEMENT_TIMEOUT.as_millis(),
        STATEMENT_TIMEOUT.as_millis(),
        IDLE_IN_TRANSACTION_TIMEOUT.as_millis(),
    );
    // Options the URL sets come last, so they win over ours.
    let options = match config.get_options() {
        Some(own) if !own.trim().is_empty() => format!("{session} {own}"),
        _ => session,
    };
    config.options(options);
    Ok(config)
}

/// A pool that connects lazily: building it does no I/O.
pub fn pool(config: tokio_postgres::Config) -> Result<Pool, String> {
    let connect = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    // Fast recycling checks only that the connection is still open: one the server closed
    // (restart, failover) is dropped and replaced without a round trip per checkout.
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT_TIMEOUT))
        .create_timeout(Some(connect + Duration::from_secs(1)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|err| format!("cannot build the connection pool: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_added_and_the_urls_own_settings_win() {
        let config = pg_config("postgres://u:p@db.internal:5432/m").unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        let options = config.get_options().unwrap();
        assert!(options.contains("statement_timeout=10000"), "{options}");

        let config =
            pg_config("postgres://u@db/m?connect_timeout=2&options=-c%20statement_timeout%3D900")
                .unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(2)));
        assert!(
            config
                .get_options()
                .unwrap()
                .ends_with("statement_timeout=900")
        );
    }

    #[test]
    fn a_malformed_url_is_refused() {
        assert!(pg_config("postgres://db/m?connect_timeout=soon").is_err());
    }
}
