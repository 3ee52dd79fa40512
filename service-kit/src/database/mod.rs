//! The database plumbing every service shares, so that a fix lands once:
//! - [`DatabaseUrl`]: what `--database` accepts, and the one redaction rule for logs;
//! - [`postgres`]: the PostgreSQL settings (session timeouts, keepalives), the pool, the
//!   client-side bound on one operation, and the error-chain describers;
//! - [`schema`]: versioned migrations (refinery) with the start-time check that refuses a
//!   schema newer than the binary.

pub mod postgres;
pub mod schema;
mod url;

pub use url::{DatabaseUrl, InvalidDatabaseUrl};
