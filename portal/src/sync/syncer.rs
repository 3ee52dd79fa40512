//! Keeps the portal's copy of the catalog in step with `hardware` and publishes it as a
//! [`Snapshot`]. [`Syncer::sync_once`] is one step (tests call it directly); [`run`] is
//! the loop with the interval and the backoff.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use service_kit::Backoff;
use time::OffsetDateTime;
use tokio::sync::watch;

use super::client::{ChangeSet, Changes, FetchError, HardwareClient};
use crate::domain::snapshot::AS_OF_REFRESH;
use crate::domain::{Catalog, ComputeStatus, Profile, Snapshot, SnapshotStore, SyncHealth};
use crate::telemetry::PortalMetrics;

/// What one sync step did.
#[derive(Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// A new catalog was published.
    Updated { full: bool, changed: usize },
    /// `hardware` had nothing new.
    Unchanged,
    /// The step failed; the last snapshot stays, marked unreachable.
    Failed(String),
}

pub struct Syncer {
    client: HardwareClient,
    store: Arc<SnapshotStore>,
    metrics: PortalMetrics,
    /// The copy the deltas are applied to, by id.
    profiles: BTreeMap<i64, Arc<Profile>>,
    /// `hardware`'s version of `profiles`; `None` asks for the whole catalog.
    version: Option<String>,
    /// `hardware`'s catalog size from the last change set.
    expected_total: usize,
    consecutive_failures: u32,
}

