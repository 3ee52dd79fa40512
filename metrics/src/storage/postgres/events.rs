//! Events in PostgreSQL: one table partitioned by day of `received_at`, appended with binary
//! COPY, read by index range, expired by dropping whole day partitions (never a DELETE, so no
//! dead rows, no vacuum debt, and dropping a day costs the same whatever it holds).
//!
//! Partitions are created ahead of the rows that need them (each flush checks the days of its
//! events against the ones this process created or found), under an advisory lock so two
//! collectors do not race on the catalog.

use std::collections::HashSet;
use std::pin::pin;

use time::OffsetDateTime;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::{FLUSH_TIMEOUT, PostgresStore, READ_TIMEOUT};
use crate::domain::event::MICROS_PER_DAY;
use crate::domain::{Event, Micros, StoredEvent};
use crate::storage::StorageError;
use crate::storage::events::{After, KeyBound};

const TABLE: &str = "metrics_events";

/// One page of one key: `$1` key, `$2` from (the cursor's time when later), `$3` to, `$4`
/// and `$5` the cursor (received_at, id), `$6` limit. Public so that a test can EXPLAIN it.
pub const KEY_RANGE_SQL: &str = "SELECT id, received_at, value FROM metrics_events
     WHERE key = $1 AND received_at >= $2 AND received_at < $3
       AND (received_at, id) > ($4, $5)
     ORDER BY received_at, id LIMIT $6";
/// Serializes partition creation between collectors.
const PARTITION_LOCK_ID: i64 = 0x6d65_7472_6963_7302;

