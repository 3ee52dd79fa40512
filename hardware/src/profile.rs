//! A hardware profile as stored and served.

use serde::Serialize;
use time::OffsetDateTime;

use crate::availability::Availability;

/// Database id of a hardware profile.
pub type ProfileId = i64;

/// A catalog row: what the hardware is.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: ProfileId,
    pub provider: String,
    pub name: String,
    pub vcpus: i64,
    pub memory_gib: f64,
    pub gpus: i64,
}

/// How many of the latest results a row carries in `recent`: enough for a trend. It costs
/// about 95 bytes of JSON per computed row (a row is about 130 without it): the full catalog
/// grows by about 70 %, a delta by the same per changed row.
pub const RECENT_LEN: usize = 12;

/// A catalog row with its latest computed availability: one element of `GET /hardware/`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileRow {
    pub id: ProfileId,
    pub provider: String,
    pub name: String,
    pub availability: Option<Availability>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub computed_at: Option<OffsetDateTime>,
    pub vcpus: i64,
    pub memory_gib: f64,
    pub gpus: i64,
    /// The availabilities of the latest results, newest first, at most [`RECENT_LEN`]: the
    /// trend the portal draws per row, as of this row's last write (from the history table).
    pub recent: Vec<Availability>,
    /// Change sequence of the last write to this row (see `database.sql`). Not serialized:
    /// callers see it through the snapshot version.
    #[serde(skip)]
    pub seq: i64,
}

/// The outcome of one computation, waiting to be persisted.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedAvailability {
    pub profile: Profile,
    pub availability: Availability,
    pub computed_at: OffsetDateTime,
}

/// One persisted result of a profile: an element of `GET /hardware/{provider}/{name}/history`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub availability: Availability,
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
}
