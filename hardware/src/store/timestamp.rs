//! Timestamps in the database: RFC 3339, UTC, always with exactly three fractional digits.
//! The fixed width matters: it makes text order equal time order, so SQL can compare and sort
//! the column as text (and use its index).

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(FORMAT)
        .expect("every UTC date in range formats")
}

pub fn parse(text: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(text, FORMAT)
        .map(|at| at.assume_utc())
        .ok()
        .or_else(|| {
            OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
        })
}

/// Now, truncated to the stored precision so that what is served equals what is stored.
pub fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .expect("a truncated nanosecond is in range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formatted_timestamps_sort_like_the_times_they_stand_for() {
        let a = format(datetime!(2026-11-22 10:00:05 UTC));
        let b = format(datetime!(2026-11-22 10:00:05.120 UTC));
        let c = format(datetime!(2026-11-22 10:00:05.5 UTC));
        assert_eq!(a, "2026-11-22T10:00:05.000Z");
        assert!(a < b && b < c);
    }

    #[test]
    fn parse_reads_back_what_format_wrote() {
        let at = datetime!(2026-11-22 10:00:05.123 UTC);
        assert_eq!(parse(&format(at)), Some(at));
        assert_eq!(parse("not a time"), None);
    }
}
