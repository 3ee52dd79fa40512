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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::Availability;
    use crate::profile::ComputedAvailability;
    use crate::store::SqliteStore;

    #[tokio::test]
    async fn a_pass_prunes_by_age_and_by_count_across_several_batches() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hw.db")).await.unwrap();
        let profiles = store
            .claim_due("t", 2, timestamp::now(), Duration::from_secs(60), &[])
            .await
            .unwrap();
        let now = timestamp::now();
        // 2,500 results of the first profile a minute apart (more than one age batch is
        // older than 12 h), 5 of the second, all recent.
        let results: Vec<ComputedAvailability> = (0..2_500u32)
            .map(|n| (&profiles[0], Duration::from_secs(60) * n))
            .chain((0..5u32).map(|n| (&profiles[1], Duration::from_secs(n as u64))))
            .map(|(profile, ago)| ComputedAvailability {
                profile: profile.clone(),
                availability: Availability::Medium,
                computed_at: now - ago,
            })
            .collect();
        store.save_results("t", &results).await.unwrap();

        let config = PruneConfig {
            max_age: Duration::from_secs(86_400 / 2),
            max_per_profile: 3,
        };
        let outcome = prune_once(&store, config).await.unwrap();
        // 12 h or older when the pass starts: minutes 720..=2499, in two batches; then by
        // count 720 - 3 of the first profile and 5 - 3 of the second.
        assert_eq!(outcome.too_old, 1_780);
        assert_eq!(outcome.beyond_count, (720 - 3) + 2);
        for profile in &profiles {
            assert_eq!(store.load_history(profile.id, 100).await.unwrap().len(), 3);
        }
        let again = prune_once(&store, config).await.unwrap();
        assert_eq!(again, PruneOutcome::default(), "nothing left to prune");
    }
}
