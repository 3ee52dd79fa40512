//! Exponential backoff with jitter, for every loop that waits longer after each failure (the
//! portal's sync, the hardware refresher, the accept loop).
//!
//! Jitter spreads out the retries of many processes that failed at the same moment (every
//! portal task when `hardware` restarts), so they do not all come back in step. The delay is
//! drawn uniformly from the upper half of the nominal delay ("equal jitter"): the wait still
//! grows, never passes the cap, and never falls below the floor.
//!
//! Hand-written rather than `backon`: backon's jitter adds up to 100% *on top of* the delay, so
//! a configured maximum (`--sync-max-backoff`) would be exceeded by up to twice, and its
//! iterator counts attempts itself; these loops run forever and already count their failures.

use std::time::Duration;

/// `first` after the first failure, doubling per further failure up to `max`, each delay
/// drawn from `[nominal / 2, nominal]` and never shorter than the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    floor: Duration,
}

impl Backoff {
    pub const fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            floor: Duration::ZERO,
        }
    }

    /// No delay shorter than `floor` (the portal never polls faster than its healthy interval).
    pub const fn with_floor(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The delay after `failures` consecutive failures, before jitter: `first * 2^(failures-1)`,
    /// at most `max`. Zero failures is no delay.
    pub fn nominal(&self, failures: u32) -> Duration {
        if failures == 0 {
            return Duration::ZERO;
        }
        let factor = 2u32.saturating_pow((failures - 1).min(31));
        self.first.saturating_mul(factor).min(self.max)
    }

    /// The jittered delay after `failures` consecutive failures.
    pub fn delay(&self, failures: u32) -> Duration {
        self.jittered(failures, rand::random::<f64>())
    }

    /// [`Backoff::delay`] with the random draw given: `unit` in `[0, 1]`, 0 the shortest.
    pub fn jittered(&self, failures: u32, unit: f64) -> Duration {
        let nominal = self.nominal(failures);
        let half = nominal / 2;
        let jittered = half + (nominal - half).mul_f64(unit.clamp(0.0, 1.0));
        jittered.max(self.floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_nominal_delay_doubles_per_failure_up_to_the_cap() {
        let backoff = Backoff::new(5 * MS, 100 * MS);
        let nominal: Vec<_> = (0..8).map(|n| backoff.nominal(n).as_millis()).collect();
        assert_eq!(nominal, [0, 5, 10, 20, 40, 80, 100, 100]);
        assert_eq!(backoff.nominal(u32::MAX), 100 * MS);
    }

    #[test]
    fn jitter_stays_in_the_upper_half_and_never_passes_the_cap() {
        let backoff = Backoff::new(5 * MS, 100 * MS);
        assert_eq!(backoff.jittered(2, 0.0), 5 * MS);
        assert_eq!(backoff.jittered(2, 1.0), 10 * MS);
        for failures in 1..40 {
            let nominal = backoff.nominal(failures);
            for _ in 0..50 {
                let delay = backoff.delay(failures);
                assert!(
                    delay >= nominal / 2 && delay <= nominal,
                    "{failures}: {delay:?}"
                );
            }
        }
    }

    #[test]
    fn the_delays_of_many_processes_are_spread_out() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let delays: std::collections::BTreeSet<_> = (0..100).map(|_| backoff.delay(10)).collect();
        assert!(delays.len() > 50, "only {} distinct delays", delays.len());
    }

    #[test]
    fn the_floor_is_never_undercut() {
        let backoff = Backoff::new(4 * MS, 3 * MS).with_floor(5 * MS);
        for failures in 0..10 {
            assert_eq!(backoff.jittered(failures, 0.0), 5 * MS);
            assert_eq!(backoff.jittered(failures, 1.0), 5 * MS);
        }
    }
}
