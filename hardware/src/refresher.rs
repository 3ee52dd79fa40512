//! The background refresher: keeps every profile's availability computed and fresh.
//!
//! One loop, [`Refresher::step`], does everything in order: persist finished results, claim as
//! many due profiles as there are free compute slots (never computed first, then oldest), hand
//! them to the pool, and pick up rows other processes wrote. `run` repeats it, woken by a
//! finished computation or a short tick. A profile is claimed under a lease in the database, so
//! it is computed by one worker at a time, here and in any other process sharing the database.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::app_metrics::AppMetrics;
use crate::compute_pool::ComputePool;
use crate::compute_status::{ComputeStatusHandle, moving_average};
use crate::profile::{ComputedAvailability, ProfileId};
use crate::snapshot::SnapshotHandle;
use crate::store::{Store, timestamp};

#[derive(Debug, Clone)]
pub struct RefreshConfig {
    /// A value older than this is stale and gets recomputed.
    pub interval: Duration,
    /// How long a claim lasts; a crashed process's profiles are taken over after it.
    pub lease: Duration,
    /// Who we are in the database's lease columns.
    pub owner: String,
    /// How often to look for due work and for rows written by other processes when no
    /// computation finishes in between.
    pub tick: Duration,
    /// On shutdown, how long to wait for computations in progress so their results are kept.
    pub shutdown_grace: Duration,
}

/// What one step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub persisted: usize,
    pub claimed: usize,
    pub reloaded: usize,
}

pub struct Refresher {
    store: Arc<dyn Store>,
    pool: ComputePool,
    snapshot: SnapshotHandle,
    config: RefreshConfig,
    metrics: AppMetrics,
    store_healthy: Arc<AtomicBool>,
    results_tx: mpsc::UnboundedSender<ComputedAvailability>,
    results_rx: mpsc::UnboundedReceiver<ComputedAvailability>,
    pending: Vec<ComputedAvailability>,
    in_flight: HashSet<ProfileId>,
    /// When each in-flight computation was handed to the pool, to time it.
    started: HashMap<ProfileId, Instant>,
    average_compute_seconds: Option<f64>,
    status: ComputeStatusHandle,
    cycle_started: Option<Instant>,
}

impl Refresher {
    pub fn new(
        store: Arc<dyn Store>,
        pool: ComputePool,
        snapshot: SnapshotHandle,
        config: RefreshConfig,
        metrics: AppMetrics,
        store_healthy: Arc<AtomicBool>,
    ) -> Self {
        let (results_tx, results_rx) = mpsc::unbounded_channel();
        metrics.compute_slots.set(pool.workers() as i64);
        let status = ComputeStatusHandle::new(config.interval, pool.workers());
        Self {
            store,
            pool,
            snapshot,
            config,
            metrics,
            store_healthy,
            results_tx,
            results_rx,
            pending: Vec::new(),
            in_flight: HashSet::new(),
            started: HashMap::new(),
            average_compute_seconds: None,
            status,
            cycle_started: None,
        }
    }

    /// What `GET /hardware/status` serves; updated after every step.
    pub fn status(&self) -> ComputeStatusHandle {
        self.status.clone()
    }

