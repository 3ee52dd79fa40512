//! Hourly statistics in a PostgreSQL database that several collectors share (and any number
//! of query processes read).
//!
//! A flush is one transaction of three statements, whatever the number of series:
//! 1. insert an empty placeholder row (count 0) for every (key, hour) that has none (`ON
//!    CONFLICT DO NOTHING`, which waits for another collector's uncommitted insert of the same
//!    row);
//! 2. lock every row of the flush with `SELECT ... FOR UPDATE` and read it;
//! 3. write back the rows merged in Rust (counts and sums add, min/max combine, sketch buckets
//!    add).
//!
//! Step 1 guarantees step 2 finds every row, so a concurrent collector's flush of the same row
//! waits on the row lock and then merges into this one's result: nothing is lost or counted
//! twice. Rows are inserted and locked in (key, hour) order, so two flushes do not deadlock;
//! if one ever did, PostgreSQL aborts it, the flush fails and its data is retried next time.

mod connect;
mod events;

pub use events::{KEY_RANGE_SQL, partition_name};

use std::time::Duration;

use deadpool_postgres::{Object, Pool};

use service_kit::database::postgres::{self, describe_chain as describe};
use service_kit::database::schema;

use super::{StorageError, migrations};
use crate::aggregate::{HourStats, Pending};
use crate::domain::UtcHour;

const TABLE: &str = "metrics_hourly_stats";

/// Serializes migrations: two processes running `CREATE TABLE IF NOT EXISTS` at the same
/// moment can otherwise fail on the catalog's unique index. Any constant unique to this table.
const SCHEMA_LOCK_ID: i64 = 0x6d65_7472_6963_7301;

/// Refuses a schema newer than this binary knows, then applies what is missing, one process
/// at a time. On error the caller drops the connection, which releases the lock.
async fn migrate(client: &mut tokio_postgres::Client, label: &str) -> Result<(), StorageError> {
    schema::lock_postgres(client, SCHEMA_LOCK_ID, label).await?;
    let recorded = schema::postgres_recorded_version(client, &migrations::POSTGRES, label).await?;
    let newer = schema::postgres_recorded_after(
        client,
        &migrations::POSTGRES,
        migrations::POSTGRES.latest(),
        label,
    )
    .await?;
    if let schema::Fit::Migrate = schema::fit(label, recorded, &newer, &migrations::POSTGRES)? {
        schema::run_postgres(client, &migrations::POSTGRES, label).await?;
    }
    schema::unlock_postgres(client, SCHEMA_LOCK_ID, label).await?;
    Ok(())
}

/// Client-side bound on one whole flush (pool wait, round trips, commit). It covers what the
/// server-side timeouts cannot: a network that silently drops packets.
pub(crate) const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);
/// The same for one query or ping.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(10);

pub struct PostgresStore {
    pool: Pool,
    /// The URL without credentials, for errors and logs.
    label: String,
    /// Days whose event partition exists (created or found by this process).
    event_days: std::sync::Mutex<std::collections::HashSet<i64>>,
}

impl PostgresStore {
    /// Connects and creates the table when missing. `label` names the database in errors; it
    /// must not hold a password.
    pub async fn open(url: &str, label: &str) -> Result<Self, StorageError> {
        let pool = postgres::pg_config(url, &connect::SETTINGS)
            .and_then(|config| postgres::pool(config, connect::POOL_SIZE))
            .map_err(|err| StorageError::Postgres {
                url: label.to_owned(),
                reason: err.to_string(),
            })?;
        let store = Self {
            pool,
            label: label.to_owned(),
            event_days: std::sync::Mutex::default(),
        };
        let mut client = store.client().await?;
        let migrated = postgres::within(READ_TIMEOUT, migrate(&mut client, &store.label), || {
            store.error_text(format!(
                "creating the schema took longer than {}s",
                READ_TIMEOUT.as_secs()
            ))
        })
        .await;
        if migrated.is_err() {
            // Its session may still hold the migration lock: close it rather than pool it.
            drop(Object::take(client));
        }
        migrated?;
        tracing::info!(database = %store.label, "PostgreSQL storage ready");
        Ok(store)
    }

