//! Which collector gets the next datagram. Pure logic (time is passed in) so it is tested
//! without sockets.

use std::time::{Duration, Instant};

/// Collectors are preferred in list order. One that failed is skipped until `retry_after`
/// has passed, then tried again, so traffic returns to the first collector once it is back.
pub(crate) struct Failover {
    /// `Some(t)`: failed, not to be used before `t` unless every collector is failing.
    retry_at: Vec<Option<Instant>>,
    retry_after: Duration,
}

impl Failover {
    pub(crate) fn new(collectors: usize, retry_after: Duration) -> Self {
        Self {
            retry_at: vec![None; collectors],
            retry_after,
        }
    }

    /// The first collector not in back-off; if all are, the one whose back-off ends first.
    pub(crate) fn pick(&self, now: Instant) -> usize {
        self.retry_at
            .iter()
            .position(|retry_at| retry_at.is_none_or(|at| at <= now))
            .unwrap_or_else(|| {
                (0..self.retry_at.len())
                    .min_by_key(|&index| self.retry_at[index])
                    .unwrap_or(0)
            })
    }

    pub(crate) fn failed(&mut self, index: usize, now: Instant) {
        self.retry_at[index] = Some(now + self.retry_after);
    }

    pub(crate) fn succeeded(&mut self, index: usize) {
        self.retry_at[index] = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRY: Duration = Duration::from_secs(5);

    #[test]
    fn the_first_collector_is_used_while_healthy() {
        let failover = Failover::new(3, RETRY);
        assert_eq!(failover.pick(Instant::now()), 0);
    }

    #[test]
    fn a_failed_collector_is_skipped_then_retried_after_the_back_off() {
        let start = Instant::now();
        let mut failover = Failover::new(2, RETRY);
        failover.failed(0, start);
        assert_eq!(failover.pick(start), 1);
        assert_eq!(failover.pick(start + RETRY - Duration::from_millis(1)), 1);
        assert_eq!(failover.pick(start + RETRY), 0);
        failover.succeeded(0);
        assert_eq!(failover.pick(start), 0);
    }

    #[test]
    fn when_all_fail_the_one_whose_back_off_ends_first_is_tried() {
        let start = Instant::now();
        let mut failover = Failover::new(3, RETRY);
        failover.failed(1, start);
        failover.failed(0, start + Duration::from_secs(1));
        failover.failed(2, start + Duration::from_secs(2));
        assert_eq!(failover.pick(start + Duration::from_secs(3)), 1);
    }
}
