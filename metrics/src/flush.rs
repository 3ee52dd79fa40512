//! Moves the in-memory aggregates into the database every `--flush-interval`. What a crash
//! loses is bounded by this interval: everything older is already merged into the database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, watch};

use crate::aggregate::{Pending, Shards};
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
    metrics: ServiceMetrics,
}

impl Flusher {
    pub fn new(shards: Shards, store: Store, metrics: ServiceMetrics) -> Self {
        Self {
            shards,
            store,
            carried_over: Mutex::new(Pending::default()),
            metrics,
        }
    }

    /// Drains every shard and merges the result into the database. On failure the data stays
    /// in memory for the next attempt.
    pub async fn flush_once(&self) -> Result<FlushOutcome, StorageError> {
        let mut carried_over = self.carried_over.lock().await;
        let mut pending = std::mem::take(&mut *carried_over);
        pending.merge(self.shards.drain());
        if pending.is_empty() {
            return Ok(FlushOutcome {
                series: 0,
                messages: 0,
            });
        }
        let outcome = FlushOutcome {
            series: pending.len(),
            messages: pending.message_count(),
        };
        let started = Instant::now();
        let (pending, result) = self.store.merge(pending).await;
        self.metrics
            .flush_duration
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(()) => {
                self.metrics.pending_series.set(0);
                Ok(outcome)
            }
            Err(err) => {
                self.metrics.flush_errors.inc();
                self.metrics
                    .pending_series
                    .set(i64::try_from(pending.len()).unwrap_or(i64::MAX));
                *carried_over = pending;
                Err(err)
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
