//! Persistence of the catalog and of computed availability.
//!
//! [`Store`] is what the rest of the service needs from a database. SQLite (one file, one
//! process) is the embedded default; PostgreSQL lets several processes share the catalog and
//! the work. Both keep the same schema, as versioned migrations (`store/migrations`, from
//! which `database.sql` is generated), and the same semantics:
//! - every write of a row bumps its change sequence `seq`, so callers can load "what changed
//!   since seq N" instead of everything;
//! - profiles are computed under a lease (`claim_due`): whoever holds it computes, a crashed
//!   holder's lease expires and someone else takes the profile over;
//! - every saved result is also appended to `availability_history`, in the same transaction,
//!   and that history is kept bounded by [`crate::history_pruner`] (by age and by count per
//!   profile), in small batches so no delete ever holds the table for long.

pub mod database_id;
mod migrations;
mod postgres;
mod sqlite;
pub mod timestamp;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::profile::{ComputedAvailability, HistoryEntry, Profile, ProfileId, ProfileRow};

/// Where the data lives, from `--database` / `DATABASE_URL` (shared with metrics).
pub use service_kit::database::DatabaseUrl;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open database {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("database {path} is not a hardware database: {reason}")]
    NotOurSchema { path: String, reason: String },
    #[error("bad value in column {column}: {value}")]
    BadValue { column: &'static str, value: String },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A schema this binary cannot open (newer than it knows), or a failed migration.
    #[error(transparent)]
    Schema(#[from] service_kit::database::schema::SchemaError),
    #[error("database task failed: {0}")]
    TaskFailed(String),
}

/// The `meta.schema_version` a database records (written since the first release).
pub(crate) fn parse_schema_version(text: String) -> Result<i64, StoreError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| StoreError::BadValue {
            column: "meta.schema_version",
            value: text,
        })
}

/// A profile to add to the catalog (seeding, scale tests).
#[derive(Debug, Clone, PartialEq)]
pub struct NewProfile {
    pub provider: String,
    pub name: String,
    pub vcpus: i64,
    pub memory_gib: f64,
    pub gpus: i64,
}

/// What one step of [`Store::prune_history_beyond`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneStep {
    pub deleted: usize,
    /// Where the next step starts (the last profile id looked at); `None` once the walk
    /// reached the end of the catalog.
    pub next: Option<ProfileId>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Identifies this database; it changes when the database is replaced, which tells
    /// callers holding a change version that they must resynchronise.
    async fn database_id(&self) -> Result<String, StoreError>;

    /// Corrupt values met while loading rows since the store was opened; each cost only its
    /// own row (see `load_rows`). Shown in `/metrics`.
    fn corrupt_values(&self) -> u64 {
        0
    }

    /// Every profile with its availability (`since_seq = None`), or only the rows written
    /// after `since_seq`. Ordered by id. Each row's `recent` holds its latest results (at most
    /// `RECENT_LEN`, newest first), one index probe per row. A value that cannot be read costs its row only: a
    /// bad availability is served as never computed (and reset, so it is recomputed), a bad
    /// catalog column leaves the profile out; each is logged where it was found.
    async fn load_rows(&self, since_seq: Option<i64>) -> Result<Vec<ProfileRow>, StoreError>;

    /// Leases up to `limit` profiles that are due: never computed first (by id), then those
    /// computed before `stale_before`, oldest first. Profiles leased by someone else whose
    /// lease has not expired are skipped, and so are the profiles in `exclude` (the ones the
    /// caller is computing already, whatever their lease says: a profile is never computed
    /// twice at once by one process).
    async fn claim_due(
        &self,
        owner: &str,
        limit: usize,
        stale_before: OffsetDateTime,
        lease: Duration,
        exclude: &[ProfileId],
    ) -> Result<Vec<Profile>, StoreError>;

    /// Persists results, appends each to the profile's history (same transaction), releases
    /// their leases and returns the rows as stored (with their new `seq`; `recent` is left
    /// empty: rows reach the snapshot through `load_rows`). Results for profiles deleted
    /// meanwhile, or leased by another process meanwhile, are dropped.
    async fn save_results(
        &self,
        owner: &str,
        results: &[ComputedAvailability],
    ) -> Result<Vec<ProfileRow>, StoreError>;

    /// The latest `limit` results of one profile, newest first.
    async fn load_history(
        &self,
        id: ProfileId,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Deletes up to `batch` history rows computed before `cutoff`, oldest first; returns how
    /// many. The caller repeats while a full batch was deleted.
    async fn prune_history_older_than(
        &self,
        cutoff: OffsetDateTime,
        batch: usize,
    ) -> Result<usize, StoreError>;

    /// For the next `profiles` profiles after id `after` (by id), deletes all but the newest
    /// `keep` history rows of each. The caller walks the catalog with `next`.
    async fn prune_history_beyond(
        &self,
        keep: usize,
        after: ProfileId,
        profiles: usize,
    ) -> Result<PruneStep, StoreError>;

    /// Gives leases back so another process can take the profiles at once (shutdown).
    async fn release_claims(&self, owner: &str, ids: &[ProfileId]) -> Result<(), StoreError>;

    /// Adds profiles to the catalog, skipping (provider, name) pairs that exist; returns how
    /// many were added.
    async fn insert_profiles(&self, profiles: &[NewProfile]) -> Result<usize, StoreError>;

    /// Number of profiles in the catalog.
    async fn count_profiles(&self) -> Result<usize, StoreError>;

    /// A cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens (creating and seeding when needed) the store a URL names.
pub async fn open_store(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StoreError> {
    match url {
        DatabaseUrl::Sqlite(path) => Ok(Arc::new(SqliteStore::open(path).await?)),
        DatabaseUrl::Postgres(raw) => Ok(Arc::new(
            postgres::PostgresStore::open(raw, &url.redacted()).await?,
        )),
    }
}
