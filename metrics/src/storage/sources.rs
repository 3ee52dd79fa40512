//! What the query service reads: the main database plus any `--source` databases (for example
//! the files of collectors that do not share one database). Rows of the same (key, hour) from
//! different files are merged like flushes are: counts and sums add, sketches merge.

use std::sync::Arc;

use super::{SqliteStore, StorageError};
use crate::aggregate::HourStats;
use crate::domain::UtcHour;

#[derive(Clone)]
pub struct Sources {
    stores: Arc<Vec<SqliteStore>>,
}

impl Sources {
    pub fn new(stores: Vec<SqliteStore>) -> Self {
        Self {
            stores: Arc::new(stores),
        }
    }

    /// Blocking (SQLite); call from a blocking thread.
    pub fn read(&self, key: &str, hour: UtcHour) -> Result<Option<HourStats>, StorageError> {
        let mut merged: Option<HourStats> = None;
        for store in self.stores.iter() {
            if let Some(stats) = store.read(key, hour)? {
                match &mut merged {
                    Some(total) => total.merge(&stats),
                    None => merged = Some(stats),
                }
            }
        }
        Ok(merged)
    }

    pub fn ping(&self) -> Result<(), StorageError> {
        self.stores.iter().try_for_each(SqliteStore::ping)
    }
}
