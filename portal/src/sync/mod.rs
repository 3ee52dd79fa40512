//! The background task that keeps the snapshot in step with `hardware`.

pub mod client;
pub mod history;
pub mod syncer;

pub use client::HardwareClient;
pub use history::HistorySource;
pub use syncer::{SyncOutcome, Syncer, next_delay, run};
