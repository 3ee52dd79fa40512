//! The `hardware` service on a real PostgreSQL server: the store itself, and several real
//! `hardware` processes sharing one database (work sharing, a crash, a database outage).
//!
//! Every test starts its own server (initdb + pg_ctl in a temporary directory, on a free
//! loopback port) and fails when the PostgreSQL binaries are missing: run
//! `scripts/ci/setup-postgres.sh` first (it exports PG_BIN and PG_TEST_USER).

mod crash;
mod outage;
mod services;
mod sharing;
mod store;
