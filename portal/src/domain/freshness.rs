//! How fresh each value is, told honestly: computed and current, computed but overdue for
//! its refresh, being computed now, or waiting in `hardware`'s queue (with its place and an
//! estimate of when it is due).
//!
//! `hardware` says what it is doing in `GET /hardware/status` ([`ComputeStatus`]); without it
//! (an older `hardware`, or the status call failed) the page falls back to "not computed yet".

use std::collections::HashSet;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::catalog::Catalog;
use super::profile::Profile;

/// The body of `GET /hardware/status` (docs/api.md).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ComputeStatus {
    pub refresh_interval_seconds: f64,
    pub compute_slots: usize,
    /// Sorted ids being computed now.
    pub computing: Vec<i64>,
    pub average_compute_seconds: Option<f64>,
}

impl ComputeStatus {
    /// Whether `self` and `other` show the same on a page of `catalog`: routine recomputations
    /// of values already shown change nothing visible, and neither does the average once no
    /// profile waits for its first value. The sync publishes a new snapshot (and so renders
    /// pages again) only when this is false.
    pub fn looks_the_same(a: Option<&Self>, b: Option<&Self>, catalog: &Catalog) -> bool {
        let (a, b) = match (a, b) {
            (None, None) => return true,
            (Some(a), Some(b)) => (a, b),
            _ => return false,
        };
        let never_computed = |id: &i64| {
            catalog
                .profiles
                .binary_search_by_key(id, |p| p.id)
                .is_ok_and(|i| catalog.profiles[i].availability.is_none())
        };
        let visible = |s: &Self| {
            s.computing
                .iter()
                .copied()
                .filter(never_computed)
                .collect::<Vec<_>>()
        };
        // Tenths of a second: the estimates shown are whole seconds at best.
        let average = |s: &Self| {
            (catalog.counts.pending > 0).then(|| {
                s.average_compute_seconds
                    .map(|avg| (avg * 10.0).round() as i64)
            })
        };
        a.refresh_interval_seconds == b.refresh_interval_seconds
            && a.compute_slots == b.compute_slots
            && visible(a) == visible(b)
            && average(a) == average(b)
    }
}

/// Used for estimates until `hardware` has timed a computation (its modelled duration).
pub const DEFAULT_COMPUTE_SECONDS: f64 = 5.0;
/// A value is overdue once it is older than the refresh interval plus this share of it
/// (at least [`MIN_GRACE`]): the refresher needs some time to get round to it.
pub const GRACE_SHARE: f64 = 0.5;
pub const MIN_GRACE: Duration = Duration::seconds(30);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Freshness {
    /// Computed, and younger than the refresh interval plus the grace.
    Fresh { overdue_at: Option<OffsetDateTime> },
    /// Computed, but older than it should be: the value may have changed since.
    Overdue { overdue_at: OffsetDateTime },
    /// `hardware` is computing it right now.
    ComputingNow,
    /// Never computed, waiting: `position` 1 is next; `eta` from the slots and the average.
    Queued { position: usize, eta: Duration },
    /// Never computed, and `hardware` did not say what it is doing.
    Unknown,
}

/// The queue of never-computed profiles as `hardware` works through it: lowest id first, `W`
/// at a time (docs/hardware.md). Built once per page render.
#[derive(Debug)]
pub struct Queue<'a> {
    status: Option<&'a ComputeStatus>,
    computing: HashSet<i64>,
    /// Never computed and not being computed, in claim order (by id).
    waiting: Vec<i64>,
    /// Never computed and being computed now.
    computing_first_values: usize,
}

impl<'a> Queue<'a> {
    pub fn new(catalog: &Catalog, status: Option<&'a ComputeStatus>) -> Self {
        let computing: HashSet<i64> = status
            .map(|s| s.computing.iter().copied().collect())
            .unwrap_or_default();
        let mut waiting = Vec::with_capacity(catalog.counts.pending);
        let mut computing_first_values = 0;
        for p in catalog.profiles.iter().filter(|p| p.availability.is_none()) {
            if computing.contains(&p.id) {
                computing_first_values += 1;
            } else {
                waiting.push(p.id);
            }
        }
        Self {
            status,
            computing,
            waiting,
            computing_first_values,
        }
    }

    /// Never-computed profiles being computed now.
    pub fn computing_now(&self) -> usize {
        self.computing_first_values
    }

    /// Never-computed profiles waiting for a slot.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// When the last profile now waiting is due, from the slots and the average.
    pub fn all_due_in(&self) -> Option<Duration> {
        let status = self.status?;
        (!self.waiting.is_empty()).then(|| eta(status, self.waiting.len()))
    }

