//! A hardware profile as stored and served.

use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

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
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Profile)]
pub struct ProfileRow {
    #[schema(value_type = i64)]
    pub id: ProfileId,
    pub provider: String,
    pub name: String,
    /// `null` until the profile is first computed.
    #[schema(required = true)]
    pub availability: Option<Availability>,
    /// When the availability was computed (RFC 3339, UTC); `null` when never computed.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub computed_at: Option<OffsetDateTime>,
    #[schema(minimum = 0)]
    pub vcpus: i64,
    #[schema(minimum = 0)]
    pub memory_gib: f64,
    #[schema(minimum = 0)]
    pub gpus: i64,
    /// The availabilities of the latest results, newest first, at most [`RECENT_LEN`] (12):
    /// the trend the portal draws per row, as of this row's last write (from the history table).
    #[schema(max_items = 12)]
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
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub availability: Availability,
    /// RFC 3339, UTC.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: OffsetDateTime,
}
