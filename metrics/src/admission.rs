//! Which new series get in. `--max-series` bounds memory within one flush window, but each
//! window starts empty, so on its own it let a flood of random keys store a fresh
//! `--max-series` rows every window and crowd out an app instance that started sending during
//! the flood. The policy here runs across windows:
//!
//! * **Known keys first.** A key flushed in a recent window is *known* and is always admitted
//!   (within the shard's memory cap). Known keys are remembered by hash, up to
//!   `--max-series` of them; beyond that the ones seen longest ago are forgotten first, and a
//!   key that sends every window is never the longest ago.
//! * **New keys on a quota.** A key never seen before is admitted only while its source (the
//!   UDP sender's address; all of `POST /ingest` counts as one source) has admitted fewer than
//!   `--max-new-series-per-source` new keys this window, and the whole collector fewer than
//!   `--max-new-series`. A flood from one sender uses up its own quota and no one else's, so
//!   a newly started app instance still gets in. Refusals are counted as `new_series_quota`.
//!
//! What a flood can still store is bounded by the quotas per window, and on disk by the
//! retention policy (`crate::retention`).

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::Mutex;

use foldhash::HashMap;

/// Where a message came from, for the per-source quota of new keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Udp(SocketAddr),
    /// Every `POST /ingest` request (behind a load balancer the peer address says nothing).
    Http,
    /// In-process callers and tests.
    Local,
}

/// The admission limits (flags `--max-new-series`, `--max-new-series-per-source`).
#[derive(Debug, Clone, Copy)]
pub struct AdmissionLimits {
    /// Keys remembered as known (`--max-series`).
    pub known_keys: usize,
    /// New keys admitted per flush window, over all sources.
    pub new_per_window: usize,
    /// New keys admitted per flush window from one source.
    pub new_per_source: usize,
}

/// Why a message for a key not yet in the shard was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NewSeriesQuota,
}

pub struct SeriesAdmission {
    limits: AdmissionLimits,
    hasher: foldhash::fast::FixedState,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    window: u64,
    /// Key hash -> last window the key was flushed in.
    known: HashMap<u64, u64>,
    new_this_window: usize,
    new_by_source: HashMap<Source, usize>,
}

impl SeriesAdmission {
    pub fn new(limits: AdmissionLimits) -> Self {
        Self {
            limits,
            hasher: foldhash::fast::FixedState::with_seed(0x006d_6574_7269_6373),
            state: Mutex::new(State::default()),
        }
    }

    /// Admits every key (tests and tools that build shards directly).
    pub fn unlimited() -> Self {
        Self::new(AdmissionLimits {
            known_keys: 0,
            new_per_window: usize::MAX,
            new_per_source: usize::MAX,
        })
    }

    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Called once per window for a key the shard does not hold yet.
    pub fn admit(&self, key: &str, source: Source) -> Result<(), Refusal> {
        let hash = self.hash(key);
        let mut state = self.state.lock().expect("admission lock poisoned");
        if state.known.contains_key(&hash) {
            return Ok(());
        }
        if state.new_this_window >= self.limits.new_per_window {
            return Err(Refusal::NewSeriesQuota);
        }
        let from_source = state.new_by_source.entry(source).or_insert(0);
        if *from_source >= self.limits.new_per_source {
            return Err(Refusal::NewSeriesQuota);
        }
        *from_source += 1;
        state.new_this_window += 1;
        Ok(())
    }

    /// Ends a flush window: the keys just drained become (or stay) known, quotas start over,
    /// and the known set is trimmed to its size, forgetting the longest unseen keys first.
    pub fn end_window<'a>(&self, flushed: impl Iterator<Item = &'a str>) {
        if self.limits.known_keys == 0 {
            return; // admits everything; nothing to remember
        }
        let hashes: Vec<u64> = flushed.map(|key| self.hash(key)).collect();
        let mut state = self.state.lock().expect("admission lock poisoned");
        state.window += 1;
        let window = state.window;
        for hash in hashes {
            state.known.insert(hash, window);
        }
        state.new_this_window = 0;
        state.new_by_source.clear();
        let excess = state.known.len().saturating_sub(self.limits.known_keys);
        if excess > 0 {
            let mut windows: Vec<u64> = state.known.values().copied().collect();
            let (_, cutoff, _) = windows.select_nth_unstable(excess - 1);
            let cutoff = *cutoff;
            let mut to_drop = excess;
            state.known.retain(|_, seen| {
                if *seen <= cutoff && to_drop > 0 {
                    to_drop -= 1;
                    false
                } else {
                    true
                }
            });
        }
    }

    pub fn known_keys(&self) -> usize {
        self.state
            .lock()
            .expect("admission lock poisoned")
            .known
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(known: usize, per_window: usize, per_source: usize) -> SeriesAdmission {
        SeriesAdmission::new(AdmissionLimits {
            known_keys: known,
            new_per_window: per_window,
            new_per_source: per_source,
        })
    }

    fn udp(port: u16) -> Source {
        Source::Udp(([127, 0, 0, 1], port).into())
    }

    #[test]
    fn a_flood_from_one_source_uses_its_own_quota_and_not_anothers() {
        let admission = admission(1000, 100, 10);
        let flood = (0..1000)
            .filter(|i| admission.admit(&format!("random-{i}"), udp(1)).is_ok())
            .count();
        assert_eq!(flood, 10, "the flooding source gets its quota only");
        assert_eq!(admission.admit("app-1", udp(2)), Ok(()));
    }

    #[test]
    fn the_window_quota_caps_many_sources_together() {
        let admission = admission(1000, 25, 10);
        let admitted = (0..100)
            .filter(|i| admission.admit(&format!("k{i}"), udp(*i as u16)).is_ok())
            .count();
        assert_eq!(admitted, 25);
    }

    #[test]
    fn a_key_flushed_once_is_known_and_always_admitted_in_later_windows() {
        let admission = admission(1000, 100, 1);
        assert_eq!(admission.admit("app-1", udp(2)), Ok(()));
        admission.end_window(["app-1"].into_iter());
        // The source's quota for new keys is used up by a flood key...
        assert_eq!(admission.admit("random", udp(2)), Ok(()));
        assert_eq!(
            admission.admit("random-2", udp(2)),
            Err(Refusal::NewSeriesQuota)
        );
        // ...but its known key still gets in.
        assert_eq!(admission.admit("app-1", udp(2)), Ok(()));
    }

    #[test]
    fn the_known_set_forgets_the_longest_unseen_keys_first() {
        let admission = admission(3, 100, 100);
        admission.end_window(["old-a", "old-b"].into_iter());
        admission.end_window(["app", "new-c"].into_iter());
        admission.end_window(["app"].into_iter());
        assert_eq!(admission.known_keys(), 3);
        let state = admission.state.lock().unwrap();
        assert!(state.known.contains_key(&admission.hash("app")));
        assert!(state.known.contains_key(&admission.hash("new-c")));
    }
}
