//! What the page is rendered from: the last synced catalog plus the health of the sync.
//!
//! The sync task is the only writer; page views read the current [`Snapshot`] through an
//! `ArcSwap`, which costs an atomic load, never a lock and never a call to `hardware`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use arc_swap::ArcSwap;
use time::OffsetDateTime;

use super::catalog::Catalog;
use super::freshness::ComputeStatus;

/// Whether the last attempt to sync with `hardware` worked.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncHealth {
    /// No attempt has finished yet (the portal just started).
    Starting,
    Healthy,
    /// The last attempt failed; the page shows the "live data is paused" banner.
    Unreachable {
        /// When the failures started.
        since: OffsetDateTime,
        /// Last successful sync, if any: "data as of ..." on the banner.
        last_success: Option<OffsetDateTime>,
        error: String,
    },
}

/// Everything a rendered page depends on. A new value (with a new `revision`) is published
/// whenever anything visible on the page changes, so `(revision, query)` identifies a page.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Local counter, bumped on every publish; part of the page cache key and the ETag.
    pub revision: u64,
    /// `None` until the first successful sync.
    pub catalog: Option<Arc<Catalog>>,
    pub health: SyncHealth,
    /// What `hardware` is computing (`GET /hardware/status`); `None` when it did not say.
    pub status: Option<Arc<ComputeStatus>>,
    /// The moment relative times ("computed 3 min ago") are measured from. It is refreshed
    /// at most every [`AS_OF_REFRESH`] while nothing changes, so a cached page stays valid
    /// and its relative times are never more than that much behind.
    pub as_of: OffsetDateTime,
}

/// How old `as_of` may get before an unchanged snapshot is republished.
pub const AS_OF_REFRESH: time::Duration = time::Duration::seconds(60);

/// The current snapshot, plus the time of the last successful sync for `/metrics`
/// (kept outside the snapshot so that a quiet successful sync does not invalidate pages).
#[derive(Debug)]
pub struct SnapshotStore {
    current: ArcSwap<Snapshot>,
    last_success_unix_ms: AtomicI64,
    /// Random per process: ETags and `/version` tokens from an earlier process (or another
    /// instance behind the load balancer) never collide with this one's.
    boot_id: u64,
}

impl SnapshotStore {
    pub fn new(boot_id: u64) -> Self {
        Self {
            current: ArcSwap::from_pointee(Snapshot {
                revision: 0,
                catalog: None,
                health: SyncHealth::Starting,
                status: None,
                as_of: OffsetDateTime::now_utc(),
            }),
            last_success_unix_ms: AtomicI64::new(0),
            boot_id,
        }
    }

    /// The current snapshot; cheap enough for every request.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// A cheaper read for the hot path: only valid while the guard is held.
    pub fn peek(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Publishes a new snapshot built from the current one; the revision is bumped here so
    /// callers cannot forget it. Only the sync task calls this.
    pub fn publish(&self, update: impl FnOnce(&Snapshot) -> Snapshot) -> Arc<Snapshot> {
        let previous = self.current.load_full();
        let mut next = update(&previous);
        next.revision = previous.revision + 1;
        let next = Arc::new(next);
        self.current.store(next.clone());
        next
    }

    pub fn boot_id(&self) -> u64 {
        self.boot_id
    }

    /// The token the browser script polls: changes whenever the page would change.
    pub fn version_token(&self, snapshot: &Snapshot) -> String {
        format!("{:x}-{}", self.boot_id, snapshot.revision)
    }

    pub fn record_success(&self, at: OffsetDateTime) {
        let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        self.last_success_unix_ms.store(ms, Ordering::Relaxed);
    }

    pub fn last_success(&self) -> Option<OffsetDateTime> {
        match self.last_success_unix_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_publish_bumps_the_revision_and_changes_the_version_token() {
        let store = SnapshotStore::new(0xabc);
        let first = store.load();
        let token = store.version_token(&first);
        let next = store.publish(|s| Snapshot {
            health: SyncHealth::Healthy,
            ..s.clone()
        });
        assert_eq!(next.revision, first.revision + 1);
        assert_eq!(store.load().revision, next.revision);
        assert_ne!(store.version_token(&next), token);
        assert!(store.version_token(&next).starts_with("abc-"));
    }

    #[test]
    fn last_success_round_trips_at_millisecond_precision() {
        let store = SnapshotStore::new(1);
        assert_eq!(store.last_success(), None);
        let at = time::macros::datetime!(2026-11-22 10:00:05.123 UTC);
        store.record_success(at);
        assert_eq!(store.last_success(), Some(at));
    }
}
