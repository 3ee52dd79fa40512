//! A real PostgreSQL server for tests: [`PgServer`], one per test (it may be stopped and
//! restarted), or [`fresh_database`], a database of its own on one server per test process.

mod server;
mod shared;

pub use server::PgServer;
pub use shared::{TestDatabase, fresh_database};
