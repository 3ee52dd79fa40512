//! The public hardware availability dashboard.
//!
//! A background task ([`sync`]) keeps a copy of the `hardware` service's snapshot; page
//! views ([`routes`]) render from that copy ([`render`]) and cache the result per snapshot
//! revision and query, so serving a page never waits on `hardware`.

pub mod config;
pub mod domain;
pub mod render;
pub mod routes;
pub mod startup;
pub mod state;
pub mod sync;
pub mod telemetry;

pub use config::{Cli, Command, ServeConfig};
pub use routes::router;
pub use startup::Application;
pub use state::AppState;
