//! Test plumbing for every crate of the workspace, in one place so a fix lands once. Used only
//! under `[dev-dependencies]`; never part of a shipped binary.
//!
//! - [`ports`]: loopback ports that were free a moment ago, for binaries that take a port flag.
//! - [`wait`]: retry a check until it holds or a deadline passes, never a hang.
//! - [`process`]: a child process killed when the test ends, and a bounded wait for one.
//! - [`prometheus`]: one sample out of Prometheus text (`/metrics`); with `http`, scraped.
//! - [`http`] (feature `http`): poll a URL until its answer satisfies the test.
//! - [`postgres`] (feature `postgres`): a throwaway PostgreSQL server.
//! - [`openapi`] (feature `openapi`): a response checked against a served OpenAPI document.

#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod ports;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod process;
pub mod prometheus;
pub mod wait;

pub use ports::{free_port, free_ports, free_udp_port};
