//! From a `postgres://` URL to a connection pool with a timeout on every step, sized by
//! Little's law.
//!
//! Why these numbers (docs/postgres.md has the whole reasoning):
//! - Little's law: connections busy on average L = λ × W, with λ the queries per second one
//!   process sends and W the time each spends in the database. The refresher sends its queries
//!   one after another (persist, claim, reload), about 3 per step, and steps at most a few times
//!   a second: λ ≈ 3 × (2 ticks/s + W_compute/5 s) ≈ 12/s with 10 workers; W ≈ 5 ms for these
//!   small indexed statements, so L ≈ 0.06. One connection carries that load; a second one
//!   lets a call proceed while the first is being replaced after a database restart.
//! - Every step that can wait on the network has a bound, so a dead database turns into a
//!   `StoreError` within seconds (and /readyz 503) instead of a hang.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

/// Environment variable that overrides the pool size computed here.
pub const POOL_SIZE_ENV: &str = "DATABASE_POOL_SIZE";

/// Queries per second one process sends at most in steady state (see the module comment).
const EXPECTED_QUERIES_PER_SECOND: f64 = 12.0;
/// Time one query spends in the database, on a loaded server (p99-ish, not the median).
const EXPECTED_SECONDS_PER_QUERY: f64 = 0.005;
/// Largest pool accepted from the environment: each connection costs the server ~10 MB, and
/// every task of the service has its own pool.
const MAX_POOL_SIZE: usize = 64;

/// Time to open a TCP connection and log in, unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Server-side bound on one statement (and on waiting for a lock), so a stuck query frees its
/// connection. The largest statement, loading 100,000 rows at start, takes well under 1 s.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// A session left idle inside a transaction (a frozen process) gives its row locks back.
const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Waiting for a free connection from the pool.
const POOL_WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// Client-side bound on one whole store operation (pool wait, round trips, commit). It covers
/// what the server-side timeouts cannot: a network that silently drops packets.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections needed for `queries_per_second` queries of `seconds_per_query` each: Little's
/// law rounded up, plus one spare (a connection being replaced must not stall the next call).
pub fn little_law_pool_size(queries_per_second: f64, seconds_per_query: f64) -> usize {
    let busy = (queries_per_second * seconds_per_query).ceil().max(1.0);
    busy as usize + 1
}

/// The pool size: `DATABASE_POOL_SIZE` when set, else Little's law on the expected load.
pub fn pool_size_from_env() -> Result<usize, String> {
    match std::env::var(POOL_SIZE_ENV) {
        Ok(raw) => parse_pool_size(&raw),
        Err(_) => Ok(little_law_pool_size(
            EXPECTED_QUERIES_PER_SECOND,
            EXPECTED_SECONDS_PER_QUERY,
        )),
    }
}

fn parse_pool_size(raw: &str) -> Result<usize, String> {
    match raw.trim().parse::<usize>() {
        Ok(size) if (1..=MAX_POOL_SIZE).contains(&size) => Ok(size),
        _ => Err(format!(
            "{POOL_SIZE_ENV}='{raw}' is not a connection count from 1 to {MAX_POOL_SIZE}"
        )),
    }
}

/// Parses the URL and adds the timeouts it does not set itself.
pub fn pg_config(url: &str) -> Result<tokio_postgres::Config, String> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|err| format!("not a valid PostgreSQL URL: {err}"))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("hardware");
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
pub fn pool(config: tokio_postgres::Config, size: usize) -> Result<Pool, String> {
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
        .map_err(|err| format!("cannot build the connection pool: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_law_gives_busy_connections_plus_a_spare() {
        assert_eq!(little_law_pool_size(12.0, 0.005), 2);
        assert_eq!(little_law_pool_size(400.0, 0.01), 5);
        assert_eq!(little_law_pool_size(0.0, 0.01), 2);
    }

    #[test]
    fn pool_sizes_out_of_range_are_refused_with_the_value() {
        assert_eq!(parse_pool_size(" 8 "), Ok(8));
        assert!(parse_pool_size("0").unwrap_err().contains("'0'"));
        assert!(parse_pool_size("many").unwrap_err().contains("many"));
        assert!(parse_pool_size("65").is_err());
    }

    #[test]
    fn timeouts_are_added_and_the_urls_own_settings_win() {
        let config = pg_config("postgres://u:p@db.internal:5432/hw").unwrap();
        assert_eq!(config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        let options = config.get_options().unwrap();
        assert!(options.contains("statement_timeout=5000"), "{options}");

        let config =
            pg_config("postgres://u@db/hw?connect_timeout=2&options=-c%20statement_timeout%3D900")
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
        assert!(pg_config("postgres://db/hw?connect_timeout=soon").is_err());
    }
}
