//! Profile histories for the profile pages, fetched from `hardware` when a page asks and kept
//! for a short while.
//!
//! The dashboard never does this: its trends come from the `recent` of every synced row. A
//! profile's page is the one place the portal asks `hardware` during a request, for one
//! profile, bounded by [`HISTORY_TIMEOUT`](super::client::HISTORY_TIMEOUT) and skipped
//! entirely while the sync finds `hardware` unreachable; either way the page is served, with
//! the synced trend when the history cannot be had.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::client::{FetchError, HardwareClient};
use crate::domain::{HistoryEntry, Profile};

/// How long a fetched history is reused. The key includes the profile's `computed_at`, so a
/// new result (seen by the sync) makes the next view fetch again anyway.
const KEEP_FOR: Duration = Duration::from_secs(30);
/// Profiles whose history is kept at once (about 3 KB each).
const CAPACITY: u64 = 10_000;

type Key = (i64, Option<OffsetDateTime>);

#[derive(Clone)]
pub struct HistorySource {
    client: HardwareClient,
    cache: moka::sync::Cache<Key, Arc<Vec<HistoryEntry>>>,
}

impl HistorySource {
    pub fn new(client: HardwareClient) -> Self {
        Self {
            client,
            cache: moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(KEEP_FOR)
                .build(),
        }
    }

    /// The profile's latest results, newest first, from the cache or from `hardware`.
    pub async fn history(&self, profile: &Profile) -> Result<Arc<Vec<HistoryEntry>>, FetchError> {
        let key = (profile.id, profile.computed_at);
        if let Some(history) = self.cache.get(&key) {
            return Ok(history);
        }
        let history = Arc::new(
            self.client
                .history(&profile.provider, &profile.name)
                .await?
                .history,
        );
        self.cache.insert(key, history.clone());
        Ok(history)
    }
}
