//! The small trend drawn in each table row and on a profile's page: one bar per recent
//! result, oldest on the left, plus the same in words for assistive technology.
//!
//! Pure HTML and CSS (no script, no image requests): each bar is an empty element whose class
//! gives its colour and height, so the levels differ in shape as well as colour (HIGH full
//! height, MEDIUM two thirds, LOW one third), and colour is never the only cue.

use crate::domain::Availability;

pub struct Trend {
    /// CSS classes of the bars, oldest first.
    pub bars: Vec<&'static str>,
    /// "last 12 results: 8 HIGH, 3 MEDIUM, 1 LOW".
    pub text: String,
}

impl Trend {
    /// From `recent` as `hardware` sends it (newest first); `None` when there is no result.
    pub fn of(recent: &[Availability]) -> Option<Self> {
        if recent.is_empty() {
            return None;
        }
        let bars = recent.iter().rev().map(|a| bar_class(*a)).collect();
        let counts: Vec<String> = Availability::ALL
            .iter()
            .filter_map(|level| {
                let n = recent.iter().filter(|a| *a == level).count();
                (n > 0).then(|| format!("{n} {level}"))
            })
            .collect();
        let text = match recent.len() {
            1 => format!("last result: {}", counts.join(", ")),
            n => format!("last {n} results: {}", counts.join(", ")),
        };
        Some(Self { bars, text })
    }
}

pub(crate) fn bar_class(availability: Availability) -> &'static str {
    match availability {
        Availability::High => "tb-high",
        Availability::Medium => "tb-medium",
        Availability::Low => "tb-low",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Availability::{High, Low, Medium};

    #[test]
    fn bars_run_oldest_first_and_the_text_counts_each_level() {
        let trend = Trend::of(&[Low, High, High, Medium]).unwrap();
        assert_eq!(
            trend.bars,
            vec!["tb-medium", "tb-high", "tb-high", "tb-low"]
        );
        assert_eq!(trend.text, "last 4 results: 2 HIGH, 1 MEDIUM, 1 LOW");
        assert_eq!(Trend::of(&[High]).unwrap().text, "last result: 1 HIGH");
        assert!(Trend::of(&[]).is_none());
    }
}
