//! Where flushed hours live: a SQLite file (the default) or a PostgreSQL database. Several
//! collectors can share either (each flush merges into the stored row inside one
//! transaction), and the query service can read several databases (`--source`) and merge
//! their rows.

pub mod events;
mod migrations;
pub mod postgres;
pub mod sources;
pub mod sqlite;

use std::sync::Arc;

pub use events::EventPage;
pub use postgres::PostgresStore;
pub use sources::Sources;
pub use sqlite::SqliteStore;

use crate::aggregate::{HourStats, Pending, SketchDecodeError};
use crate::domain::{Event, EventPageQuery, Micros, StoredEvent, UtcHour};
use events::{After, EventRanges, KeyBound};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// `url` never holds a password (see [`Database::redacted`]).
    #[error("database {url}: {reason}")]
    Postgres { url: String, reason: String },
    /// A schema this binary cannot open (newer than it knows), or a failed migration.
    #[error(transparent)]
    Schema(#[from] service_kit::database::schema::SchemaError),
    #[error("database {path}: row ({key}, hour {hour}): {source}")]
    CorruptRow {
        path: String,
        key: String,
        hour: i64,
        #[source]
        source: SketchDecodeError,
    },
}

/// A database as named on the command line (the form every service accepts).
pub use service_kit::database::DatabaseUrl as Database;

/// Events per append transaction: at the measured COPY rate (docs/metrics.md) about half a
/// second, far inside the 10 s statement timeout, however large the backlog.
pub const EVENTS_PER_TRANSACTION: usize = 100_000;

/// One opened database of either kind. SQLite calls block, so they run on blocking threads.
#[derive(Clone)]
pub enum Store {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

impl Store {
    /// Opens the database, creating its table when missing.
    pub async fn open(database: &Database) -> Result<Self, StorageError> {
        match database {
            Database::Sqlite(path) => {
                let path = path.clone();
                let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                    .await
                    .expect("opening SQLite does not panic")?;
                Ok(Self::Sqlite(Arc::new(store)))
            }
            Database::Postgres(url) => Ok(Self::Postgres(Arc::new(
                PostgresStore::open(url, &database.redacted()).await?,
            ))),
        }
    }

    /// Merges `pending` into the stored rows; hands it back (the caller keeps it when the
    /// merge failed).
    pub async fn merge(&self, pending: Pending) -> (Pending, Result<(), StorageError>) {
        match self {
            Self::Sqlite(store) => {
                let store = store.clone();
                tokio::task::spawn_blocking(move || {
                    let result = store.merge(&pending);
                    (pending, result)
                })
                .await
                .expect("the flush task does not panic")
            }
            Self::Postgres(store) => {
                let result = store.merge(&pending).await;
                (pending, result)
            }
        }
    }

    pub async fn read(&self, key: &str, hour: UtcHour) -> Result<Option<HourStats>, StorageError> {
        match self {
            Self::Sqlite(store) => {
                let (store, key) = (store.clone(), key.to_owned());
                tokio::task::spawn_blocking(move || store.read(&key, hour))
                    .await
                    .expect("a read does not panic")
            }
            Self::Postgres(store) => store.read(key, hour).await,
        }
    }

    /// Applies the retention policy to the stored rows (see `crate::retention`).
    pub async fn enforce_retention(
        &self,
        oldest_kept: UtcHour,
        max_rows: u64,
    ) -> Result<crate::retention::Pruned, StorageError> {
        match self {
            Self::Sqlite(store) => {
                let store = store.clone();
                tokio::task::spawn_blocking(move || store.enforce_retention(oldest_kept, max_rows))
                    .await
                    .expect("retention does not panic")
            }
            Self::Postgres(store) => store.enforce_retention(oldest_kept, max_rows).await,
        }
    }

    /// Appends kept events (see [`events`]), [`EVENTS_PER_TRANSACTION`] per transaction so
    /// that a large backlog never runs into the statement timeout. Hands back the events not
    /// appended: none on success; on failure, those from the failed transaction on (the ones
    /// before it are committed, so a retry writes nothing twice).
    pub async fn append_events(&self, batch: Vec<Event>) -> (Vec<Event>, Result<(), StorageError>) {
        let (mut batch, done, result) = match self {
            Self::Sqlite(store) => {
                let store = store.clone();
                tokio::task::spawn_blocking(move || {
                    let (done, result) =
                        append_in_chunks_blocking(&batch, |chunk| store.append_events(chunk));
                    (batch, done, result)
                })
                .await
                .expect("appending events does not panic")
            }
            Self::Postgres(store) => {
                let mut done = 0;
                let mut result = Ok(());
                for chunk in batch.chunks(EVENTS_PER_TRANSACTION) {
                    result = store.append_events(chunk).await;
                    if result.is_err() {
                        break;
                    }
                    done += chunk.len();
                }
                (batch, done, result)
            }
        };
        batch.drain(..done);
        (batch, result)
    }

