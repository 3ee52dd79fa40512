//! This service's PostgreSQL numbers; the plumbing they feed (URL parsing, session timeouts,
//! pool) is `service_kit::database::postgres`.
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

use service_kit::database::postgres::{
    PostgresSettings, PostgresSetupError, little_law_pool_size, pool_size_from_env,
};

/// Queries per second one process sends at most in steady state (see the module comment).
const EXPECTED_QUERIES_PER_SECOND: f64 = 12.0;
/// Time one query spends in the database, on a loaded server (p99-ish, not the median).
const EXPECTED_SECONDS_PER_QUERY: f64 = 0.005;

/// Server-side bound on one statement (and on waiting for a lock), so a stuck query frees its
/// connection. The largest statement, loading 100,000 rows at start, takes well under 1 s.
pub const SETTINGS: PostgresSettings = PostgresSettings {
    application_name: "hardware",
    statement_timeout: Duration::from_secs(5),
};

/// Client-side bound on one whole store operation (pool wait, round trips, commit). It covers
/// what the server-side timeouts cannot: a network that silently drops packets.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// The pool size: `DATABASE_POOL_SIZE` when set, else Little's law on the expected load.
pub fn pool_size() -> Result<usize, PostgresSetupError> {
    pool_size_from_env(little_law_pool_size(
        EXPECTED_QUERIES_PER_SECOND,
        EXPECTED_SECONDS_PER_QUERY,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_load_needs_one_connection_and_a_spare() {
        assert_eq!(
            little_law_pool_size(EXPECTED_QUERIES_PER_SECOND, EXPECTED_SECONDS_PER_QUERY),
            2
        );
    }
}
