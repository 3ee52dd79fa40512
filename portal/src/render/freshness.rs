//! How fresh each value is, in words: the catalog's progress while it fills, "queued" with
//! a place and an estimate versus "computing now", and the stale mark on overdue values.
//! The rules are in [`crate::domain::freshness`]; this is only their wording.

use time::{Duration, OffsetDateTime};

use crate::domain::{Catalog, Freshness, Profile, Queue};

use super::view::Stamp;

/// "Computed 12 of 78 profiles: 2 computing now, 64 queued (all due in about 3 min)",
/// shown while some profile has no value yet.
pub struct Progress {
    pub computed: usize,
    pub total: usize,
    /// `None` when `hardware` did not say what it computes.
    pub detail: Option<String>,
}

impl Progress {
    pub fn new(catalog: &Catalog, queue: &Queue<'_>) -> Option<Self> {
        let total = catalog.profiles.len();
        let pending = catalog.counts.pending;
        if pending == 0 {
            return None;
        }
        let detail = queue.overdue_after().map(|_| {
            let mut text = format!(
                "{} computing now, {} queued",
                queue.computing_now(),
                queue.waiting()
            );
            if let Some(due) = queue.all_due_in() {
                text.push_str(&format!(" (all due {})", due_in(due)));
            }
            text
        });
        Some(Self {
            computed: total - pending,
            total,
            detail,
        })
    }
}

/// What a row says about its value's age or its place in the queue.
pub struct RowFreshness {
    pub badge_class: &'static str,
    /// For a value: its availability; otherwise "computing now", "queued", "not computed yet".
    pub badge_label: &'static str,
    pub computed: Option<Stamp>,
    pub stale: bool,
    /// For a profile without a value: where it is ("3rd in the queue, due in about 10 s").
    pub note: String,
}

impl RowFreshness {
    pub fn new(queue: &Queue<'_>, profile: &Profile, as_of: OffsetDateTime) -> Self {
        let freshness = queue.freshness(profile, as_of);
        let (badge_class, badge_label) = match (profile.availability, freshness) {
            (Some(a), _) => (super::view::availability_class_of(a), a.as_str()),
            (None, Freshness::ComputingNow) => ("computing", "computing now"),
            (None, Freshness::Queued { .. }) => ("pending", "queued"),
            (None, _) => ("pending", "not computed yet"),
        };
        let stale = matches!(freshness, Freshness::Overdue { .. });
        let note = match freshness {
            Freshness::ComputingNow => "in progress".to_owned(),
            Freshness::Queued { position, eta } => {
                format!("{} in the queue, due {}", ordinal(position), due_in(eta))
            }
            _ => "not yet".to_owned(),
        };
        Self {
            badge_class,
            badge_label,
            computed: profile.computed_at.map(Stamp::new),
            stale,
            note,
        }
    }
}

/// "in about 40 s", "in about 3 min": estimates, so rounded up and never more precise.
pub fn due_in(eta: Duration) -> String {
    let seconds = eta.whole_seconds().max(1).unsigned_abs();
    match seconds {
        ..=59 => format!("in about {seconds} s"),
        60..=5_399 => format!("in about {} min", seconds.div_ceil(60)),
        _ => format!("in about {} h", seconds.div_ceil(3_600)),
    }
}

fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_read_as_estimates() {
        assert_eq!(due_in(Duration::seconds(0)), "in about 1 s");
        assert_eq!(due_in(Duration::seconds(40)), "in about 40 s");
        assert_eq!(due_in(Duration::seconds(61)), "in about 2 min");
        assert_eq!(due_in(Duration::seconds(7_200)), "in about 2 h");
    }

    #[test]
    fn ordinals() {
        let all: Vec<_> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            all,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                "111th"
            ]
        );
    }
}
