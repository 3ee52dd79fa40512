//! What the query service reads: the main database plus any `--source` databases (for example
//! the files of collectors that do not share one database). Rows of the same (key, hour) from
//! different databases are merged like flushes are: counts and sums add, sketches merge.

use std::sync::Arc;

use super::{StorageError, Store};
use crate::aggregate::HourStats;
use crate::domain::UtcHour;

#[derive(Clone)]
pub struct Sources {
    stores: Arc<Vec<Store>>,
}

impl Sources {
    pub fn new(stores: Vec<Store>) -> Self {
        Self {
            stores: Arc::new(stores),
        }
    }

    pub async fn read(&self, key: &str, hour: UtcHour) -> Result<Option<HourStats>, StorageError> {
        let mut merged: Option<HourStats> = None;
        for store in self.stores.iter() {
            if let Some(stats) = store.read(key, hour).await? {
                match &mut merged {
                    Some(total) => total.merge(&stats),
                    None => merged = Some(stats),
                }
            }
        }
        Ok(merged)
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        for store in self.stores.iter() {
            store.ping().await?;
        }
        Ok(())
    }
}
