//! What the refresher is doing right now, for `GET /hardware/status`: which profiles are being
//! computed, how many slots there are and how long a computation takes. Callers (the portal)
//! use it to tell "computing now" from "queued" and to estimate when a queued profile is due.
//!
//! The refresher is the only writer; it publishes a new value after each step. Readers load it
//! through an `ArcSwap`, so the endpoint never waits on the refresher.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::profile::ProfileId;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ComputeStatus {
    /// A value older than this is recomputed.
    pub refresh_interval_seconds: f64,
    /// Computations that can run at once in this process.
    pub compute_slots: usize,
    /// Profiles this process is computing now, sorted. Another process sharing the database
    /// computes its own claims; those are not listed here.
    #[schema(value_type = Vec<i64>)]
    pub computing: Vec<ProfileId>,
    /// Moving average of recent computations (seconds), `None` (`null`) before the
    /// first one ends.
    #[schema(required = true)]
    pub average_compute_seconds: Option<f64>,
}

#[derive(Clone)]
pub struct ComputeStatusHandle(Arc<ArcSwap<ComputeStatus>>);

impl ComputeStatusHandle {
    pub fn new(refresh_interval: Duration, compute_slots: usize) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(ComputeStatus {
            refresh_interval_seconds: refresh_interval.as_secs_f64(),
            compute_slots,
            computing: Vec::new(),
            average_compute_seconds: None,
        })))
    }

    pub fn load(&self) -> Arc<ComputeStatus> {
        self.0.load_full()
    }

    /// Publishes only when something changed, so an idle refresher costs nothing.
    pub fn update(&self, mut computing: Vec<ProfileId>, average_compute_seconds: Option<f64>) {
        computing.sort_unstable();
        let current = self.0.load();
        if current.computing == computing
            && current.average_compute_seconds == average_compute_seconds
        {
            return;
        }
        self.0.store(Arc::new(ComputeStatus {
            computing,
            average_compute_seconds,
            ..ComputeStatus::clone(&current)
        }));
    }
}

/// An exponentially weighted moving average: recent computations count most, one outlier
/// does not swing the estimate.
pub fn moving_average(previous: Option<f64>, sample: f64) -> f64 {
    const WEIGHT: f64 = 0.2;
    match previous {
        None => sample,
        Some(previous) => previous + WEIGHT * (sample - previous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_sorts_and_publishes_only_changes() {
        let handle = ComputeStatusHandle::new(Duration::from_secs(60), 2);
        let before = handle.load();
        handle.update(vec![], None);
        assert!(Arc::ptr_eq(&before, &handle.load()));
        handle.update(vec![9, 3], Some(5.0));
        let now = handle.load();
        assert_eq!(now.computing, [3, 9]);
        assert_eq!(now.compute_slots, 2);
        assert_eq!(now.refresh_interval_seconds, 60.0);
    }

    #[test]
    fn the_moving_average_starts_at_the_first_sample_and_follows_slowly() {
        assert_eq!(moving_average(None, 5.0), 5.0);
        assert!((moving_average(Some(5.0), 10.0) - 6.0).abs() < 1e-9);
    }
}
