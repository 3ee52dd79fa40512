//! The dashboard's data and the rules for showing it, independent of HTTP.

pub mod catalog;
pub mod freshness;
pub mod history;
pub mod listing;
pub mod profile;
pub mod query;
pub mod snapshot;

pub use catalog::Catalog;
pub use freshness::{ComputeStatus, Freshness, Queue};
pub use history::{History, HistoryEntry};
pub use listing::Listing;
pub use profile::{Availability, Profile};
pub use query::{PageQuery, QueryError};
pub use snapshot::{Snapshot, SnapshotStore, SyncHealth};
