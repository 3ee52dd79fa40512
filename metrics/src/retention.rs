//! How much the collector keeps on disk. Without it nothing ever expired, and a flood of
//! random keys grew the database by hundreds of MB in seconds. Two bounds, applied after a
//! flush at most once per [`RetentionPolicy::every`]:
//!
//! * **Age** (`--retention-days`): hours older than that are deleted.
//! * **Size** (`--max-stored-series`): beyond that many (key, hour) rows, the rows with the
//!   fewest values go first (oldest first among equals). A flood key holds one or a few
//!   values; an app instance's hour holds thousands, so it is the flood that is pruned.
//!   One row takes about 1 KiB on disk (docs/reliability.md), so the default of 1,000,000
//!   rows is a budget of about 1 GiB.

use std::time::Duration;

use prometheus::{IntCounter, IntGauge, Registry};

use crate::domain::UtcHour;

/// Long enough for the monthly retrieval of the reference workflows (issue 13).
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 35;

#[derive(Debug, Clone, Copy)]
pub struct RetentionPolicy {
    pub max_age_hours: i64,
    /// How long kept events live (`--event-retention-days`), in microseconds.
    pub event_max_age: crate::domain::Micros,
    pub max_rows: u64,
    pub every: Duration,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            max_age_hours: 90 * 24,
            event_max_age: i64::from(DEFAULT_EVENT_RETENTION_DAYS)
                * crate::domain::event::MICROS_PER_DAY,
            max_rows: 1_000_000,
            every: Duration::from_secs(60),
        }
    }
}

impl RetentionPolicy {
    /// The oldest hour kept when the current hour is `now`.
    pub fn oldest_kept(&self, now: UtcHour) -> UtcHour {
        UtcHour(now.0 - self.max_age_hours)
    }
}

/// What one pass deleted and what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    pub expired: u64,
    pub over_budget: u64,
    pub remaining: u64,
}

#[derive(Clone)]
pub struct RetentionMetrics {
    pub expired: IntCounter,
    pub over_budget: IntCounter,
    pub stored: IntGauge,
}

impl RetentionMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            expired: IntCounter::new(
                "metrics_retention_expired_rows_total",
                "Stored (key, hour) rows deleted for being older than --retention-days",
            )?,
            over_budget: IntCounter::new(
                "metrics_retention_over_budget_rows_total",
                "Stored rows deleted beyond --max-stored-series (fewest values first)",
            )?,
            stored: IntGauge::new(
                "metrics_stored_series",
                "Stored (key, hour) rows after the last retention pass",
            )?,
        };
        registry.register(Box::new(metrics.expired.clone()))?;
        registry.register(Box::new(metrics.over_budget.clone()))?;
        registry.register(Box::new(metrics.stored.clone()))?;
        Ok(metrics)
    }

    pub fn record(&self, pruned: Pruned) {
        self.expired.inc_by(pruned.expired);
        self.over_budget.inc_by(pruned.over_budget);
        self.stored
            .set(i64::try_from(pruned.remaining).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{HourStats, Pending};
    use crate::storage::{Database, Store};

    fn stats(values: u32) -> HourStats {
        let mut stats = HourStats::default();
        for i in 0..values {
            stats.add(f64::from(i) + 1.0);
        }
        stats
    }

    #[tokio::test]
    async fn old_hours_expire_and_beyond_the_budget_the_rows_with_fewest_values_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Database::Sqlite(dir.path().join("m.db")))
            .await
            .unwrap();
        let mut pending = Pending::default();
        pending.merge_series("app".into(), UtcHour(1), stats(50)); // too old
        pending.merge_series("app".into(), UtcHour(100), stats(50));
        pending.merge_series("app".into(), UtcHour(101), stats(50));
        for i in 0..5 {
            pending.merge_series(format!("flood-{i}").into(), UtcHour(101), stats(1));
        }
        let (_, merged) = store.merge(pending).await;
        merged.unwrap();

        let policy = RetentionPolicy {
            max_age_hours: 10,
            event_max_age: 0,
            max_rows: 4,
            every: Duration::ZERO,
        };
        let pruned = store
            .enforce_retention(policy.oldest_kept(UtcHour(101)), policy.max_rows)
            .await
            .unwrap();
        assert_eq!(
            pruned,
            Pruned {
                expired: 1,
                over_budget: 3,
                remaining: 4
            }
        );
        for hour in [100, 101] {
            assert!(store.read("app", UtcHour(hour)).await.unwrap().is_some());
        }
        assert!(store.read("app", UtcHour(1)).await.unwrap().is_none());
        let flood_left = flood_rows_left(&store).await;
        assert_eq!(flood_left, 2, "two flood rows fit in the budget");
    }

    async fn flood_rows_left(store: &Store) -> usize {
        let mut left = 0;
        for i in 0..5 {
            if store
                .read(&format!("flood-{i}"), UtcHour(101))
                .await
                .unwrap()
                .is_some()
            {
                left += 1;
            }
        }
        left
    }
}
