//! What to do when `accept` fails. A reset or aborted connection is the client's problem: take
//! the next one at once. Anything else (no descriptors, no memory, no buffers) will fail again
//! immediately, so wait -- 5 ms, doubling to 1 s, jittered ([`crate::Backoff`]) -- and log it
//! at most every 10 s with a count.

use std::io;
use std::time::Duration;

use crate::backoff::Backoff;
use crate::listener::rate_limited_log::RateLimitedLog;

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);
const PAUSES: Backoff = Backoff::new(FIRST_PAUSE, LONGEST_PAUSE);

pub struct AcceptBackoff {
    failures: u32,
    log: RateLimitedLog,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self {
            failures: 0,
            log: RateLimitedLog::every(Duration::from_secs(10)),
        }
    }
}

impl AcceptBackoff {
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// How long to wait before the next `accept`, or `None` to go on at once.
    pub fn failed(&mut self, err: &io::Error) -> Option<Duration> {
        if is_per_connection(err) {
            return None;
        }
        self.failures = self.failures.saturating_add(1);
        let pause = PAUSES.delay(self.failures);
        self.log.log(|suppressed| {
            tracing::warn!(
                %err,
                pause_ms = pause.as_millis() as u64,
                failures_since_last_log = suppressed + 1,
                "accept failed; backing off"
            );
        });
        Some(pause)
    }
}

/// Errors about one connection that went away before it was accepted.
fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_errors_back_off_exponentially_up_to_a_second() {
        let mut backoff = AcceptBackoff::default();
        let emfile = io::Error::from_raw_os_error(24); // EMFILE: Too many open files
        let pauses: Vec<_> = (0..10).map(|_| backoff.failed(&emfile).unwrap()).collect();
        // Jittered into the upper half of 5 ms, 10 ms, 20 ms ... 1 s.
        let within = |pause: Duration, nominal: Duration| pause >= nominal / 2 && pause <= nominal;
        assert!(within(pauses[0], Duration::from_millis(5)), "{pauses:?}");
        assert!(within(pauses[1], Duration::from_millis(10)), "{pauses:?}");
        // Doubling ranges meet only at their ends: the pauses grow until the cap.
        assert!(pauses[..8].windows(2).all(|w| w[1] >= w[0]), "{pauses:?}");
        assert!(within(*pauses.last().unwrap(), LONGEST_PAUSE), "{pauses:?}");
        assert!(pauses.iter().all(|pause| *pause <= LONGEST_PAUSE));
        backoff.succeeded();
        assert!(within(backoff.failed(&emfile).unwrap(), FIRST_PAUSE));
    }

    #[test]
    fn a_connection_reset_before_accept_does_not_pause() {
        let mut backoff = AcceptBackoff::default();
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert_eq!(backoff.failed(&reset), None);
    }
}