    /// The refresh interval plus the grace, when `hardware` said its interval.
    pub fn overdue_after(&self) -> Option<Duration> {
        let interval = Duration::seconds_f64(self.status?.refresh_interval_seconds.max(0.0));
        let grace = (interval * GRACE_SHARE).max(MIN_GRACE);
        Some(interval + grace)
    }

    pub fn freshness(&self, profile: &Profile, as_of: OffsetDateTime) -> Freshness {
        if self.computing.contains(&profile.id) && profile.availability.is_none() {
            return Freshness::ComputingNow;
        }
        if let (Some(_), Some(at)) = (profile.availability, profile.computed_at) {
            let overdue_at = self.overdue_after().map(|after| at + after);
            return match overdue_at {
                Some(overdue_at) if as_of >= overdue_at => Freshness::Overdue { overdue_at },
                _ => Freshness::Fresh { overdue_at },
            };
        }
        let Some(status) = self.status else {
            return Freshness::Unknown;
        };
        match self.waiting.binary_search(&profile.id) {
            Ok(index) => Freshness::Queued {
                position: index + 1,
                eta: eta(status, index + 1),
            },
            Err(_) => Freshness::Unknown,
        }
    }
}

/// When the profile at `position` in the queue (1 is next) is due: the rounds of
/// `compute_slots` computations ahead of it, its own included, times the average.
fn eta(status: &ComputeStatus, position: usize) -> Duration {
    let slots = status.compute_slots.max(1);
    let each = status
        .average_compute_seconds
        .unwrap_or(DEFAULT_COMPUTE_SECONDS);
    Duration::seconds_f64(position.div_ceil(slots) as f64 * each)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::domain::Availability;

    fn profile(id: i64, computed: Option<OffsetDateTime>) -> Arc<Profile> {
        Arc::new(Profile {
            id,
            provider: "Amazon".into(),
            name: format!("p{id}"),
            availability: computed.map(|_| Availability::High),
            computed_at: computed,
            vcpus: None,
            memory_gib: None,
            gpus: None,
            recent: Vec::new(),
        })
    }

    #[test]
    fn tells_computing_from_queued_and_estimates_from_the_slots() {
        let now = time::macros::datetime!(2026-12-01 10:00 UTC);
        let profiles: Vec<_> = (1..=6)
            .map(|id| profile(id, (id == 6).then_some(now)))
            .collect();
        let catalog = Catalog::new("v".into(), profiles.clone());
        let status = ComputeStatus {
            refresh_interval_seconds: 60.0,
            compute_slots: 2,
            computing: vec![1, 2],
            average_compute_seconds: Some(5.0),
        };
        let queue = Queue::new(&catalog, Some(&status));
        assert_eq!(queue.computing_now(), 2);
        assert_eq!(queue.freshness(&profiles[0], now), Freshness::ComputingNow);
        let eta = |position, seconds| Freshness::Queued {
            position,
            eta: Duration::seconds(seconds),
        };
        // 3 and 4 go in the next round of two, 5 in the one after.
        assert_eq!(queue.freshness(&profiles[2], now), eta(1, 5));
        assert_eq!(queue.freshness(&profiles[3], now), eta(2, 5));
        assert_eq!(queue.freshness(&profiles[4], now), eta(3, 10));
        let unknown = Queue::new(&catalog, None);
        assert_eq!(unknown.freshness(&profiles[2], now), Freshness::Unknown);
    }

    #[test]
    fn a_value_is_overdue_after_the_interval_plus_the_grace() {
        let at = time::macros::datetime!(2026-12-01 10:00 UTC);
        let p = profile(1, Some(at));
        let catalog = Catalog::new("v".into(), vec![p.clone()]);
        let status = ComputeStatus {
            refresh_interval_seconds: 120.0,
            compute_slots: 2,
            computing: vec![],
            average_compute_seconds: None,
        };
        let queue = Queue::new(&catalog, Some(&status));
        let overdue_at = at + Duration::seconds(180);
        assert_eq!(
            queue.freshness(&p, at + Duration::seconds(179)),
            Freshness::Fresh {
                overdue_at: Some(overdue_at)
            }
        );
        assert_eq!(
            queue.freshness(&p, overdue_at),
            Freshness::Overdue { overdue_at }
        );
        // A short interval still gets the minimum grace.
        let quick = ComputeStatus {
            refresh_interval_seconds: 2.0,
            ..status
        };
        assert_eq!(
            Queue::new(&catalog, Some(&quick)).overdue_after(),
            Some(Duration::seconds(32))
        );
    }
}
