//! `loadtest`: an open-model load generator driven by workflow files.
//!
//! Flow: [`workflow::load`] reads and checks a TOML workflow (and its includes),
//! [`plan::plan`] turns it into actors with real-time schedules, [`runner::run`] fires their
//! requests on schedule and records latency per worker, and [`report`] merges, checks the
//! SLA thresholds and writes what people read.

pub mod app;
pub mod cli;
pub mod client;
pub mod duration;
pub mod encoding;
pub mod error;
pub mod iteration;
pub mod pagination;
pub mod plan;
pub mod pool;
pub mod report;
pub mod runner;
pub mod seed;
pub mod serve;
pub mod stats;
pub mod target;
pub mod threshold;
pub mod workflow;

pub use error::LoadTestError;
