//! One SQLite file of hourly statistics and kept events (`events`).

mod events;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::StorageError;
use crate::aggregate::{HourStats, Pending};
use crate::domain::UtcHour;

/// Another process (a second collector) may hold the write lock during its flush.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct SqliteStore {
    path: PathBuf,
    /// One connection per store; callers run on blocking threads. Reads are primary-key
    /// lookups, so a pool would not buy much here.
    connection: Mutex<Connection>,
    /// Event pages read through their own connection: WAL lets them read while a flush
    /// appends, instead of queueing behind it.
    reader: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating when missing) the file, bringing its schema to the newest version this
    /// binary knows (a newer one is refused).
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let error = |source| StorageError::Sqlite {
            path: path.display().to_string(),
            source,
        };
        let mut connection = Connection::open(path).map_err(error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
        // WAL: queries read while a flush writes. NORMAL sync: a power cut may lose the last
        // flush, which the restart-loss bound (one flush interval) already accepts.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(error)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(error)?;
        super::migrations::migrate_sqlite(&mut connection, &path.display().to_string())?;
        let reader = Connection::open(path).map_err(error)?;
        reader.busy_timeout(BUSY_TIMEOUT).map_err(error)?;
        Ok(Self {
            path: path.to_owned(),
            connection: Mutex::new(connection),
            reader: Mutex::new(reader),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sqlite_error(&self, source: rusqlite::Error) -> StorageError {
        StorageError::Sqlite {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Deletes rows older than `oldest_kept`, then, while more than `max_rows` remain, the
    /// rows with the fewest values (oldest first among equals). See `crate::retention`.
    pub fn enforce_retention(
        &self,
        oldest_kept: UtcHour,
        max_rows: u64,
    ) -> Result<crate::retention::Pruned, StorageError> {
        let connection = self.connection.lock().expect("connection lock poisoned");
        let sqlite = |err| self.sqlite_error(err);
        let expired = connection
            .execute(
                "DELETE FROM hourly_stats WHERE hour < ?1",
                params![oldest_kept.0],
            )
            .map_err(sqlite)? as u64;
        let rows: i64 = connection
            .query_row("SELECT count(*) FROM hourly_stats", [], |row| row.get(0))
            .map_err(sqlite)?;
        let excess = (rows as u64).saturating_sub(max_rows);
        let over_budget = if excess == 0 {
            0
        } else {
            connection
                .execute(
                    "DELETE FROM hourly_stats WHERE (key, hour) IN
                     (SELECT key, hour FROM hourly_stats ORDER BY count, hour LIMIT ?1)",
                    params![excess as i64],
                )
                .map_err(sqlite)? as u64
        };
        Ok(crate::retention::Pruned {
            expired,
            over_budget,
            remaining: rows as u64 - over_budget,
        })
    }

    /// Merges every pending series into its stored row, all in one write transaction, so two
    /// collectors flushing the same (key, hour) add up instead of overwriting each other.
    pub fn merge(&self, pending: &Pending) -> Result<(), StorageError> {
        let mut connection = self.connection.lock().expect("connection lock poisoned");
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|err| self.sqlite_error(err))?;
        for ((key, hour), fresh) in &pending.series {
            let mut merged = fresh.clone();
            if let Some(stored) = read_row(&transaction, &self.path, key, *hour)? {
                merged.merge(&stored);
            }
            transaction
                .execute(
                    "INSERT OR REPLACE INTO hourly_stats (key, hour, count, sum, min, max, sketch)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        key.as_ref(),
                        hour.0,
                        i64::try_from(merged.count).unwrap_or(i64::MAX),
                        merged.sum,
                        merged.min,
                        merged.max,
                        merged.sketch_bytes()
                    ],
                )
                .map_err(|err| self.sqlite_error(err))?;
        }
        transaction.commit().map_err(|err| self.sqlite_error(err))
    }

    pub fn read(&self, key: &str, hour: UtcHour) -> Result<Option<HourStats>, StorageError> {
        let connection = self.connection.lock().expect("connection lock poisoned");
        read_row(&connection, &self.path, key, hour)
    }

    /// A cheap query proving the file is readable (for `/readyz`).
    pub fn ping(&self) -> Result<(), StorageError> {
        let connection = self.connection.lock().expect("connection lock poisoned");
        connection
            .query_row("SELECT count(*) FROM hourly_stats WHERE 0", [], |_| Ok(()))
            .map_err(|err| self.sqlite_error(err))
    }
}

fn read_row(
    connection: &Connection,
    path: &Path,
    key: &str,
    hour: UtcHour,
) -> Result<Option<HourStats>, StorageError> {
    let row = connection
        .prepare_cached(
            "SELECT count, sum, min, max, sketch FROM hourly_stats WHERE key = ?1 AND hour = ?2",
        )
        .and_then(|mut statement| {
            statement
                .query_row(params![key, hour.0], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, f64>(1)?,
                        row.get::<_, f64>(2)?,
                        row.get::<_, f64>(3)?,
                        row.get::<_, Vec<u8>>(4)?,
                    ))
                })
                .optional()
        })
        .map_err(|source| StorageError::Sqlite {
            path: path.display().to_string(),
            source,
        })?;
    let Some((count, sum, min, max, sketch)) = row else {
        return Ok(None);
    };
    HourStats::from_stored(u64::try_from(count).unwrap_or(0), sum, min, max, &sketch)
        .map(Some)
        .map_err(|source| StorageError::CorruptRow {
            path: path.display().to_string(),
            key: key.to_owned(),
            hour: hour.0,
            source,
        })
}
