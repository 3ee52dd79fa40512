//! One writer's aggregation map. Each UDP receive thread owns a shard; it locks it once per
//! datagram (tens of messages) and the lock is contended only at flush time, when the flusher
//! swaps the map out. No lock is taken per message and no map is shared between receivers.

use std::sync::{Arc, Mutex};

use foldhash::HashMap;

use super::{HourStats, Pending};
use crate::admission::{Refusal, SeriesAdmission, Source};
use crate::domain::{Event, Micros, UtcHour};

/// Events a shard buffers between flushes unless told otherwise (about 64 bytes each).
pub const DEFAULT_EVENTS_PER_SHARD: usize = 1_000_000;

/// Why a message for a key the shard does not hold yet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesRefused {
    /// The shard holds its share of `--max-series` already.
    SeriesLimit,
    /// A never-seen key over its source's (or the window's) quota of new keys.
    NewSeriesQuota,
}

/// Kept for callers that only ask whether a message got in.
pub type SeriesLimitReached = SeriesRefused;

pub struct Shard {
    /// Few entries (the current hour, briefly the previous one), so a Vec beats a map.
    hours: Vec<(UtcHour, HashMap<Box<str>, HourStats>)>,
    series: usize,
    max_series: usize,
    admission: Arc<SeriesAdmission>,
    /// Each accepted message as received, for `GET /events` (see crate::storage::events).
    events: Vec<Event>,
    /// Bounds `events`: beyond it an event is dropped (and counted), its value still
    /// aggregated, so a slow database costs kept events, never memory or ingest.
    max_events: usize,
    events_dropped: u64,
}

impl Shard {
    /// A shard that admits any key up to `max_series` (tests, tools).
    pub fn new(max_series: usize) -> Self {
        Self::with_admission(max_series, Arc::new(SeriesAdmission::unlimited()))
    }

    pub fn with_admission(max_series: usize, admission: Arc<SeriesAdmission>) -> Self {
        Self {
            hours: Vec::new(),
            series: 0,
            max_series,
            admission,
            events: Vec::new(),
            max_events: DEFAULT_EVENTS_PER_SHARD,
            events_dropped: 0,
        }
    }

    pub fn with_event_buffer(mut self, max_events: usize) -> Self {
        self.max_events = max_events;
        self
    }

    /// Adds one value from an in-process caller, received at the start of `hour`.
    pub fn add(&mut self, hour: UtcHour, key: &str, value: f64) -> Result<(), SeriesRefused> {
        let received_at = hour.0 * 3_600_000_000;
        self.add_from(hour, received_at, key, value, Source::Local)
    }

    /// Adds one value sent by `source`. Looking up a key the shard holds does not allocate
    /// and takes no other lock; only a key new to this window asks the admission policy.
    pub fn add_from(
        &mut self,
        hour: UtcHour,
        received_at: Micros,
        key: &str,
        value: f64,
        source: Source,
    ) -> Result<(), SeriesRefused> {
        self.aggregate(hour, key, value, source)?;
        if self.events.len() < self.max_events {
            self.events.push(Event {
                key: Box::from(key),
                value,
                received_at,
            });
        } else {
            self.events_dropped += 1;
        }
        Ok(())
    }

    fn aggregate(
        &mut self,
        hour: UtcHour,
        key: &str,
        value: f64,
        source: Source,
    ) -> Result<(), SeriesRefused> {
        let index = match self.hours.iter().position(|(h, _)| *h == hour) {
            Some(index) => index,
            None => {
                self.hours.push((hour, HashMap::default()));
                self.hours.len() - 1
            }
        };
        let keys = &mut self.hours[index].1;
        if let Some(stats) = keys.get_mut(key) {
            stats.add(value);
            return Ok(());
        }
        if self.series >= self.max_series {
            return Err(SeriesRefused::SeriesLimit);
        }
        self.admission
            .admit(key, source)
            .map_err(|refusal| match refusal {
                Refusal::NewSeriesQuota => SeriesRefused::NewSeriesQuota,
            })?;
        self.series += 1;
        keys.entry(Box::from(key)).or_default().add(value);
        Ok(())
    }

    /// Moves everything out, leaving the shard empty.
    pub fn take_into(&mut self, pending: &mut Pending) {
        for (hour, keys) in self.hours.drain(..) {
            for (key, stats) in keys {
                pending.merge_series(key, hour, stats);
            }
        }
        self.series = 0;
        pending.events.append(&mut self.events);
        pending.events_dropped += std::mem::take(&mut self.events_dropped);
    }
}

/// Every shard of the process, so the flusher can drain them all.
#[derive(Clone)]
pub struct Shards {
    all: Arc<Mutex<Vec<Arc<Mutex<Shard>>>>>,
    max_series_per_shard: usize,
    admission: Arc<SeriesAdmission>,
    max_events_per_shard: usize,
}

