//! Kept events (key, value, time received) and the pages `GET /events` serves.
//!
//! Both databases hold the same two things:
//! * the events, indexed on (key, received_at, id), so the events of one key in a time range,
//!   after a cursor, are one index range scan whatever the depth (no OFFSET anywhere);
//! * the distinct keys (`event_keys`), so the keys under a tenant prefix are one index range
//!   too. A prefix page walks those keys in order and reads each key's range until the page is
//!   full: events come key by key, each key in time order, and the cursor names the key.
//!
//! Each page reads `limit + 1` events: the extra one only says whether there is a next page,
//! so the last page has no `Link` and no client ever asks for an empty page.
//!
//! Backends implement the two range reads ([`EventRanges`]); the walk is here, once.

use crate::domain::event::prefix_end;
use crate::domain::{EventCursor, EventPageQuery, EventSelector, Micros, StoredEvent};

use super::StorageError;

/// Keys read per round trip while walking a prefix.
const KEYS_PER_STEP: usize = 64;

/// One page and where the next one starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    pub next: Option<EventCursor>,
}

/// The exclusive lower bound of a key's range: after this (received_at, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub received_at: Micros,
    pub id: i64,
}

/// Where a walk over keys resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyBound<'a> {
    /// Keys >= this.
    From(&'a str),
    /// Keys > this.
    After(&'a str),
}

/// The two index range reads a database offers.
pub trait EventRanges {
    /// Events of `key` with `from <= received_at < to` and (received_at, id) > `after`, in
    /// (received_at, id) order, at most `limit`.
    fn key_range(
        &self,
        key: &str,
        from: Micros,
        to: Micros,
        after: After,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, StorageError>> + Send;

    /// Distinct keys from `start` up to (not including) `end`, in byte order, at most `limit`.
    fn keys_between(
        &self,
        start: KeyBound<'_>,
        end: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, StorageError>> + Send;
}

/// Reads one page (see the module comment).
pub async fn read_page(
    ranges: &(impl EventRanges + Sync),
    query: &EventPageQuery,
) -> Result<EventPage, StorageError> {
    let wanted = query.limit + 1;
    let start = After {
        received_at: query.from,
        id: i64::MIN,
    };
    let resume = query.after.as_ref().map(|cursor| {
        (
            cursor.key.as_str(),
            After {
                received_at: cursor.received_at,
                id: cursor.id,
            },
        )
    });
    let mut events = Vec::with_capacity(wanted);
    match &query.selector {
        EventSelector::Key(key) => {
            let after = resume.map_or(start, |(_, after)| after);
            events = ranges
                .key_range(key, query.from, query.to, after, wanted)
                .await?;
        }
        EventSelector::Prefix(prefix) => {
            let end = prefix_end(prefix);
            // The last key read; `None`: start at the prefix itself.
            let mut walked: Option<String> = None;
            if let Some((key, after)) = resume {
                events = ranges
                    .key_range(key, query.from, query.to, after, wanted)
                    .await?;
                walked = Some(key.to_owned());
            }
            'walk: while events.len() < wanted {
                let bound = walked
                    .as_deref()
                    .map_or(KeyBound::From(prefix), KeyBound::After);
                let keys = ranges.keys_between(bound, &end, KEYS_PER_STEP).await?;
                for key in &keys {
                    let more = ranges
                        .key_range(key, query.from, query.to, start, wanted - events.len())
                        .await?;
                    events.extend(more);
                    if events.len() >= wanted {
                        break 'walk;
                    }
                }
                if keys.len() < KEYS_PER_STEP {
                    break;
                }
                walked = keys.last().cloned();
            }
        }
    }
    let next = if events.len() > query.limit {
        events.truncate(query.limit);
        events.last().map(StoredEvent::cursor)
    } else {
        None
    };
    Ok(EventPage { events, next })
}