impl Syncer {
    pub fn new(client: HardwareClient, store: Arc<SnapshotStore>, metrics: PortalMetrics) -> Self {
        Self {
            client,
            store,
            metrics,
            profiles: BTreeMap::new(),
            version: None,
            expected_total: 0,
            consecutive_failures: 0,
        }
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    pub async fn sync_once(&mut self) -> SyncOutcome {
        match self.fetch_and_apply().await {
            Ok(outcome) => {
                // After the catalog, so a profile it lists as computing is already in it.
                let status = self.client.status().await.map(Arc::new);
                let now = OffsetDateTime::now_utc();
                self.consecutive_failures = 0;
                self.metrics.consecutive_sync_failures.set(0);
                self.store.record_success(now);
                let current = self.store.load();
                let updated = matches!(outcome, SyncOutcome::Updated { .. });
                let stale_as_of = now - current.as_of >= AS_OF_REFRESH;
                let status_changed = current.catalog.as_deref().is_none_or(|catalog| {
                    !ComputeStatus::looks_the_same(
                        current.status.as_deref(),
                        status.as_deref(),
                        catalog,
                    )
                });
                if updated || current.health != SyncHealth::Healthy || stale_as_of {
                    let catalog = Arc::new(Catalog::new(
                        self.version.clone().unwrap_or_default(),
                        self.profiles.values().cloned().collect(),
                    ));
                    self.metrics.profiles.set(catalog.profiles.len() as i64);
                    self.store.publish(|_| Snapshot {
                        revision: 0,
                        catalog: Some(catalog),
                        health: SyncHealth::Healthy,
                        status,
                        as_of: now,
                    });
                } else if status_changed {
                    // Same catalog, but the page would say something else about the queue.
                    self.store.publish(|current| Snapshot {
                        status,
                        as_of: now,
                        ..current.clone()
                    });
                }
                outcome
            }
            Err(err) => {
                let message = err.to_string();
                self.consecutive_failures += 1;
                self.metrics.sync_failures.inc();
                self.metrics
                    .consecutive_sync_failures
                    .set(i64::from(self.consecutive_failures));
                if matches!(err, FetchError::Rejected { .. } | FetchError::BadBody(_)) {
                    // Our `since` (or our idea of the protocol) is off: start over.
                    self.version = None;
                }
                if self.consecutive_failures == 1 {
                    tracing::warn!(error = %message, "hardware sync failed; serving the last snapshot");
                    let last_success = self.store.last_success();
                    // Only the first failure changes the page (the banner); repeated
                    // failures keep the cached pages valid.
                    self.store.publish(|current| Snapshot {
                        health: SyncHealth::Unreachable {
                            since: OffsetDateTime::now_utc(),
                            last_success,
                            error: message.clone(),
                        },
                        ..current.clone()
                    });
                } else {
                    tracing::debug!(error = %message, failures = self.consecutive_failures, "hardware sync still failing");
                }
                SyncOutcome::Failed(message)
            }
        }
    }

    /// Fetches changes and applies them to `profiles`; at most one extra full fetch when
    /// the copy's size disagrees with `hardware`'s `total`.
    async fn fetch_and_apply(&mut self) -> Result<SyncOutcome, FetchError> {
        let was_recovering = self.consecutive_failures > 0;
        let changes = self.client.changes(self.version.as_deref()).await?;
        let change_set = match changes {
            Changes::NotModified if self.version.is_some() => {
                if was_recovering {
                    tracing::info!("hardware reachable again; snapshot unchanged");
                }
                return Ok(SyncOutcome::Unchanged);
            }
            Changes::NotModified => {
                return Err(FetchError::BadBody(
                    "304 Not Modified to a request without 'since'".into(),
                ));
            }
            Changes::Changed(change_set) => change_set,
        };
        let mut full = change_set.full;
        let mut changed = self.apply(change_set);
        if self.profiles.len() != self.expected_total && !full {
            tracing::info!(
                have = self.profiles.len(),
                expected = self.expected_total,
                "catalog size differs from hardware's total; fetching everything"
            );
            match self.client.changes(None).await? {
                Changes::Changed(change_set) => {
                    full = true;
                    changed = self.apply(change_set);
                }
                Changes::NotModified => {
                    return Err(FetchError::BadBody(
                        "304 Not Modified to a request without 'since'".into(),
                    ));
                }
            }
        }
        if self.profiles.len() != self.expected_total {
            tracing::warn!(
                have = self.profiles.len(),
                expected = self.expected_total,
                "full catalog from hardware does not match its own total"
            );
        }
        if was_recovering {
            tracing::info!("hardware reachable again");
        }
        Ok(SyncOutcome::Updated { full, changed })
    }

    fn apply(&mut self, change_set: ChangeSet) -> usize {
        let ChangeSet {
            version,
            full,
            total,
            profiles,
        } = change_set;
        if full {
            self.profiles.clear();
        }
        let changed = profiles.len();
        for profile in profiles {
            self.profiles.insert(profile.id, Arc::new(profile));
        }
        self.version = Some(version);
        self.expected_total = total;
        changed
    }
}

/// How long to wait before the next step: the interval while healthy; after failures, twice
/// the interval doubling per consecutive failure up to `max_backoff` so a down `hardware` is
/// not hammered, with jitter so the portal tasks that lost it together do not come back in
/// step, and never shorter than the interval.
pub fn next_delay(interval: Duration, max_backoff: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    failure_backoff(interval, max_backoff).delay(failures)
}

fn failure_backoff(interval: Duration, max_backoff: Duration) -> Backoff {
    Backoff::new(interval.saturating_mul(2), max_backoff.max(interval)).with_floor(interval)
}

/// The sync loop: runs until `shutdown` becomes `true`.
pub async fn run(
    mut syncer: Syncer,
    interval: Duration,
    max_backoff: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        let outcome = syncer.sync_once().await;
        if let SyncOutcome::Updated { full, changed } = &outcome {
            tracing::debug!(full, changed, "snapshot updated");
        }
        let delay = next_delay(interval, max_backoff, syncer.consecutive_failures());
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => break,
        }
    }
    tracing::debug!("sync loop stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The delay before jitter: what `next_delay` draws below (down to half of it).
    fn nominal(interval: Duration, cap: Duration, failures: u32) -> Duration {
        match failures {
            0 => interval,
            n => failure_backoff(interval, cap).nominal(n),
        }
    }

    #[test]
    fn backoff_doubles_per_failure_and_stops_at_the_cap() {
        let interval = Duration::from_secs(2);
        let cap = Duration::from_secs(10);
        let delays: Vec<_> = (0..6)
            .map(|n| nominal(interval, cap, n).as_secs())
            .collect();
        assert_eq!(delays, [2, 4, 8, 10, 10, 10]);
        assert_eq!(nominal(interval, cap, u32::MAX), cap);
        assert_eq!(next_delay(interval, cap, 0), interval);
        for failures in (1..40).chain([u32::MAX]) {
            let nominal = nominal(interval, cap, failures);
            let delay = next_delay(interval, cap, failures);
            assert!(
                delay >= (nominal / 2).max(interval) && delay <= nominal,
                "{failures}: {delay:?}"
            );
        }
    }

    #[test]
    fn a_cap_below_the_interval_never_shortens_the_interval() {
        let interval = Duration::from_secs(5);
        for _ in 0..20 {
            assert_eq!(next_delay(interval, Duration::from_secs(1), 3), interval);
        }
    }
}
