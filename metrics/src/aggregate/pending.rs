//! Everything waiting to be written at the next flush, merged from every shard.

use std::collections::HashMap;

use super::HourStats;
use crate::domain::{Event, UtcHour};

/// (key, hour) -> statistics. A flush that fails keeps this and merges newer data into it, so
/// a database outage delays data instead of losing it (memory grows with distinct series only,
/// and the flusher caps that with [`Pending::keep_newest`]).
#[derive(Default, Debug)]
pub struct Pending {
    pub series: HashMap<(Box<str>, UtcHour), HourStats>,
    /// Every accepted message as received, in arrival order per shard.
    pub events: Vec<Event>,
    /// Events the shards' buffers had no room for since the last drain.
    pub events_dropped: u64,
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

    pub fn merge(&mut self, mut other: Pending) {
        self.events.append(&mut other.events);
        self.events_dropped += other.events_dropped;
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

    /// Keeps at most `max` series, dropping those of the oldest hours first (ties broken by
    /// key, so the choice is deterministic). Returns (series, messages) dropped.
    pub fn keep_newest(&mut self, max: usize) -> (usize, u64) {
        if self.series.len() <= max {
            return (0, 0);
        }
        let mut order: Vec<(UtcHour, Box<str>)> = self
            .series
            .keys()
            .map(|(key, hour)| (*hour, key.clone()))
            .collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        let mut messages = 0;
        let dropped = order.len() - max;
        for (hour, key) in order.into_iter().skip(max) {
            if let Some(stats) = self.series.remove(&(key, hour)) {
                messages += stats.count;
            }
        }
        (dropped, messages)
    }

    /// Values in all series (for logs and tests).
    pub fn message_count(&self) -> u64 {
        self.series.values().map(|stats| stats.count).sum()
    }
}
