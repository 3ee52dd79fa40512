//! The test PostgreSQL server lives in test-support; this re-export keeps the store tests'
//! `pg_server` paths as they are.

pub use test_support::free_port;
pub use test_support::postgres::PgServer;