/// The partition of one UTC day, e.g. `metrics_events_20261203`.
pub fn partition_name(day: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(day * 86_400)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date();
    format!(
        "{TABLE}_{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The day a partition holds, from its name.
fn partition_day(name: &str) -> Option<i64> {
    let digits = name.strip_prefix(TABLE)?.strip_prefix('_')?;
    let format = time::macros::format_description!("[year][month][day]");
    let date = time::Date::parse(digits, &format).ok()?;
    Some(
        date.with_time(time::Time::MIDNIGHT)
            .assume_utc()
            .unix_timestamp()
            .div_euclid(86_400),
    )
}

impl PostgresStore {
    /// Appends every event with one binary COPY, and any new key, in one transaction.
    pub async fn append_events(&self, events: &[Event]) -> Result<(), StorageError> {
        if events.is_empty() {
            return Ok(());
        }
        let days: HashSet<i64> = events
            .iter()
            .map(|event| event.received_at.div_euclid(MICROS_PER_DAY))
            .collect();
        self.ensure_partitions(&days).await?;
        let mut keys: Vec<&str> = events.iter().map(|event| event.key.as_ref()).collect();
        keys.sort_unstable();
        keys.dedup();
        let first = self
            .bounded(
                FLUSH_TIMEOUT,
                "appending events",
                self.copy_events(events, &keys),
            )
            .await?;
        let Err(err) = first else {
            return Ok(());
        };
        // Another collector's retention dropped a day this process had seen: forget what it
        // knows, recreate, retry once.
        if err.code() != Some(&SqlState::CHECK_VIOLATION) {
            return Err(self.error(&err));
        }
        self.event_days
            .lock()
            .expect("partition list lock poisoned")
            .clear();
        self.ensure_partitions(&days).await?;
        self.bounded(
            FLUSH_TIMEOUT,
            "appending events",
            self.copy_events(events, &keys),
        )
        .await?
        .map_err(|err| self.error(&err))
    }

    /// One transaction: COPY the events, then insert the keys not seen before. The inner
    /// error keeps its SQLSTATE for the caller.
    async fn copy_events(
        &self,
        events: &[Event],
        keys: &[&str],
    ) -> Result<Result<(), tokio_postgres::Error>, StorageError> {
        let mut client = self.client().await?;
        Ok(async {
            let transaction = client.transaction().await?;
            let sink = transaction
                .copy_in(&format!(
                    "COPY {TABLE} (key, received_at, value) FROM STDIN BINARY"
                ))
                .await?;
            let mut writer = pin!(BinaryCopyInWriter::new(
                sink,
                &[Type::TEXT, Type::INT8, Type::FLOAT8]
            ));
            for event in events {
                let row: [&(dyn ToSql + Sync); 3] =
                    [&event.key.as_ref(), &event.received_at, &event.value];
                writer.as_mut().write(&row).await?;
            }
            writer.finish().await?;
            transaction
                .execute(
                    "INSERT INTO metrics_event_keys (key)
                     SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                    &[&keys],
                )
                .await?;
            transaction.commit().await
        }
        .await)
    }

    /// Creates the day partitions this process has not seen yet.
    async fn ensure_partitions(&self, days: &HashSet<i64>) -> Result<(), StorageError> {
        let missing: Vec<i64> = {
            let known = self
                .event_days
                .lock()
                .expect("partition list lock poisoned");
            days.iter()
                .filter(|day| !known.contains(day))
                .copied()
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.bounded(READ_TIMEOUT, "creating event partitions", async {
            let mut client = self.client().await?;
            let pg = |err: tokio_postgres::Error| self.error(&err);
            let transaction = client.transaction().await.map_err(pg)?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&PARTITION_LOCK_ID])
                .await
                .map_err(pg)?;
            for day in &missing {
                transaction
                    .batch_execute(&format!(
                        "CREATE TABLE IF NOT EXISTS {} PARTITION OF {TABLE}
                         FOR VALUES FROM ({}) TO ({})",
                        partition_name(*day),
                        day * MICROS_PER_DAY,
                        (day + 1) * MICROS_PER_DAY
                    ))
                    .await
                    .map_err(pg)?;
            }
            transaction.commit().await.map_err(pg)
        })
        .await?;
        self.event_days
            .lock()
            .expect("partition list lock poisoned")
            .extend(missing);
        Ok(())
    }

    pub async fn key_range(
        &self,
        key: &str,
        from: Micros,
        to: Micros,
        after: After,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        self.bounded(READ_TIMEOUT, "reading events", async {
            let client = self.client().await?;
            let pg = |err: tokio_postgres::Error| self.error(&err);
            // `received_at >= $2` repeats the row comparison's bound so that partitions
            // before it are pruned.
            let statement = client.prepare_cached(KEY_RANGE_SQL).await.map_err(pg)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = client
                .query(
                    &statement,
                    &[
                        &key,
                        &from.max(after.received_at),
                        &to,
                        &after.received_at,
                        &after.id,
                        &limit,
                    ],
                )
                .await
                .map_err(pg)?;
            rows.iter()
                .map(|row| {
                    Ok(StoredEvent {
                        key: key.to_owned(),
                        id: row.try_get(0).map_err(pg)?,
                        received_at: row.try_get(1).map_err(pg)?,
                        value: row.try_get(2).map_err(pg)?,
                    })
                })
                .collect()
        })
        .await
    }

    pub async fn keys_between(
        &self,
        start: KeyBound<'_>,
        end: &str,
        limit: usize,
    ) -> Result<Vec<String>, StorageError> {
        let (operator, start) = match start {
            KeyBound::From(key) => (">=", key),
            KeyBound::After(key) => (">", key),
        };
        self.bounded(READ_TIMEOUT, "reading event keys", async {
            let client = self.client().await?;
            let pg = |err: tokio_postgres::Error| self.error(&err);
            let statement = client
                .prepare_cached(&format!(
                    "SELECT key FROM metrics_event_keys
                     WHERE key {operator} $1 AND key < $2 ORDER BY key LIMIT $3"
                ))
                .await
                .map_err(pg)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = client
                .query(&statement, &[&start, &end, &limit])
                .await
                .map_err(pg)?;
            rows.iter().map(|row| row.try_get(0).map_err(pg)).collect()
        })
        .await
    }

    /// Drops every day partition that ends at or before `oldest_kept`. Returns how many.
    pub async fn expire_events(&self, oldest_kept: Micros) -> Result<u64, StorageError> {
        self.bounded(FLUSH_TIMEOUT, "dropping expired event partitions", async {
            let client = self.client().await?;
            let pg = |err: tokio_postgres::Error| self.error(&err);
            let rows = client
                .query(
                    &format!(
                        "SELECT c.relname::text FROM pg_inherits i
                         JOIN pg_class c ON c.oid = i.inhrelid
                         WHERE i.inhparent = '{TABLE}'::regclass"
                    ),
                    &[],
                )
                .await
                .map_err(pg)?;
            let mut dropped = 0;
            for row in rows {
                let name: String = row.try_get(0).map_err(pg)?;
                let Some(day) = partition_day(&name) else {
                    continue;
                };
                if (day + 1) * MICROS_PER_DAY > oldest_kept {
                    continue;
                }
                client
                    .batch_execute(&format!("DROP TABLE IF EXISTS {name}"))
                    .await
                    .map_err(pg)?;
                self.event_days
                    .lock()
                    .expect("partition list lock poisoned")
                    .remove(&day);
                dropped += 1;
                tracing::info!(partition = %name, "dropped an expired day of events");
            }
            Ok(dropped)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_are_utc_dates_and_parse_back() {
        // 2026-12-03 is day 20,790 since the epoch.
        assert_eq!(partition_name(20_790), "metrics_events_20261203");
        assert_eq!(partition_day("metrics_events_20261203"), Some(20_790));
        assert_eq!(partition_day("metrics_events_by_key_time"), None);
        assert_eq!(partition_day("other_20261203"), None);
    }
}
