//! Logs dropped UDP messages, at most once per interval over all receive threads. Without it a
//! StatsD client's lines vanished silently (the counter was the only trace); with a log line
//! per datagram, a flood of bad lines would become a flood of logs.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{DropReason, Tally};

pub struct DropLog {
    started: Instant,
    every: Duration,
    /// Milliseconds since `started` before which nothing is logged.
    quiet_until_ms: AtomicU64,
}

impl DropLog {
    pub fn new(every: Duration) -> Self {
        Self {
            started: Instant::now(),
            every,
            quiet_until_ms: AtomicU64::new(0),
        }
    }

    /// Logs this datagram's drops unless another was logged less than `every` ago. Returns
    /// whether it logged (for tests).
    pub fn record(&self, tally: &Tally, sender: SocketAddr) -> bool {
        if tally.total_dropped() == 0 {
            return false;
        }
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let quiet_until = self.quiet_until_ms.load(Ordering::Relaxed);
        if now_ms < quiet_until {
            return false;
        }
        let next = now_ms.saturating_add(u64::try_from(self.every.as_millis()).unwrap_or(0));
        // One thread wins the slot; the others stay quiet.
        if self
            .quiet_until_ms
            .compare_exchange(quiet_until, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        let reasons: Vec<String> = DropReason::ALL
            .iter()
            .filter(|reason| tally.dropped(**reason) > 0)
            .map(|reason| format!("{}={}", reason.label(), tally.dropped(*reason)))
            .collect();
        tracing::warn!(
            %sender,
            accepted = tally.accepted,
            dropped = %reasons.join(" "),
            "dropped UDP messages (logged at most every {}s; metrics_messages_dropped_total counts all)",
            self.every.as_secs()
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_datagram_with_drops_in_an_interval_is_logged() {
        let log = DropLog::new(Duration::from_secs(3600));
        let sender: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let clean = Tally {
            accepted: 3,
            ..Tally::default()
        };
        assert!(
            !log.record(&clean, sender),
            "nothing dropped, nothing logged"
        );
        let mut bad = Tally::default();
        bad.drop_one(DropReason::StatsdCounter);
        assert!(log.record(&bad, sender));
        assert!(!log.record(&bad, sender), "rate-limited");

        let unlimited = DropLog::new(Duration::ZERO);
        assert!(unlimited.record(&bad, sender));
        assert!(unlimited.record(&bad, sender));
    }
}