    /// The URL without credentials.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Merges every pending series into its stored row in one transaction (see the module
    /// comment for why concurrent collectors add up).
    pub async fn merge(&self, pending: &Pending) -> Result<(), StorageError> {
        if pending.is_empty() {
            return Ok(());
        }
        let mut series: Vec<(&str, i64, &HourStats)> = pending
            .series
            .iter()
            .map(|((key, hour), stats)| (key.as_ref(), hour.0, stats))
            .collect();
        series.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let keys: Vec<&str> = series.iter().map(|(key, _, _)| *key).collect();
        let hours: Vec<i64> = series.iter().map(|(_, hour, _)| *hour).collect();
        self.bounded(FLUSH_TIMEOUT, "flushing", async {
            let mut client = self.client().await?;
            let pg = |err: tokio_postgres::Error| self.error(&err);
            let transaction = client.transaction().await.map_err(pg)?;
            // ORDER BY: placeholders (and so row locks) are taken in one global order.
            transaction
                .execute(
                    &format!(
                        "INSERT INTO {TABLE} (key, hour, count, sum, min, max, sketch)
                         SELECT key, hour, 0, 0, 'Infinity', '-Infinity', ''::bytea
                         FROM unnest($1::text[], $2::bigint[]) AS fresh(key, hour)
                         ORDER BY key, hour
                         ON CONFLICT (key, hour) DO NOTHING"
                    ),
                    &[&keys, &hours],
                )
                .await
                .map_err(pg)?;
            let rows = transaction
                .query(
                    &format!(
                        "SELECT t.key, t.hour, t.count, t.sum, t.min, t.max, t.sketch
                         FROM {TABLE} t
                         JOIN unnest($1::text[], $2::bigint[]) AS fresh(key, hour)
                           ON t.key = fresh.key AND t.hour = fresh.hour
                         ORDER BY t.key, t.hour
                         FOR UPDATE OF t"
                    ),
                    &[&keys, &hours],
                )
                .await
                .map_err(pg)?;
            if rows.len() != series.len() {
                return Err(self.error_text(format!(
                    "locked {} rows for {} series",
                    rows.len(),
                    series.len()
                )));
            }
            // Decoding, merging and encoding every sketch is the CPU of a flush (about 0.3 s
            // for 14,500 series late in an hour): off the async worker, or ingest waits on it.
            let (counts, sums, mins, maxes, sketches) =
                service_kit::runtime::cpu_bound(|| self.merge_rows(&rows, &series))?;
            transaction
                .execute(
                    &format!(
                        "UPDATE {TABLE} t
                         SET count = m.count, sum = m.sum, min = m.min, max = m.max,
                             sketch = m.sketch
                         FROM unnest($1::text[], $2::bigint[], $3::bigint[],
                                     $4::float8[], $5::float8[], $6::float8[], $7::bytea[])
                              AS m(key, hour, count, sum, min, max, sketch)
                         WHERE t.key = m.key AND t.hour = m.hour"
                    ),
                    &[&keys, &hours, &counts, &sums, &mins, &maxes, &sketches],
                )
                .await
                .map_err(pg)?;
            transaction.commit().await.map_err(pg)
        })
        .await
    }

