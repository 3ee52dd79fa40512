//! Moves the in-memory aggregates into the database every `--flush-interval`. What a crash
//! loses is bounded by this interval: everything older is already merged into the database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, watch};

use crate::aggregate::{Pending, Shards};
use crate::domain::event::now_micros;
use crate::domain::{Event, UtcHour};
use crate::retention::{RetentionMetrics, RetentionPolicy};
use crate::storage::{StorageError, Store};
use crate::telemetry::ServiceMetrics;

/// What one flush did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushOutcome {
    pub series: usize,
    pub messages: u64,
}

pub struct Flusher {
    shards: Shards,
    store: Store,
    /// Data of failed flushes, retried with the next one. The mutex also keeps flushes (the
    /// periodic one, the final one at shutdown, a test's) from running at the same time.
    carried_over: Mutex<Pending>,
    /// Most series `carried_over` keeps (`--max-series`): during a long database outage the
    /// oldest hours are dropped beyond it, and counted, so memory stays bounded.
    max_carried_series: usize,
    /// Most events kept while appends fail (`--max-buffered-events`).
    max_carried_events: usize,
    metrics: ServiceMetrics,
    /// Applied after a successful flush, at most once per `policy.every`.
    retention: Option<Retention>,
}

struct Retention {
    policy: RetentionPolicy,
    metrics: RetentionMetrics,
    last_pass: std::sync::Mutex<Option<Instant>>,
}

impl Flusher {
    pub fn new(
        shards: Shards,
        store: Store,
        max_carried_series: usize,
        metrics: ServiceMetrics,
    ) -> Self {
        Self {
            shards,
            store,
            carried_over: Mutex::new(Pending::default()),
            max_carried_series: max_carried_series.max(1),
            max_carried_events: crate::aggregate::DEFAULT_EVENTS_PER_SHARD,
            metrics,
            retention: None,
        }
    }

    /// Events kept in memory while appends fail.
    pub fn with_event_backlog(mut self, max_events: usize) -> Self {
        self.max_carried_events = max_events;
        self
    }

    /// Bounds what the database keeps (see `crate::retention`).
    pub fn with_retention(mut self, policy: RetentionPolicy, metrics: RetentionMetrics) -> Self {
        self.retention = Some(Retention {
            policy,
            metrics,
            last_pass: std::sync::Mutex::new(None),
        });
        self
    }

    /// Runs the retention pass when one is due. A failure is logged and retried next time:
    /// it never costs a flush.
    async fn enforce_retention_if_due(&self) {
        let Some(retention) = &self.retention else {
            return;
        };
        {
            let mut last = retention.last_pass.lock().expect("retention lock poisoned");
            if last.is_some_and(|at| at.elapsed() < retention.policy.every) {
                return;
            }
            *last = Some(Instant::now());
        }
        let oldest_kept = retention.policy.oldest_kept(UtcHour::now());
        match self
            .store
            .enforce_retention(oldest_kept, retention.policy.max_rows)
            .await
        {
            Ok(pruned) => {
                retention.metrics.record(pruned);
                if pruned.expired + pruned.over_budget > 0 {
                    tracing::info!(
                        expired = pruned.expired,
                        over_budget = pruned.over_budget,
                        remaining = pruned.remaining,
                        "retention pruned stored rows"
                    );
                }
            }
            Err(err) => {
                tracing::warn!(%err, "retention pass failed; retrying after the next flush")
            }
        }
        let oldest_event = now_micros() - retention.policy.event_max_age;
        match self.store.expire_events(oldest_event).await {
            Ok(0) => {}
            Ok(removed) => {
                tracing::info!(
                    removed,
                    "expired events (day partitions, or rows on SQLite)"
                )
            }
            Err(err) => {
                tracing::warn!(%err, "event expiry failed; retrying after the next flush")
            }
        }
    }

    /// Drains every shard, merges the aggregates into the database and appends the events.
    /// On failure the data stays in memory for the next attempt (aggregates and events each
    /// on their own: one failing does not make the other be written twice).
    pub async fn flush_once(&self) -> Result<FlushOutcome, StorageError> {
        let mut carried_over = self.carried_over.lock().await;
        let mut pending = std::mem::take(&mut *carried_over);
        pending.merge(self.shards.drain());
        let events = std::mem::take(&mut pending.events);
        let buffer_full = std::mem::take(&mut pending.events_dropped);
        if buffer_full > 0 {
            self.metrics
                .events_dropped
                .with_label_values(&["buffer_full"])
                .inc_by(buffer_full);
        }
        let outcome = FlushOutcome {
            series: pending.len(),
            messages: pending.message_count(),
        };
        let (mut pending, merged) = self.merge_aggregates(pending).await;
        let (events, appended) = self.append_events(events).await;
        pending.events = events;
        *carried_over = pending;
        if merged.is_err() || appended.is_err() {
            self.metrics.flush_errors.inc();
        }
        merged?;
        appended?;
        if outcome.series > 0 {
            self.enforce_retention_if_due().await;
        }
        Ok(outcome)
    }

