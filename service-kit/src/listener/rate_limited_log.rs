//! A log line that repeats at most once per period, with how many it stood for: a fault that
//! happens a thousand times a second must not write a thousand lines a second.

use std::time::{Duration, Instant};

pub struct RateLimitedLog {
    period: Duration,
    last: Option<Instant>,
    suppressed: u64,
}

impl RateLimitedLog {
    pub fn every(period: Duration) -> Self {
        Self {
            period,
            last: None,
            suppressed: 0,
        }
    }

    /// Calls `write(suppressed)` if the period has passed since the last line.
    pub fn log(&mut self, write: impl FnOnce(u64)) {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.period => self.suppressed += 1,
            _ => {
                write(self.suppressed);
                self.last = Some(now);
                self.suppressed = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_per_period_and_counts_the_rest() {
        let mut log = RateLimitedLog::every(Duration::from_secs(3600));
        let mut lines = Vec::new();
        for _ in 0..1000 {
            log.log(|suppressed| lines.push(suppressed));
        }
        assert_eq!(lines, vec![0]);
        log.last = Some(Instant::now() - Duration::from_secs(3601));
        log.log(|suppressed| lines.push(suppressed));
        assert_eq!(lines, vec![0, 999]);
    }
}
