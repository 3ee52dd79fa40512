//! In-memory aggregation between flushes: per (key, UTC hour) statistics, kept in shards so
//! each UDP receive thread writes to its own map without contending with the others.

pub mod hour_stats;
pub mod pending;
pub mod shard;

pub use hour_stats::{HourStats, SketchDecodeError};
pub use pending::Pending;
pub use shard::{DEFAULT_EVENTS_PER_SHARD, SeriesLimitReached, SeriesRefused, Shard, Shards};
