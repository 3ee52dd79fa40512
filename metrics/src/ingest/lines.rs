//! Feeds `key:value` lines into a shard and counts what was accepted and dropped (and why).

use crate::admission::Source;
use crate::aggregate::{SeriesRefused, Shard};
use crate::domain::{MessageError, Micros, UtcHour, parse_line};
use crate::telemetry::ServiceMetrics;

/// Why a message was dropped; the `reason` label of `metrics_messages_dropped_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    Malformed,
    BadKey,
    BadValue,
    /// StatsD counter, gauge or set: not a response time.
    StatsdCounter,
    StatsdGauge,
    StatsdSet,
    /// A new key arrived while the shard already held `--max-series` series.
    SeriesLimit,
    /// A never-seen key beyond its source's or the window's quota of new keys.
    NewSeriesQuota,
}

impl DropReason {
    pub const ALL: [DropReason; 8] = [
        Self::Malformed,
        Self::BadKey,
        Self::BadValue,
        Self::StatsdCounter,
        Self::StatsdGauge,
        Self::StatsdSet,
        Self::SeriesLimit,
        Self::NewSeriesQuota,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Malformed => MessageError::Malformed.label(),
            Self::BadKey => MessageError::BadKey.label(),
            Self::BadValue => MessageError::BadValue.label(),
            Self::StatsdCounter => MessageError::StatsdCounter.label(),
            Self::StatsdGauge => MessageError::StatsdGauge.label(),
            Self::StatsdSet => MessageError::StatsdSet.label(),
            Self::SeriesLimit => "series_limit",
            Self::NewSeriesQuota => "new_series_quota",
        }
    }
}

impl From<MessageError> for DropReason {
    fn from(error: MessageError) -> Self {
        match error {
            MessageError::Malformed => Self::Malformed,
            MessageError::BadKey => Self::BadKey,
            MessageError::BadValue => Self::BadValue,
            MessageError::StatsdCounter => Self::StatsdCounter,
            MessageError::StatsdGauge => Self::StatsdGauge,
            MessageError::StatsdSet => Self::StatsdSet,
        }
    }
}

impl From<SeriesRefused> for DropReason {
    fn from(refused: SeriesRefused) -> Self {
        match refused {
            SeriesRefused::SeriesLimit => Self::SeriesLimit,
            SeriesRefused::NewSeriesQuota => Self::NewSeriesQuota,
        }
    }
}

/// Counts for one datagram or request, published to Prometheus in one go (a shared atomic
/// per message would bounce a cache line between the receive threads).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub accepted: u64,
    pub dropped: [u64; DropReason::ALL.len()],
}

impl Tally {
    pub fn drop_one(&mut self, reason: DropReason) {
        self.dropped[reason as usize] += 1;
    }

    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }

    pub fn total_dropped(&self) -> u64 {
        self.dropped.iter().sum()
    }

    pub fn publish(&self, metrics: &ServiceMetrics, transport: &str) {
        if self.accepted > 0 {
            metrics
                .ingested
                .with_label_values(&[transport])
                .inc_by(self.accepted);
        }
        for reason in DropReason::ALL {
            let count = self.dropped(reason);
            if count > 0 {
                metrics
                    .dropped
                    .with_label_values(&[reason.label()])
                    .inc_by(count);
            }
        }
    }
}

/// Adds every valid line of `payload` (newline-separated) to `shard` under `hour`. Empty lines
/// are ignored; bad lines are counted and skipped, never fatal.
pub fn ingest_lines(
    shard: &mut Shard,
    hour: UtcHour,
    received_at: Micros,
    payload: &[u8],
    source: Source,
    tally: &mut Tally,
) {
    for line in payload.split(|&byte| byte == b'\n') {
        if line.is_empty() || line == b"\r" {
            continue;
        }
        match parse_line(line) {
            Ok((key, value)) => match shard.add_from(hour, received_at, key, value, source) {
                Ok(()) => tally.accepted += 1,
                Err(refused) => tally.drop_one(refused.into()),
            },
            Err(error) => tally.drop_one(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Pending;

    #[test]
    fn good_lines_are_aggregated_and_bad_ones_counted_by_reason() {
        let mut shard = Shard::new(10);
        let mut tally = Tally::default();
        let payload = b"a:1\nbroken\na:3\r\n\nb/c:2\nb:-4\nb:5\nc:1|c\ng:2|g\ns:x|s\nt:4|ms|@0.5\n";
        ingest_lines(
            &mut shard,
            UtcHour(1),
            0,
            payload,
            Source::Local,
            &mut tally,
        );
        assert_eq!(tally.accepted, 4);
        assert_eq!(tally.dropped(DropReason::StatsdCounter), 1);
        assert_eq!(tally.dropped(DropReason::StatsdGauge), 1);
        assert_eq!(tally.dropped(DropReason::StatsdSet), 1);
        assert_eq!(tally.dropped(DropReason::Malformed), 1);
        assert_eq!(tally.dropped(DropReason::BadKey), 1);
        assert_eq!(tally.dropped(DropReason::BadValue), 1);
        let mut pending = Pending::default();
        shard.take_into(&mut pending);
        assert_eq!(pending.series[&(Box::from("a"), UtcHour(1))].count, 2);
        assert_eq!(pending.series[&(Box::from("b"), UtcHour(1))].count, 1);
    }
}