    /// One page of events (see [`events`]).
    pub async fn page_events(&self, query: &EventPageQuery) -> Result<EventPage, StorageError> {
        events::read_page(self, query).await
    }

    /// Removes the events received before `oldest_kept`: whole day partitions on PostgreSQL
    /// (returns partitions dropped), bounded DELETE batches on SQLite (returns rows deleted).
    pub async fn expire_events(&self, oldest_kept: Micros) -> Result<u64, StorageError> {
        match self {
            Self::Sqlite(store) => {
                let store = store.clone();
                tokio::task::spawn_blocking(move || store.expire_events(oldest_kept))
                    .await
                    .expect("event expiry does not panic")
            }
            Self::Postgres(store) => store.expire_events(oldest_kept).await,
        }
    }

    /// A cheap query proving the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StorageError> {
        match self {
            Self::Sqlite(store) => {
                let store = store.clone();
                tokio::task::spawn_blocking(move || store.ping())
                    .await
                    .expect("a ping does not panic")
            }
            Self::Postgres(store) => store.ping().await,
        }
    }
}

/// Appends chunk by chunk until one fails; returns how many events were committed.
fn append_in_chunks_blocking(
    batch: &[Event],
    mut append: impl FnMut(&[Event]) -> Result<(), StorageError>,
) -> (usize, Result<(), StorageError>) {
    let mut done = 0;
    for chunk in batch.chunks(EVENTS_PER_TRANSACTION) {
        if let Err(err) = append(chunk) {
            return (done, Err(err));
        }
        done += chunk.len();
    }
    (done, Ok(()))
}

impl EventRanges for Store {
    async fn key_range(
        &self,
        key: &str,
        from: Micros,
        to: Micros,
        after: After,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        match self {
            Self::Sqlite(store) => {
                let (store, key) = (store.clone(), key.to_owned());
                tokio::task::spawn_blocking(move || store.key_range(&key, from, to, after, limit))
                    .await
                    .expect("a read does not panic")
            }
            Self::Postgres(store) => store.key_range(key, from, to, after, limit).await,
        }
    }

    async fn keys_between(
        &self,
        start: KeyBound<'_>,
        end: &str,
        limit: usize,
    ) -> Result<Vec<String>, StorageError> {
        match self {
            Self::Sqlite(store) => {
                let store = store.clone();
                let (inclusive, start) = match start {
                    KeyBound::From(key) => (true, key.to_owned()),
                    KeyBound::After(key) => (false, key.to_owned()),
                };
                let end = end.to_owned();
                tokio::task::spawn_blocking(move || {
                    let start = if inclusive {
                        KeyBound::From(&start)
                    } else {
                        KeyBound::After(&start)
                    };
                    store.keys_between(start, &end, limit)
                })
                .await
                .expect("a read does not panic")
            }
            Self::Postgres(store) => store.keys_between(start, end, limit).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_append_transaction_reports_only_the_chunks_before_it_as_committed() {
        let batch: Vec<Event> = (0..EVENTS_PER_TRANSACTION * 2 + 5)
            .map(|i| Event {
                key: "k".into(),
                value: 1.0,
                received_at: i as i64,
            })
            .collect();
        let mut calls = 0;
        let (done, result) = append_in_chunks_blocking(&batch, |chunk| {
            calls += 1;
            if calls == 2 {
                return Err(StorageError::Postgres {
                    url: "db".into(),
                    reason: "down".into(),
                });
            }
            assert!(chunk.len() <= EVENTS_PER_TRANSACTION);
            Ok(())
        });
        assert_eq!(done, EVENTS_PER_TRANSACTION);
        assert!(result.is_err());
        let (done, result) = append_in_chunks_blocking(&batch, |_| Ok(()));
        assert_eq!((done, result.is_ok()), (batch.len(), true));
    }
}