    /// Runs until `shutdown` turns true, then finishes what it can within the grace period.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(
            workers = self.pool.workers(),
            interval_s = self.config.interval.as_secs_f64(),
            "refresher started"
        );
        let mut failures = 0u32;
        loop {
            if *shutdown.borrow() {
                break;
            }
            let ok = self.step().await.is_ok();
            failures = if ok { 0 } else { (failures + 1).min(6) };
            // Back off while the database fails: 1x, 2x, 4x ... 32x the tick, jittered so the
            // processes sharing a database that came back do not all retry in step.
            let wait = service_kit::Backoff::new(self.config.tick, self.config.tick * 32)
                .with_floor(self.config.tick)
                .delay(failures);
            tokio::select! {
                Some(result) = self.results_rx.recv() => self.pending.push(result),
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
        self.shut_down().await;
    }

    /// One pass: persist, claim, reload. Errors are logged, counted and retried next step;
    /// results that could not be written stay pending, so nothing computed is lost.
    pub async fn step(&mut self) -> Result<StepOutcome, crate::store::StoreError> {
        let mut outcome = StepOutcome::default();
        while let Ok(result) = self.results_rx.try_recv() {
            self.pending.push(result);
        }
        let result = async {
            outcome.persisted = self.persist_pending().await?;
            outcome.claimed = self.claim_and_submit().await?;
            outcome.reloaded = self.reload_changes().await?;
            Ok(outcome)
        }
        .await;
        self.metrics
            .compute_slots_busy
            .set(self.pool.busy_slots() as i64);
        self.metrics.results_pending.set(self.pending.len() as i64);
        // Computed but not yet written still counts as computing: the value is not served yet.
        self.status.update(
            self.in_flight.iter().copied().collect(),
            self.average_compute_seconds,
        );
        match &result {
            // The readiness transitions, logged once each (not once per /readyz probe).
            Ok(_) => {
                if !self.store_healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!("the database answers again: /readyz is ready");
                }
            }
            Err(err) => {
                if self.store_healthy.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        "the database does not answer: /readyz answers 503 while the last known values are served"
                    );
                }
                self.metrics.store_errors.inc();
                tracing::warn!(error = %err, pending = self.pending.len(), "refresher step failed; retrying");
            }
        }
        result
    }

    async fn persist_pending(&mut self) -> Result<usize, crate::store::StoreError> {
        if self.pending.is_empty() {
            return Ok(0);
        }
        let started = Instant::now();
        let saved = self
            .store
            .save_results(&self.config.owner, &self.pending)
            .await?;
        self.metrics
            .persist_seconds
            .observe(started.elapsed().as_secs_f64());
        let written = self.pending.len();
        self.metrics.computations.inc_by(written as u64);
        for result in self.pending.drain(..) {
            self.in_flight.remove(&result.profile.id);
            if let Some(started) = self.started.remove(&result.profile.id) {
                // Includes the wait for the next step, which is what a caller waits too.
                let seconds = started.elapsed().as_secs_f64();
                self.average_compute_seconds =
                    Some(moving_average(self.average_compute_seconds, seconds));
            }
        }
        // The saved rows reach the snapshot through `reload_changes`, later in the same step,
        // never directly: applying them here would move the snapshot's version past rows that
        // other processes committed just before (lower seqs), and the reload would skip those.
        tracing::debug!(written, kept = saved.len(), "persisted results");
        Ok(written)
    }

    async fn claim_and_submit(&mut self) -> Result<usize, crate::store::StoreError> {
        let free = self.pool.free_slots();
        if free == 0 {
            return Ok(0);
        }
        let stale_before = timestamp::now() - self.config.interval;
        // Never claim what this process is computing (or has computed but not yet written):
        // if a lease ran out meanwhile, the profile would otherwise be computed twice at once.
        let in_flight: Vec<ProfileId> = self.in_flight.iter().copied().collect();
        let claimed = self
            .store
            .claim_due(
                &self.config.owner,
                free,
                stale_before,
                self.config.lease,
                &in_flight,
            )
            .await?;
        let count = claimed.len();
        self.track_cycle(count);
        let mut refused = Vec::new();
        for profile in claimed {
            let id = profile.id;
            match self.pool.try_submit(profile, self.results_tx.clone()) {
                Ok(()) => {
                    self.in_flight.insert(id);
                    self.started.insert(id, Instant::now());
                }
                Err(profile) => refused.push(profile.id),
            }
        }
        if !refused.is_empty() {
            self.store
                .release_claims(&self.config.owner, &refused)
                .await?;
        }
        Ok(count - refused.len())
    }

    /// Rows written since our snapshot by anyone (another process sharing the database, or
    /// profiles added to the catalog while we run).
    async fn reload_changes(&mut self) -> Result<usize, crate::store::StoreError> {
        let since = self.snapshot.load().version.seq;
        let changed = self.store.load_rows(Some(since)).await?;
        self.metrics
            .corrupt_values
            .set(self.store.corrupt_values() as i64);
        let count = changed.len();
        self.snapshot.apply(changed);
        Ok(count)
    }

    fn track_cycle(&mut self, claimed: usize) {
        let busy = claimed > 0 || !self.in_flight.is_empty();
        match (self.cycle_started, busy) {
            (None, true) => self.cycle_started = Some(Instant::now()),
            (Some(started), false) => {
                let seconds = started.elapsed().as_secs_f64();
                self.metrics.refresh_cycle_seconds.set(seconds);
                self.metrics.refresh_cycles.inc();
                self.cycle_started = None;
                tracing::info!(seconds, "refresh cycle complete: every profile is fresh");
            }
            _ => {}
        }
        self.metrics.refresh_cycle_running_seconds.set(
            self.cycle_started
                .map_or(0.0, |started| started.elapsed().as_secs_f64()),
        );
    }

    async fn shut_down(mut self) {
        let waiting = self.in_flight.len();
        if waiting > 0 {
            tracing::info!(
                waiting,
                grace_s = self.config.shutdown_grace.as_secs_f64(),
                "waiting for computations in progress"
            );
            let deadline = tokio::time::Instant::now() + self.config.shutdown_grace;
            while self.pending.len() < waiting {
                match tokio::time::timeout_at(deadline, self.results_rx.recv()).await {
                    Ok(Some(result)) => self.pending.push(result),
                    _ => break,
                }
            }
        }
        match self.persist_pending().await {
            Ok(written) => tracing::info!(written, "final results written"),
            Err(err) => {
                tracing::error!(error = %err, lost = self.pending.len(), "could not write the final results")
            }
        }
        let unfinished: Vec<ProfileId> = self.in_flight.iter().copied().collect();
        if !unfinished.is_empty()
            && let Err(err) = self
                .store
                .release_claims(&self.config.owner, &unfinished)
                .await
        {
            tracing::warn!(error = %err, "could not release claims; they expire by themselves");
        }
        tracing::info!("refresher stopped");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::availability::{Availability, AvailabilitySource};
    use crate::snapshot::Snapshot;
    use crate::store::SqliteStore;

    /// Counts computations per profile; `c5` (profile 1) is slow, the others instant.
    #[derive(Default)]
    struct Counting {
        calls: Mutex<HashMap<String, usize>>,
    }

    impl AvailabilitySource for Counting {
        fn compute(&self, _provider: &str, name: &str) -> Availability {
            *self
                .calls
                .lock()
                .unwrap()
                .entry(name.to_owned())
                .or_default() += 1;
            if name == "c5" {
                std::thread::sleep(Duration::from_millis(600));
            }
            Availability::High
        }
    }

    #[tokio::test]
    async fn a_profile_in_flight_is_not_claimed_again_when_its_lease_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&dir.path().join("hw.db")).await.unwrap());
        let source = Arc::new(Counting::default());
        let snapshot = SnapshotHandle::new(Snapshot::new(
            store.database_id().await.unwrap(),
            store.load_rows(None).await.unwrap(),
        ));
        let mut refresher = Refresher::new(
            store,
            ComputePool::new(4, source.clone()),
            snapshot,
            RefreshConfig {
                interval: Duration::from_secs(3600),
                // Every lease has run out by the next step, c5's included while it computes.
                lease: Duration::ZERO,
                owner: "test".into(),
                tick: Duration::from_millis(500),
                shutdown_grace: Duration::from_secs(1),
            },
            AppMetrics::register(&prometheus::Registry::new()),
            Arc::new(AtomicBool::new(true)),
        );
        assert_eq!(refresher.step().await.unwrap().claimed, 4);
        // The three fast ones finish; c5 (never computed, lowest id, lease expired) is still
        // running and would come first in the next claim.
        tokio::time::timeout(Duration::from_secs(10), async {
            while refresher.pool.busy_slots() > 1 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .unwrap();
        let second = refresher.step().await.unwrap();
        assert_eq!((second.persisted, second.claimed), (3, 3));
        assert!(refresher.in_flight.contains(&1));
        tokio::time::timeout(Duration::from_secs(10), refresher.pool.wait_idle())
            .await
            .unwrap();
        refresher.step().await.unwrap();
        assert_eq!(
            source.calls.lock().unwrap().get("c5"),
            Some(&1),
            "c5 was computed twice at once"
        );
    }
}