impl Shards {
    /// `max_series` bounds memory: distinct (key, hour) pairs held by each shard between
    /// flushes, so a flood of random keys cannot exhaust memory.
    pub fn new(max_series_per_shard: usize) -> Self {
        Self::with_admission(max_series_per_shard, Arc::new(SeriesAdmission::unlimited()))
    }

    /// Shards sharing one admission policy, which learns the keys of every drain.
    pub fn with_admission(max_series_per_shard: usize, admission: Arc<SeriesAdmission>) -> Self {
        Self {
            all: Arc::default(),
            max_series_per_shard,
            admission,
            max_events_per_shard: DEFAULT_EVENTS_PER_SHARD,
        }
    }

    /// Events each shard buffers between flushes (see [`Shard::with_event_buffer`]).
    pub fn with_event_buffer(mut self, max_events_per_shard: usize) -> Self {
        self.max_events_per_shard = max_events_per_shard;
        self
    }

    pub fn admission(&self) -> &Arc<SeriesAdmission> {
        &self.admission
    }

    pub fn new_shard(&self) -> Arc<Mutex<Shard>> {
        let shard = Arc::new(Mutex::new(
            Shard::with_admission(self.max_series_per_shard, self.admission.clone())
                .with_event_buffer(self.max_events_per_shard),
        ));
        self.all
            .lock()
            .expect("shard list lock poisoned")
            .push(shard.clone());
        shard
    }

    pub fn drain(&self) -> Pending {
        let mut pending = Pending::default();
        let shards = self.all.lock().expect("shard list lock poisoned").clone();
        for shard in shards {
            shard
                .lock()
                .expect("shard lock poisoned")
                .take_into(&mut pending);
        }
        // The window ends here: what was drained is known from now on.
        self.admission
            .end_window(pending.series.keys().map(|(key, _)| key.as_ref()));
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StatType;

    #[test]
    fn values_of_different_hours_and_shards_end_up_in_separate_series_merged_by_key() {
        let shards = Shards::new(100);
        let first = shards.new_shard();
        let second = shards.new_shard();
        first.lock().unwrap().add(UtcHour(10), "a", 1.0).unwrap();
        first.lock().unwrap().add(UtcHour(11), "a", 2.0).unwrap();
        second.lock().unwrap().add(UtcHour(10), "a", 3.0).unwrap();
        let pending = shards.drain();
        assert_eq!(pending.len(), 2);
        let hour_10 = &pending.series[&(Box::from("a"), UtcHour(10))];
        assert_eq!(
            (hour_10.count, hour_10.value(StatType::Max)),
            (2, Some(3.0))
        );
        assert!(shards.drain().is_empty(), "draining empties the shards");
    }

    #[test]
    fn new_keys_beyond_the_series_limit_are_refused_but_known_keys_still_count() {
        let mut shard = Shard::new(2);
        shard.add(UtcHour(1), "a", 1.0).unwrap();
        shard.add(UtcHour(1), "b", 1.0).unwrap();
        assert_eq!(
            shard.add(UtcHour(1), "c", 1.0),
            Err(SeriesRefused::SeriesLimit)
        );
        assert_eq!(shard.add(UtcHour(1), "a", 2.0), Ok(()));
        let mut pending = Pending::default();
        shard.take_into(&mut pending);
        assert_eq!(pending.message_count(), 3);
        assert_eq!(
            shard.add(UtcHour(1), "c", 1.0),
            Ok(()),
            "the limit resets at flush"
        );
    }

    #[test]
    fn accepted_messages_are_buffered_as_events_up_to_the_bound_and_the_rest_counted() {
        let mut shard = Shard::new(1).with_event_buffer(2);
        shard
            .add_from(UtcHour(1), 10, "a", 1.0, Source::Local)
            .unwrap();
        shard
            .add_from(UtcHour(1), 11, "b", 1.0, Source::Local)
            .unwrap_err();
        shard
            .add_from(UtcHour(1), 12, "a", 2.0, Source::Local)
            .unwrap();
        shard
            .add_from(UtcHour(1), 13, "a", 3.0, Source::Local)
            .unwrap();
        let mut pending = Pending::default();
        shard.take_into(&mut pending);
        let times: Vec<i64> = pending.events.iter().map(|e| e.received_at).collect();
        assert_eq!(
            times,
            [10, 12],
            "refused messages are not events; the third overflows"
        );
        assert_eq!(pending.events_dropped, 1);
        assert_eq!(
            pending.message_count(),
            3,
            "the overflowing value is still aggregated"
        );
    }
}
