//! What the query service reads: the main database plus any `--source` databases (for example
//! the files of collectors that do not share one database). Rows of the same (key, hour) from
//! different databases are merged like flushes are: counts and sums add, sketches merge.
//!
//! A source that fails (down, unreadable) does not fail the query while another source
//! answers: the answer is built from the sources that did and names the ones that did not
//! ([`SourcesRead::missing`]), so the caller can flag it as partial.

use std::sync::Arc;

use super::{Database, StorageError, Store};
use crate::aggregate::HourStats;
use crate::domain::UtcHour;

#[derive(Clone)]
pub struct Sources {
    /// Each store with its name for answers and logs ([`Database::redacted`]: no password).
    stores: Arc<Vec<(String, Store)>>,
}

/// What the sources that answered hold for one (key, hour), and which sources did not answer.
#[derive(Debug)]
pub struct SourcesRead {
    pub stats: Option<HourStats>,
    /// Sources whose read failed, by name; empty for a complete answer.
    pub missing: Vec<String>,
}

impl Sources {
    pub fn new(stores: Vec<(String, Store)>) -> Self {
        Self {
            stores: Arc::new(stores),
        }
    }

    /// Opened stores named by the databases they came from.
    pub fn named(stores: Vec<(&Database, Store)>) -> Self {
        Self::new(
            stores
                .into_iter()
                .map(|(database, store)| (database.redacted(), store))
                .collect(),
        )
    }

    /// The main database (`--database`): the only one events are served from, since event
    /// ids and cursors of different databases cannot be merged into one order.
    pub fn primary(&self) -> Option<&Store> {
        self.stores.first().map(|(_, store)| store)
    }

    /// Merges what every source holds. Fails only when no source answers; otherwise the
    /// sources that failed are listed in `missing` (and logged).
    pub async fn read(&self, key: &str, hour: UtcHour) -> Result<SourcesRead, StorageError> {
        let mut merged: Option<HourStats> = None;
        let mut missing = Vec::new();
        let mut last_error = None;
        for (name, store) in self.stores.iter() {
            match store.read(key, hour).await {
                Ok(Some(stats)) => match &mut merged {
                    Some(total) => total.merge(&stats),
                    None => merged = Some(stats),
                },
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(source = %name, %err, "query source failed; answering from the others");
                    missing.push(name.clone());
                    last_error = Some(err);
                }
            }
        }
        match last_error {
            Some(err) if missing.len() == self.stores.len() => Err(err),
            _ => Ok(SourcesRead {
                stats: merged,
                missing,
            }),
        }
    }

    /// Ready while at least one source answers (queries then get partial answers); the error
    /// of the last source is returned when none does.
    pub async fn ping(&self) -> Result<(), StorageError> {
        let mut last_error = None;
        for (name, store) in self.stores.iter() {
            match store.ping().await {
                Ok(()) => return Ok(()),
                Err(err) => {
                    tracing::warn!(source = %name, %err, "query source does not answer");
                    last_error = Some(err);
                }
            }
        }
        last_error.map_or(Ok(()), Err)
    }
}
