//! Events in the SQLite file: appended with multi-row prepared inserts, read by index range,
//! expired by deleting day ranges in bounded batches.
//!
//! SQLite has no partitions, so expiry is a DELETE; it runs in batches of
//! [`EXPIRY_BATCH`] rows, each its own short transaction, so a day of events never holds the
//! write lock for long and pages keep being served in between (they read through their own
//! connection, which WAL lets read during a write).

use rusqlite::{Connection, params};

use super::SqliteStore;
use crate::domain::{Event, Micros, StoredEvent};
use crate::storage::StorageError;
use crate::storage::events::{After, KeyBound};

/// Rows per INSERT statement: 3 parameters each, well under SQLite's 32,766.
const ROWS_PER_INSERT: usize = 200;
/// Rows deleted per expiry transaction.
pub const EXPIRY_BATCH: usize = 10_000;

impl SqliteStore {
    /// Appends every event (and any new key) in one transaction.
    pub fn append_events(&self, events: &[Event]) -> Result<(), StorageError> {
        if events.is_empty() {
            return Ok(());
        }
        let sqlite = |err| self.sqlite_error(err);
        let mut connection = self.connection.lock().expect("connection lock poisoned");
        let transaction = connection.transaction().map_err(sqlite)?;
        {
            let mut chunks = events.chunks_exact(ROWS_PER_INSERT);
            let mut many = transaction
                .prepare_cached(&insert_sql(ROWS_PER_INSERT))
                .map_err(sqlite)?;
            for chunk in &mut chunks {
                many.execute(rusqlite::params_from_iter(
                    chunk.iter().flat_map(row_params),
                ))
                .map_err(sqlite)?;
            }
            let mut one = transaction.prepare_cached(&insert_sql(1)).map_err(sqlite)?;
            for event in chunks.remainder() {
                one.execute(rusqlite::params_from_iter(row_params(event)))
                    .map_err(sqlite)?;
            }
            let mut key = transaction
                .prepare_cached("INSERT OR IGNORE INTO event_keys (key) VALUES (?1)")
                .map_err(sqlite)?;
            let mut seen = foldhash::HashSet::default();
            for event in events {
                if seen.insert(event.key.as_ref()) {
                    key.execute([event.key.as_ref()]).map_err(sqlite)?;
                }
            }
        }
        transaction.commit().map_err(sqlite)
    }

    pub fn key_range(
        &self,
        key: &str,
        from: Micros,
        to: Micros,
        after: After,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        let reader = self.reader.lock().expect("reader lock poisoned");
        let mut statement = reader
            .prepare_cached(
                "SELECT id, received_at, value FROM events
                 WHERE key = ?1 AND received_at >= ?2 AND received_at < ?3
                   AND (received_at, id) > (?4, ?5)
                 ORDER BY received_at, id LIMIT ?6",
            )
            .map_err(|err| self.sqlite_error(err))?;
        let rows = statement
            .query_map(
                params![
                    key,
                    from.max(after.received_at),
                    to,
                    after.received_at,
                    after.id,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |row| {
                    Ok(StoredEvent {
                        key: key.to_owned(),
                        id: row.get(0)?,
                        received_at: row.get(1)?,
                        value: row.get(2)?,
                    })
                },
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|err| self.sqlite_error(err))?;
        Ok(rows)
    }

    pub fn keys_between(
        &self,
        start: KeyBound<'_>,
        end: &str,
        limit: usize,
    ) -> Result<Vec<String>, StorageError> {
        let (sql, start) = match start {
            KeyBound::From(key) => (
                "SELECT key FROM event_keys WHERE key >= ?1 AND key < ?2 ORDER BY key LIMIT ?3",
                key,
            ),
            KeyBound::After(key) => (
                "SELECT key FROM event_keys WHERE key > ?1 AND key < ?2 ORDER BY key LIMIT ?3",
                key,
            ),
        };
        let reader = self.reader.lock().expect("reader lock poisoned");
        reader
            .prepare_cached(sql)
            .and_then(|mut statement| {
                statement
                    .query_map(
                        params![start, end, i64::try_from(limit).unwrap_or(i64::MAX)],
                        |row| row.get(0),
                    )?
                    .collect()
            })
            .map_err(|err| self.sqlite_error(err))
    }

    /// Deletes events received before `oldest_kept`, [`EXPIRY_BATCH`] rows per transaction.
    /// Returns the rows deleted.
    pub fn expire_events(&self, oldest_kept: Micros) -> Result<u64, StorageError> {
        let mut deleted = 0;
        loop {
            let batch = {
                let connection = self.connection.lock().expect("connection lock poisoned");
                delete_batch(&connection, oldest_kept).map_err(|err| self.sqlite_error(err))?
            };
            deleted += batch as u64;
            if batch < EXPIRY_BATCH {
                return Ok(deleted);
            }
        }
    }
}

fn delete_batch(connection: &Connection, oldest_kept: Micros) -> rusqlite::Result<usize> {
    connection.execute(
        "DELETE FROM events WHERE id IN
         (SELECT id FROM events WHERE received_at < ?1 LIMIT ?2)",
        params![oldest_kept, EXPIRY_BATCH as i64],
    )
}

fn insert_sql(rows: usize) -> String {
    let values = vec!["(?, ?, ?)"; rows].join(", ");
    format!("INSERT INTO events (key, received_at, value) VALUES {values}")
}

fn row_params(event: &Event) -> [&dyn rusqlite::ToSql; 3] {
    [&event.key, &event.received_at, &event.value]
}
