//! The tumbling window: one UTC hour, stored as hours since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{Date, OffsetDateTime, Time};

const SECONDS_PER_HOUR: i64 = 3600;

/// Hours since 1970-01-01T00:00Z. UTC on purpose: no daylight-saving hours that repeat or
/// vanish, and collectors in different zones agree on the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcHour(pub i64);

impl UtcHour {
    pub fn of_unix_seconds(seconds: i64) -> Self {
        Self(seconds.div_euclid(SECONDS_PER_HOUR))
    }

    pub fn of_system_time(time: SystemTime) -> Self {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX) - 1,
        };
        Self::of_unix_seconds(seconds)
    }

    pub fn now() -> Self {
        Self::of_system_time(SystemTime::now())
    }

    pub fn of_datetime(datetime: OffsetDateTime) -> Self {
        Self::of_unix_seconds(datetime.unix_timestamp())
    }

    /// `hour` must be 0..=23 (checked by the callers that parse it).
    pub fn of_date_and_hour(date: Date, hour: u8) -> Self {
        let midnight = date.with_time(Time::MIDNIGHT).assume_utc();
        Self::of_unix_seconds(midnight.unix_timestamp() + i64::from(hour) * SECONDS_PER_HOUR)
    }

    /// The UTC date and hour of day, as the query API spells them.
    pub fn date_and_hour(self) -> (Date, u8) {
        let start = OffsetDateTime::from_unix_timestamp(self.0 * SECONDS_PER_HOUR)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        (start.date(), start.hour())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn the_last_instant_of_an_hour_and_the_first_of_the_next_are_different_windows() {
        let before = UtcHour::of_datetime(datetime!(2026-11-22 10:59:59.999 UTC));
        let after = UtcHour::of_datetime(datetime!(2026-11-22 11:00:00 UTC));
        assert_eq!(after.0, before.0 + 1);
        assert_eq!(before, UtcHour::of_date_and_hour(date!(2026 - 11 - 22), 10));
        assert_eq!(after.date_and_hour(), (date!(2026 - 11 - 22), 11));
    }

    #[test]
    fn hours_cross_midnight_into_the_next_date() {
        let last = UtcHour::of_date_and_hour(date!(2026 - 12 - 31), 23);
        assert_eq!(
            UtcHour(last.0 + 1).date_and_hour(),
            (date!(2027 - 01 - 01), 0)
        );
    }

    #[test]
    fn a_time_zone_offset_does_not_change_the_utc_hour() {
        let utc = UtcHour::of_datetime(datetime!(2026-11-22 10:30 UTC));
        let cet = UtcHour::of_datetime(datetime!(2026-11-22 11:30 +01:00));
        assert_eq!(utc, cet);
    }
}
