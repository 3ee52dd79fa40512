//! Everything waiting to be written at the next flush, merged from every shard.

use std::collections::HashMap;

use super::HourStats;
use crate::domain::UtcHour;

/// (key, hour) -> statistics. A flush that fails keeps this and merges newer data into it, so
/// a database outage delays data instead of losing it (memory grows with distinct series only).
#[derive(Default, Debug)]
pub struct Pending {
    pub series: HashMap<(Box<str>, UtcHour), HourStats>,
}

impl Pending {
    pub fn merge_series(&mut self, key: Box<str>, hour: UtcHour, stats: HourStats) {
        match self.series.entry((key, hour)) {
            std::collections::hash_map::Entry::Occupied(mut existing) => {
                existing.get_mut().merge(&stats)
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(stats);
            }
        }
    }

    pub fn merge(&mut self, other: Pending) {
        for ((key, hour), stats) in other.series {
            self.merge_series(key, hour, stats);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// Values in all series (for logs and tests).
    pub fn message_count(&self) -> u64 {
        self.series.values().map(|stats| stats.count).sum()
    }
}