    pub async fn read(&self, key: &str, hour: UtcHour) -> Result<Option<HourStats>, StorageError> {
        self.bounded(READ_TIMEOUT, "reading", async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!(
                        "SELECT count, sum, min, max, sketch FROM {TABLE}
                         WHERE key = $1 AND hour = $2"
                    ),
                    &[&key, &hour.0],
                )
                .await
                .map_err(|err| self.error(&err))?;
            row.map(|row| self.decode(&row, key, hour.0, 0)).transpose()
        })
        .await
    }

    /// Deletes rows older than `oldest_kept`, then, while more than `max_rows` remain, the
    /// rows with the fewest values (oldest first among equals). See `crate::retention`.
    pub async fn enforce_retention(
        &self,
        oldest_kept: UtcHour,
        max_rows: u64,
    ) -> Result<crate::retention::Pruned, StorageError> {
        self.bounded(FLUSH_TIMEOUT, "enforcing retention", async {
            let client = self.client().await?;
            let pg = |err: tokio_postgres::Error| self.error(&err);
            let expired = client
                .execute(
                    &format!("DELETE FROM {TABLE} WHERE hour < $1"),
                    &[&oldest_kept.0],
                )
                .await
                .map_err(pg)?;
            let rows: i64 = client
                .query_one(&format!("SELECT count(*) FROM {TABLE}"), &[])
                .await
                .map_err(pg)?
                .get(0);
            let excess = (rows as u64).saturating_sub(max_rows);
            let over_budget = if excess == 0 {
                0
            } else {
                client
                    .execute(
                        &format!(
                            "DELETE FROM {TABLE} WHERE (key, hour) IN
                             (SELECT key, hour FROM {TABLE} ORDER BY count, hour LIMIT $1)"
                        ),
                        &[&(excess as i64)],
                    )
                    .await
                    .map_err(pg)?
            };
            Ok(crate::retention::Pruned {
                expired,
                over_budget,
                remaining: rows as u64 - over_budget,
            })
        })
        .await
    }

    /// A cheap query proving the table is readable (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.bounded(READ_TIMEOUT, "checking the database", async {
            let client = self.client().await?;
            client
                .execute(&format!("SELECT 1 FROM {TABLE} WHERE false"), &[])
                .await
                .map(drop)
                .map_err(|err| self.error(&err))
        })
        .await
    }

    /// Columns count, sum, min, max, sketch starting at `first`.
    /// Merges each pending series into its locked row; the columns of the UPDATE.
    #[allow(clippy::type_complexity)]
    fn merge_rows(
        &self,
        rows: &[tokio_postgres::Row],
        series: &[(&str, i64, &HourStats)],
    ) -> Result<(Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<Vec<u8>>), StorageError> {
        let pg = |err: tokio_postgres::Error| self.error(&err);
        // Matched by value: the database's collation may order keys unlike Rust does.
        let mut stored = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let key: String = row.try_get(0).map_err(pg)?;
            let hour: i64 = row.try_get(1).map_err(pg)?;
            let stats = self.decode(row, &key, hour, 2)?;
            stored.insert((key, hour), stats);
        }
        let mut counts = Vec::with_capacity(series.len());
        let mut sums = Vec::with_capacity(series.len());
        let mut mins = Vec::with_capacity(series.len());
        let mut maxes = Vec::with_capacity(series.len());
        let mut sketches = Vec::with_capacity(series.len());
        for (key, hour, fresh) in series {
            let mut merged = stored
                .remove(&((*key).to_owned(), *hour))
                .ok_or_else(|| self.error_text(format!("row ({key}, {hour}) not locked")))?;
            merged.merge(fresh);
            counts.push(i64::try_from(merged.count).unwrap_or(i64::MAX));
            sums.push(merged.sum);
            mins.push(merged.min);
            maxes.push(merged.max);
            sketches.push(merged.sketch_bytes());
        }
        Ok((counts, sums, mins, maxes, sketches))
    }

    fn decode(
        &self,
        row: &tokio_postgres::Row,
        key: &str,
        hour: i64,
        first: usize,
    ) -> Result<HourStats, StorageError> {
        let pg = |err: tokio_postgres::Error| self.error(&err);
        let count: i64 = row.try_get(first).map_err(pg)?;
        let sum: f64 = row.try_get(first + 1).map_err(pg)?;
        let min: f64 = row.try_get(first + 2).map_err(pg)?;
        let max: f64 = row.try_get(first + 3).map_err(pg)?;
        let sketch: &[u8] = row.try_get(first + 4).map_err(pg)?;
        if count == 0 {
            // A placeholder this flush just inserted (never committed with count 0). An empty
            // sketch's JSON does not round-trip (its infinite min and max become null).
            return Ok(HourStats::default());
        }
        HourStats::from_stored(u64::try_from(count).unwrap_or(0), sum, min, max, sketch).map_err(
            |source| StorageError::CorruptRow {
                path: self.label.clone(),
                key: key.to_owned(),
                hour,
                source,
            },
        )
    }

    async fn client(&self) -> Result<Object, StorageError> {
        self.pool
            .get()
            .await
            .map_err(|err| self.error_text(format!("cannot connect: {}", describe(&err))))
    }

    async fn bounded<T>(
        &self,
        limit: Duration,
        what: &str,
        work: impl Future<Output = Result<T, StorageError>>,
    ) -> Result<T, StorageError> {
        postgres::within(limit, work, || {
            self.error_text(format!("{what} took longer than {}s", limit.as_secs()))
        })
        .await
    }

    fn error(&self, err: &tokio_postgres::Error) -> StorageError {
        self.error_text(describe(err))
    }

    fn error_text(&self, reason: String) -> StorageError {
        StorageError::Postgres {
            url: self.label.clone(),
            reason,
        }
    }
}