    /// Hands back what is left to retry: nothing after a success, the capped backlog after a
    /// failure.
    async fn merge_aggregates(&self, pending: Pending) -> (Pending, Result<(), StorageError>) {
        if pending.is_empty() {
            return (pending, Ok(()));
        }
        let started = Instant::now();
        let (mut pending, result) = self.store.merge(pending).await;
        self.metrics
            .flush_duration
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(()) => {
                self.metrics.pending_series.set(0);
                (Pending::default(), Ok(()))
            }
            Err(err) => {
                let (series, messages) = pending.keep_newest(self.max_carried_series);
                if series > 0 {
                    self.metrics.backlog_dropped_series.inc_by(series as u64);
                    self.metrics.backlog_dropped_messages.inc_by(messages);
                    tracing::warn!(
                        series,
                        messages,
                        max_series = self.max_carried_series,
                        "flush backlog full: dropped the oldest hours"
                    );
                }
                self.metrics
                    .pending_series
                    .set(i64::try_from(pending.len()).unwrap_or(i64::MAX));
                (pending, Err(err))
            }
        }
    }

    /// Appends the events; after a failure keeps the newest `max_carried_events` for the next
    /// flush and counts the rest as dropped.
    async fn append_events(&self, events: Vec<Event>) -> (Vec<Event>, Result<(), StorageError>) {
        if events.is_empty() {
            return (events, Ok(()));
        }
        let offered = events.len();
        let (mut events, result) = self.store.append_events(events).await;
        // The store hands back what it did not commit, so what was stored is the difference
        // (all on success; the committed transactions before a failure, too).
        self.metrics
            .events_stored
            .inc_by(offered.saturating_sub(events.len()) as u64);
        match result {
            Ok(()) => {
                events.clear();
                (events, Ok(()))
            }
            Err(err) => {
                let excess = events.len().saturating_sub(self.max_carried_events);
                if excess > 0 {
                    events.drain(..excess);
                    self.metrics
                        .events_dropped
                        .with_label_values(&["backlog_full"])
                        .inc_by(excess as u64);
                    tracing::warn!(
                        dropped = excess,
                        kept = events.len(),
                        "event backlog full: dropped the oldest events"
                    );
                }
                (events, Err(err))
            }
        }
    }

    /// Proves the database the collector writes to is readable (for `/readyz`).
    pub async fn ping_store(&self) -> Result<(), StorageError> {
        self.store.ping().await
    }

    /// Flushes every `interval` until `stop` turns true, and returns; the caller
    /// does the final flush after the receivers have stopped.
    pub async fn run(self: Arc<Self>, interval: Duration, mut stop: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // the first tick is immediate
        loop {
            tokio::select! {
                _ = ticker.tick() => self.flush_and_log().await,
                // The only change ever sent is "stop"; a dropped sender means stop too.
                _ = stop.changed() => return,
            }
        }
    }

    pub async fn flush_and_log(&self) {
        match self.flush_once().await {
            Ok(outcome) if outcome.series > 0 => {
                tracing::debug!(
                    series = outcome.series,
                    messages = outcome.messages,
                    "flushed"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::error!(%err, "flush failed; keeping the data for the next one"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UtcHour;
    use crate::storage::Database;

    /// The outage: the table is out of reach until [`bring_table_back`] (the schema is
    /// versioned, so reopening no longer recreates a table that went missing).
    fn drop_table(path: &std::path::Path) {
        rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch("ALTER TABLE hourly_stats RENAME TO hourly_stats_away")
            .unwrap();
    }

    fn bring_table_back(path: &std::path::Path) {
        rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch("ALTER TABLE hourly_stats_away RENAME TO hourly_stats")
            .unwrap();
    }

    #[tokio::test]
    async fn the_backlog_of_a_database_outage_is_capped_and_what_is_dropped_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let database = Database::Sqlite(path.clone());
        let store = Store::open(&database).await.unwrap();
        let registry = prometheus::Registry::new();
        let metrics = ServiceMetrics::register(&registry);
        let shards = Shards::new(100);
        let shard = shards.new_shard();
        let flusher = Flusher::new(shards, store, 4, metrics.clone());

        // The database fails; 3 hours x 2 keys arrive, 2 values each: 6 series, 12 messages.
        drop_table(&path);
        for hour in [10, 11, 12] {
            for key in ["a", "b"] {
                for value in [1.0, 2.0] {
                    shard
                        .lock()
                        .unwrap()
                        .add(UtcHour(hour), key, value)
                        .unwrap();
                }
            }
        }
        flusher.flush_once().await.expect_err("no table");
        assert_eq!(metrics.pending_series.get(), 4, "capped at max series");
        assert_eq!(metrics.backlog_dropped_series.get(), 2);
        assert_eq!(metrics.backlog_dropped_messages.get(), 4);

        // Still failing, a newer hour arrives: the oldest remaining hour goes.
        shard.lock().unwrap().add(UtcHour(13), "a", 5.0).unwrap();
        flusher.flush_once().await.expect_err("no table");
        assert_eq!(metrics.pending_series.get(), 4);
        assert_eq!(metrics.backlog_dropped_series.get(), 3);
        assert_eq!(metrics.backlog_dropped_messages.get(), 6);
        let text = prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .unwrap();
        assert!(
            text.contains("metrics_flush_backlog_dropped_series_total 3"),
            "{text}"
        );
        assert!(
            text.contains("metrics_flush_backlog_dropped_messages_total 6"),
            "{text}"
        );

        // The database is back: the newest 4 series land.
        bring_table_back(&path);
        let restored = Store::open(&database).await.unwrap();
        let outcome = flusher.flush_once().await.unwrap();
        assert_eq!(
            outcome,
            FlushOutcome {
                series: 4,
                messages: 7
            }
        );
        assert_eq!(metrics.pending_series.get(), 0);
        for (key, hour, count) in [("a", 13, Some(1)), ("a", 12, Some(2)), ("b", 11, Some(2))] {
            let stats = restored.read(key, UtcHour(hour)).await.unwrap();
            assert_eq!(stats.map(|s| s.count), count, "{key} hour {hour}");
        }
        assert!(
            restored.read("a", UtcHour(11)).await.unwrap().is_none(),
            "dropped"
        );
        assert!(
            restored.read("b", UtcHour(10)).await.unwrap().is_none(),
            "dropped"
        );
    }
}
