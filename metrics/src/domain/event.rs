//! One kept event and what a page of events is asked for: the selector (one key or a tenant
//! prefix), the time range, the page size and the opaque cursor of the previous page.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Microseconds since the Unix epoch, UTC: the unit of `received_at` everywhere.
pub type Micros = i64;

pub const MICROS_PER_DAY: Micros = 86_400_000_000;

/// Events per page unless `limit` says otherwise.
pub const DEFAULT_PAGE_LIMIT: usize = 50;
/// The largest `limit` accepted (stated in every page and in docs/metrics.md).
pub const MAX_PAGE_LIMIT: usize = 1_000;

pub fn now_micros() -> Micros {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            Micros::try_from(since.as_micros()).unwrap_or(Micros::MAX)
        })
}

/// One message as received, waiting in the buffer for the next flush.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub key: Box<str>,
    pub value: f64,
    pub received_at: Micros,
}

/// One stored event; `id` orders events received in the same microsecond.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub key: String,
    pub value: f64,
    pub received_at: Micros,
    pub id: i64,
}

impl StoredEvent {
    pub fn cursor(&self) -> EventCursor {
        EventCursor {
            key: self.key.clone(),
            received_at: self.received_at,
            id: self.id,
        }
    }
}

/// Which events a page reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelector {
    /// One key, in time order.
    Key(String),
    /// Every key starting with this prefix, key by key, each in time order.
    Prefix(String),
}

/// A page request, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPageQuery {
    pub selector: EventSelector,
    /// Inclusive.
    pub from: Micros,
    /// Exclusive.
    pub to: Micros,
    /// The last event of the previous page.
    pub after: Option<EventCursor>,
    pub limit: usize,
}

/// Where the previous page ended. Opaque to clients: base64url of `received_at:id:key` (a key
/// never holds `:`), so the format can change without breaking anyone who follows `Link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor {
    pub key: String,
    pub received_at: Micros,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a cursor from a previous page's Link")]
pub struct BadCursor;

impl EventCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}:{}", self.received_at, self.id, self.key))
    }

    pub fn decode(text: &str) -> Result<Self, BadCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BadCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| BadCursor)?;
        let mut parts = text.splitn(3, ':');
        let received_at = parts.next().and_then(|part| part.parse().ok());
        let id = parts.next().and_then(|part| part.parse().ok());
        let key = parts.next();
        match (received_at, id, key) {
            (Some(received_at), Some(id), Some(key))
                if metrics_client::validate_key(key).is_ok() =>
            {
                Ok(Self {
                    key: key.to_owned(),
                    received_at,
                    id,
                })
            }
            _ => Err(BadCursor),
        }
    }
}

/// RFC 3339 to microseconds.
pub fn parse_time(text: &str) -> Option<Micros> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    Micros::try_from(at.unix_timestamp_nanos() / 1_000).ok()
}

/// Microseconds to RFC 3339 (UTC, microsecond precision).
pub fn format_time(at: Micros) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The first key after every key that starts with `prefix` (prefixes are ASCII): keys under
/// the prefix are exactly `prefix <= key < prefix_end(prefix)`, an index range.
pub fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    String::from_utf8(end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        let cursor = EventCursor {
            key: "p1.c2.e3.req".into(),
            received_at: 1_764_000_000_123_456,
            id: 42,
        };
        assert_eq!(EventCursor::decode(&cursor.encode()), Ok(cursor));
        for bad in ["", "!!", "bm9wZQ", &URL_SAFE_NO_PAD.encode("1:2:bad/key")] {
            assert_eq!(EventCursor::decode(bad), Err(BadCursor), "{bad}");
        }
    }

    proptest::proptest! {
        /// Encoding then decoding is the identity for every cursor a page can end on.
        #[test]
        fn every_cursor_round_trips(
            key in "[A-Za-z0-9_.-]{1,128}",
            received_at in proptest::prelude::any::<i64>(),
            id in proptest::prelude::any::<i64>(),
        ) {
            let cursor = EventCursor { key, received_at, id };
            proptest::prop_assert_eq!(EventCursor::decode(&cursor.encode()), Ok(cursor));
        }

        /// Any text is a cursor with a valid key or `BadCursor`, never a panic; and a cursor
        /// decoded from anything encodes back to text that decodes to it.
        #[test]
        fn any_text_decodes_to_a_valid_cursor_or_is_refused(
            text in "[A-Za-z0-9_-]{0,40}|\\PC{0,40}"
        ) {
            if let Ok(cursor) = EventCursor::decode(&text) {
                proptest::prop_assert!(metrics_client::validate_key(&cursor.key).is_ok());
                proptest::prop_assert_eq!(EventCursor::decode(&cursor.encode()), Ok(cursor));
            }
        }

        /// `received_at` is written as RFC 3339 with microseconds and read back exactly, for
        /// every instant from year 1 to 9999 (what `from` and `to` accept).
        #[test]
        fn times_round_trip_from_year_1_to_9999(at in -62_135_596_800_000_000i64..=253_402_300_799_999_999) {
            proptest::prop_assert_eq!(parse_time(&format_time(at)), Some(at));
        }

        /// The same for the base64 of texts shaped like cursors, which get past the base64.
        #[test]
        fn cursor_like_payloads_decode_or_are_refused(payload in "[0-9+-]{0,4}:[0-9-]{0,4}:[a-z/:.]{0,6}") {
            if let Ok(cursor) = EventCursor::decode(&URL_SAFE_NO_PAD.encode(&payload)) {
                proptest::prop_assert!(metrics_client::validate_key(&cursor.key).is_ok());
            }
        }
    }

    #[test]
    fn times_round_trip_at_microsecond_precision() {
        let at = parse_time("2026-12-03T10:00:00.123456Z").unwrap();
        assert_eq!(format_time(at), "2026-12-03T10:00:00.123456Z");
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn the_prefix_range_holds_exactly_the_keys_under_it() {
        let end = prefix_end("p1.c1.");
        assert_eq!(end, "p1.c1/");
        for key in ["p1.c1.e1", "p1.c1.e99.req", "p1.c1."] {
            assert!(key >= "p1.c1." && key < end.as_str(), "{key}");
        }
        for key in ["p1.c10.e1", "p1.c2.e1", "p1.c1"] {
            assert!(!(key >= "p1.c1." && key < end.as_str()), "{key}");
        }
    }
}
