//! Keeps `availability_history` bounded: rows older than `--history-max-age` go, and so does
//! everything beyond the newest `--history-max-per-profile` of each profile.
//!
//! A pass runs at start and then every [`PRUNE_EVERY`], in small steps: at most
//! [`AGE_BATCH`] rows per age delete and [`PROFILES_PER_STEP`] profiles per count step, each
//! its own short transaction, with a yield in between. A big backlog (a lowered limit, a
//! service that was down for a month) then takes many short locks, never one long one that
//! would hold up the refresher's writes. Every process sharing a PostgreSQL database prunes;
//! the deletes are idempotent, so they only share the work.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::store::{Store, StoreError, timestamp};

/// Time between two passes. History grows by one row per profile per refresh interval (60 s
/// by default), so a pass every few minutes keeps the excess to a few rows per profile.
pub const PRUNE_EVERY: Duration = Duration::from_secs(10 * 60);
/// Rows deleted per age step.
pub const AGE_BATCH: usize = 1_000;
/// Profiles looked at per count step.
pub const PROFILES_PER_STEP: usize = 500;
/// Pause between two steps, so other writers get the database in between.
const STEP_PAUSE: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneConfig {
    pub max_age: Duration,
    pub max_per_profile: usize,
}

/// What one pass deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneOutcome {
    pub too_old: usize,
    pub beyond_count: usize,
}

/// One full pass, in bounded steps.
pub async fn prune_once(
    store: &dyn Store,
    config: PruneConfig,
) -> Result<PruneOutcome, StoreError> {
    let mut outcome = PruneOutcome::default();
    let cutoff = timestamp::now() - config.max_age;
    loop {
        let deleted = store.prune_history_older_than(cutoff, AGE_BATCH).await?;
        outcome.too_old += deleted;
        if deleted < AGE_BATCH {
            break;
        }
        tokio::time::sleep(STEP_PAUSE).await;
    }
    let mut after = 0;
    loop {
        let step = store
            .prune_history_beyond(config.max_per_profile, after, PROFILES_PER_STEP)
            .await?;
        outcome.beyond_count += step.deleted;
        match step.next {
            Some(next) => after = next,
            None => break,
        }
        tokio::time::sleep(STEP_PAUSE).await;
    }
    Ok(outcome)
}

/// Prunes at start and every [`PRUNE_EVERY`] until `shutdown` turns true. A failed pass is
/// logged and retried at the next one: history is not worth a retry storm on a database the
/// refresher already reports as away.
pub async fn run(store: Arc<dyn Store>, config: PruneConfig, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(PRUNE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        match prune_once(store.as_ref(), config).await {
            Ok(outcome) if outcome != PruneOutcome::default() => {
                tracing::info!(
                    too_old = outcome.too_old,
                    beyond_count = outcome.beyond_count,
                    "pruned availability history"
                );
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "pruning history failed; retrying later"),
        }
    }
}
