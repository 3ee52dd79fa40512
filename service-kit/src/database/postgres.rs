//! From a `postgres://` URL to a connection pool with a timeout on every step, shared by
//! every service that can keep its data in PostgreSQL (docs/postgres.md has the reasoning).
//!
//! Every step that can wait on the network has a bound, so a dead database turns into an
//! error within seconds (and /readyz 503) instead of a hang:
//! - connecting and logging in: `connect_timeout` (the URL's own, else [`CONNECT_TIMEOUT`]);
//! - one statement and one lock wait, on the server: the service's statement timeout;
//! - a session left idle inside a transaction (a frozen process) gives its locks back;
//! - waiting for a pooled connection: [`POOL_WAIT_TIMEOUT`];
//! - a whole operation, client side ([`within`]): what the server cannot bound, a network
//!   that silently drops packets.

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

/// Environment variable that overrides a service's pool size.
pub const POOL_SIZE_ENV: &str = "DATABASE_POOL_SIZE";

/// Time to open a TCP connection and log in, unless the URL sets `connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A session left idle inside a transaction (a frozen process) gives its row locks back.
const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Waiting for a free connection from the pool.
pub const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest pool accepted from the environment: each connection costs the server ~10 MB, and
/// every task of a service has its own pool.
const MAX_POOL_SIZE: usize = 64;

/// What differs between services; everything else is the same for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresSettings {
    /// Shown in `pg_stat_activity`, unless the URL sets `application_name`.
    pub application_name: &'static str,
    /// Server-side bound on one statement and on waiting for a lock, so a stuck query frees
    /// its connection. Sized by each service to its largest statement.
    pub statement_timeout: Duration,
}

/// Why a PostgreSQL URL or pool setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostgresSetupError {
    #[error("not a valid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    #[error("{POOL_SIZE_ENV}='{0}' is not a connection count from 1 to {MAX_POOL_SIZE}")]
    PoolSize(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
}

/// Connections needed for `queries_per_second` queries of `seconds_per_query` each: Little's
/// law (L = λ × W) rounded up, plus one spare (a connection being replaced must not stall
/// the next call).
pub fn little_law_pool_size(queries_per_second: f64, seconds_per_query: f64) -> usize {
    let busy = (queries_per_second * seconds_per_query).ceil().max(1.0);
    busy as usize + 1
}

/// The pool size: `DATABASE_POOL_SIZE` when set, else `default`.
pub fn pool_size_from_env(default: usize) -> Result<usize, PostgresSetupError> {
    match std::env::var(POOL_SIZE_ENV) {
        Ok(raw) => parse_pool_size(&raw),
        Err(_) => Ok(default),
    }
}

fn parse_pool_size(raw: &str) -> Result<usize, PostgresSetupError> {
    match raw.trim().parse::<usize>() {
        Ok(size) if (1..=MAX_POOL_SIZE).contains(&size) => Ok(size),
        _ => Err(PostgresSetupError::PoolSize(raw.to_owned())),
    }
}

/// Parses the URL and adds the timeouts it does not set itself.
pub fn pg_config(
    url: &str,
    settings: &PostgresSettings,
) -> Result<tokio_postgres::Config, PostgresSetupError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|err: tokio_postgres::Error| PostgresSetupError::InvalidUrl(err.to_string()))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name(settings.application_name);
    }
    // Keepalives notice a peer that vanished without closing the connection.
    config.keepalives(true);
    config.keepalives_idle(Duration::from_secs(30));
    let session = format!(
        "-c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
        settings.statement_timeout.as_millis(),
        settings.statement_timeout.as_millis(),
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
pub fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool, PostgresSetupError> {
    let connect = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    // Fast recycling checks only that the connection is still open: a connection the server
    // closed (restart, failover) is dropped and replaced, without a round trip per checkout.
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT_TIMEOUT))
        .create_timeout(Some(connect + Duration::from_secs(1)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|err| PostgresSetupError::Pool(err.to_string()))
}

/// Runs `work` within `limit`; past it, the error `on_timeout` makes (the caller names the
/// operation and the database in it).
pub async fn within<T, E>(
    limit: Duration,
    work: impl Future<Output = Result<T, E>>,
    on_timeout: impl FnOnce() -> E,
) -> Result<T, E> {
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| Err(on_timeout()))
}

/// The server's message and SQLSTATE when there is one, else the whole error chain
/// (tokio-postgres puts the useful part, e.g. "Connection refused", in the source).
pub fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => describe_chain(err),
    }
}

/// An error with its causes ("db error: ERROR: ..."): tokio-postgres and deadpool show only
/// the first level in their `Display`.
pub fn describe_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const HARDWARE: PostgresSettings = PostgresSettings {
        application_name: "hardware",
        statement_timeout: Duration::from_secs(5),
    };

    #[test]
    fn little_law_gives_busy_connections_plus_a_spare() {
        assert_eq!(little_law_pool_size(12.0, 0.005), 2);
        assert_eq!(little_law_pool_size(400.0, 0.01), 5);
        assert_eq!(little_law_pool_size(0.0, 0.01), 2);
    }

    #[test]
    fn pool_sizes_out_of_range_are_refused_with_the_value() {
        assert_eq!(parse_pool_size(" 8 "), Ok(8));
        assert!(
            parse_pool_size("0")
                .unwrap_err()
                .to_string()
                .contains("'0'")
        );
        assert!(
            parse_pool_size("many")
                .unwrap_err()
                .to_string()
                .contains("many")
        );
        assert!(parse_pool_size("65").is_err());
    }

    #[test]
    fn timeouts_are_added_and_the_urls_own_settings_win() {
        let config = pg_config("postgres://u:p@db.internal:5432/hw", &HARDWARE).unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert_eq!(config.get_application_name(), Some("hardware"));
        let options = config.get_options().unwrap();
        assert!(options.contains("statement_timeout=5000"), "{options}");

        let metrics = PostgresSettings {
            application_name: "metrics",
            statement_timeout: Duration::from_secs(10),
        };
        let config = pg_config("postgres://u:p@db.internal:5432/m", &metrics).unwrap();
        let options = config.get_options().unwrap();
        assert!(options.contains("statement_timeout=10000"), "{options}");

        let config = pg_config(
            "postgres://u@db/hw?connect_timeout=2&options=-c%20statement_timeout%3D900",
            &HARDWARE,
        )
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
        assert!(pg_config("postgres://db/hw?connect_timeout=soon", &HARDWARE).is_err());
    }

    #[test]
    fn chains_name_every_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let err = Outer(std::io::Error::other("Connection refused"));
        assert_eq!(describe_chain(&err), "outer: Connection refused");
    }

    #[tokio::test(start_paused = true)]
    async fn an_operation_past_its_bound_becomes_the_callers_error() {
        let slow = within(
            Duration::from_secs(1),
            std::future::pending::<Result<(), String>>(),
            || "took too long".to_owned(),
        );
        assert_eq!(slow.await, Err("took too long".to_owned()));
        let quick = within(
            Duration::from_secs(1),
            async { Ok::<_, String>(7) },
            || unreachable!(),
        );
        assert_eq!(quick.await, Ok(7));
    }
}
