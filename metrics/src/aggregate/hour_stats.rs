//! The statistics of one key in one UTC hour. Exact count, sum, min and max; the median comes
//! from a DDSketch, whose memory is bounded however many values arrive and which merges
//! exactly (bucket counts add up), so merging collectors never averages averages.

use sketches_ddsketch::{Config, DDSketch};

use crate::domain::StatType;

/// Relative accuracy of the median: the answer is within 1% of the true (lower) median.
pub const SKETCH_RELATIVE_ACCURACY: f64 = 0.01;

#[derive(Clone)]
pub struct HourStats {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    sketch: DDSketch,
}

#[derive(Debug, thiserror::Error)]
#[error("stored sketch cannot be decoded: {0}")]
pub struct SketchDecodeError(String);

fn sketch_config() -> Config {
    // 2048 bins cover values over ~18 orders of magnitude at 1% before the lowest collapse.
    Config::new(SKETCH_RELATIVE_ACCURACY, 2048, 1.0e-9)
}

impl Default for HourStats {
    fn default() -> Self {
        Self {
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sketch: DDSketch::new(sketch_config()),
        }
    }
}

impl HourStats {
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sketch.add(value);
    }

    pub fn merge(&mut self, other: &HourStats) {
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sketch
            .merge(&other.sketch)
            .expect("every sketch is built with the same configuration");
    }

    /// `None` when there is no value (count 0).
    pub fn value(&self, stat: StatType) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        Some(match stat {
            StatType::Average => self.sum / self.count as f64,
            StatType::Min => self.min,
            StatType::Max => self.max,
            // The lower median (rank floor((n-1)/2)), within the sketch's relative accuracy,
            // clamped to the exact extremes (the sketch's bucket midpoint can overshoot them).
            StatType::Median => self
                .sketch
                .quantile(0.5)
                .ok()
                .flatten()?
                .clamp(self.min, self.max),
        })
    }

    /// The sketch as stored in the database (its JSON form: bucket offsets and counts).
    pub fn sketch_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.sketch).expect("a sketch always serializes")
    }

    pub fn from_stored(
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
        sketch: &[u8],
    ) -> Result<Self, SketchDecodeError> {
        let sketch: DDSketch =
            serde_json::from_slice(sketch).map_err(|err| SketchDecodeError(err.to_string()))?;
        if sketch.count() as u64 != count {
            return Err(SketchDecodeError(format!(
                "sketch holds {} values but the row says {count}",
                sketch.count()
            )));
        }
        let mut check = DDSketch::new(sketch_config());
        check
            .merge(&sketch)
            .map_err(|_| SketchDecodeError("sketch has a different configuration".into()))?;
        Ok(Self {
            count,
            sum,
            min,
            max,
            sketch,
        })
    }
}

impl std::fmt::Debug for HourStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HourStats")
            .field("count", &self.count)
            .field("sum", &self.sum)
            .field("min", &self.min)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(values: impl IntoIterator<Item = f64>) -> HourStats {
        let mut stats = HourStats::default();
        values.into_iter().for_each(|value| stats.add(value));
        stats
    }

    #[test]
    fn exact_statistics_match_the_raw_values() {
        let stats = stats_of([4.0, 1.0, 10.0, 5.0]);
        assert_eq!(stats.value(StatType::Average), Some(5.0));
        assert_eq!(stats.value(StatType::Min), Some(1.0));
        assert_eq!(stats.value(StatType::Max), Some(10.0));
        let median = stats.value(StatType::Median).unwrap();
        assert!(
            (median - 4.0).abs() <= 4.0 * SKETCH_RELATIVE_ACCURACY,
            "{median}"
        );
    }

    #[test]
    fn merging_two_halves_equals_aggregating_everything_at_once() {
        let values: Vec<f64> = (1..=1001).map(|i| f64::from(i) * 0.37).collect();
        let whole = stats_of(values.iter().copied());
        let mut merged = stats_of(values[..300].iter().copied());
        merged.merge(&stats_of(values[300..].iter().copied()));
        assert_eq!(merged.count, whole.count);
        assert_eq!(merged.min, whole.min);
        assert_eq!(merged.max, whole.max);
        assert!((merged.sum - whole.sum).abs() < 1e-6);
        assert_eq!(
            merged.value(StatType::Median),
            whole.value(StatType::Median)
        );
    }

    #[test]
    fn the_stored_form_round_trips_and_still_merges() {
        let stats = stats_of([0.0, 2.5, 7.0]);
        let restored =
            HourStats::from_stored(3, stats.sum, 0.0, 7.0, &stats.sketch_bytes()).unwrap();
        assert_eq!(
            restored.value(StatType::Median),
            stats.value(StatType::Median)
        );
        let mut merged = restored.clone();
        merged.merge(&stats);
        assert_eq!(merged.count, 6);
    }

    #[test]
    fn a_corrupt_or_inconsistent_stored_sketch_is_an_error() {
        assert!(HourStats::from_stored(1, 1.0, 1.0, 1.0, b"not json").is_err());
        let stats = stats_of([1.0]);
        assert!(HourStats::from_stored(2, 1.0, 1.0, 1.0, &stats.sketch_bytes()).is_err());
    }

    #[test]
    fn no_values_means_no_statistic() {
        assert_eq!(HourStats::default().value(StatType::Median), None);
    }
}
