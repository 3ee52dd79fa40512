//! SLA thresholds such as `max < 1s`, `p99 < 200ms`, `errors = 0`, `error_rate < 0.1%`.
//!
//! Latency thresholds are checked against the latency measured from each request's scheduled
//! time (corrected for coordinated omission), because that is what a user waiting on a stalled
//! server experiences, and over successful responses only: a refused connection answers in
//! microseconds and a run where every request fails must not pass `p99 < 200ms` on them.
//! Failures are what `errors` and `error_rate` judge. A threshold with nothing to measure
//! (no successful response for a latency, no request at all for an error figure) fails and
//! says so: an SLA nobody could check is not met.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::duration::HumanDuration;

/// Which figure of a step's results a threshold constrains.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Metric {
    /// Latency at a percentile (0 < p <= 100), in microseconds.
    Percentile(f64),
    Max,
    Min,
    Mean,
    StdDev,
    /// Number of failed requests.
    Errors,
    /// Failed requests divided by all requests, as a fraction (0.01 = 1 %).
    ErrorRate,
    /// Number of requests.
    Count,
}

impl Metric {
    fn is_latency(self) -> bool {
        matches!(
            self,
            Metric::Percentile(_) | Metric::Max | Metric::Min | Metric::Mean | Metric::StdDev
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

impl Comparison {
    fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Comparison::Less => actual < limit,
            Comparison::LessOrEqual => actual <= limit,
            Comparison::Greater => actual > limit,
            Comparison::GreaterOrEqual => actual >= limit,
            Comparison::Equal => (actual - limit).abs() < f64::EPSILON,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessOrEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterOrEqual => ">=",
            Comparison::Equal => "=",
        }
    }
}

/// One parsed threshold. `limit` is in microseconds for latency metrics, a fraction for
/// `error_rate`, a plain number otherwise. `text` keeps what the author wrote for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    pub text: String,
    #[serde(skip)]
    pub metric: Metric,
    #[serde(skip)]
    pub comparison: Comparison,
    #[serde(skip)]
    pub limit: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid threshold `{text}`: {reason}")]
pub struct ThresholdError {
    text: String,
    reason: String,
}

/// The figures a threshold is checked against (one step, actor or workflow).
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// Every request, failed or not.
    pub count: u64,
    pub errors: u64,
    /// Corrected latency of the successful responses, microseconds.
    pub successful_latency: &'a hdrhistogram::Histogram<u32>,
}

/// What a threshold found: the figure it looked at (`None` when there was nothing to
/// measure) and whether it was met.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub actual: Option<f64>,
    pub passed: bool,
}

impl Threshold {
    /// The observed value this threshold looks at, in its own unit; `None` without data.
    pub fn actual(&self, observed: Observed<'_>) -> Option<f64> {
        let latency = observed.successful_latency;
        if self.metric.is_latency() && latency.is_empty() {
            return None;
        }
        let value = match self.metric {
            Metric::Percentile(p) => latency.value_at_percentile(p) as f64,
            Metric::Max => latency.max() as f64,
            Metric::Min => latency.min() as f64,
            Metric::Mean => latency.mean(),
            Metric::StdDev => latency.stdev(),
            Metric::Errors | Metric::ErrorRate if observed.count == 0 => return None,
            Metric::Errors => observed.errors as f64,
            Metric::ErrorRate => observed.errors as f64 / observed.count as f64,
            Metric::Count => observed.count as f64,
        };
        Some(value)
    }

    /// Checks the threshold; one with nothing to measure fails.
    pub fn judge(&self, observed: Observed<'_>) -> Verdict {
        let actual = self.actual(observed);
        Verdict {
            actual,
            passed: actual.is_some_and(|actual| self.comparison.holds(actual, self.limit)),
        }
    }

    /// The verdict's figure for a report: "12.3ms", or why there is none.
    pub fn describe(&self, verdict: Verdict, observed: Observed<'_>) -> String {
        match verdict.actual {
            Some(actual) => self.format_actual(actual),
            None if self.metric.is_latency() => format!(
                "no data: none of {} requests got a successful response",
                observed.count
            ),
            None => "no data: no requests were made".to_owned(),
        }
    }

    /// `actual` rendered in the threshold's unit, for "p99 = 12.3ms (limit < 200ms)".
    pub fn format_actual(&self, actual: f64) -> String {
        match self.metric {
            m if m.is_latency() => crate::duration::format_micros(actual),
            Metric::ErrorRate => format!("{:.3}%", actual * 100.0),
            _ => format!("{actual:.0}"),
        }
    }

    /// The limit in milliseconds, for a latency threshold: what a chart draws as its SLA
    /// line.
    pub fn latency_limit_ms(&self) -> Option<f64> {
        self.metric.is_latency().then_some(self.limit / 1000.0)
    }

    pub fn comparison_symbol(&self) -> &'static str {
        self.comparison.symbol()
    }
}

impl FromStr for Threshold {
    type Err = ThresholdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| ThresholdError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        // Two-character operators first so `<=` is not read as `<`.
        let (position, comparison, width) = [
            ("<=", Comparison::LessOrEqual),
            (">=", Comparison::GreaterOrEqual),
            ("==", Comparison::Equal),
            ("<", Comparison::Less),
            (">", Comparison::Greater),
            ("=", Comparison::Equal),
        ]
        .iter()
        .find_map(|(symbol, comparison)| {
            trimmed
                .find(symbol)
                .map(|position| (position, *comparison, symbol.len()))
        })
        .ok_or_else(|| {
            error("expected `<metric> <op> <value>` with op one of < <= > >= =".into())
        })?;
        let name = trimmed[..position].trim();
        let value = trimmed[position + width..].trim();
        let metric = parse_metric(name).map_err(error)?;
        let limit = if metric.is_latency() {
            let duration: HumanDuration = value
                .parse()
                .map_err(|e: crate::duration::DurationError| error(e.to_string()))?;
            duration.0.as_secs_f64() * 1e6
        } else if metric == Metric::ErrorRate {
            match value.strip_suffix('%') {
                Some(percent) => parse_number(percent).map_err(error)? / 100.0,
                None => parse_number(value).map_err(error)?,
            }
        } else {
            parse_number(value).map_err(error)?
        };
        Ok(Threshold {
            text: trimmed.to_owned(),
            metric,
            comparison,
            limit,
        })
    }
}

fn parse_number(value: &str) -> Result<f64, String> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("`{value}` is not a non-negative number"))
}

fn parse_metric(name: &str) -> Result<Metric, String> {
    let lower = name.to_ascii_lowercase();
    let metric = match lower.as_str() {
        "max" => Metric::Max,
        "min" => Metric::Min,
        "mean" | "avg" | "average" => Metric::Mean,
        "stddev" | "stdev" | "std_dev" => Metric::StdDev,
        "errors" => Metric::Errors,
        "error_rate" => Metric::ErrorRate,
        "count" | "requests" => Metric::Count,
        "median" => Metric::Percentile(50.0),
        other => {
            let percentile = other
                .strip_prefix('p')
                .and_then(|digits| digits.parse::<f64>().ok())
                .filter(|p| *p > 0.0 && *p <= 100.0)
                .ok_or_else(|| {
                    format!(
                        "unknown metric `{name}` (use max, min, mean, stddev, p50, p99, p99.9, errors, error_rate, count)"
                    )
                })?;
            Metric::Percentile(percentile)
        }
    };
    Ok(metric)
}

impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

    fn histogram(values_ms: &[u64]) -> Histogram<u32> {
        let mut histogram = Histogram::new_with_max(100_000_000, 3).unwrap();
        for value in values_ms {
            histogram.record(value * 1000).unwrap();
        }
        histogram
    }

    fn check(text: &str, count: u64, errors: u64, latency_ms: &[u64]) -> bool {
        let threshold: Threshold = text.parse().unwrap();
        let latency = histogram(latency_ms);
        threshold
            .judge(Observed {
                count,
                errors,
                successful_latency: &latency,
            })
            .passed
    }

    #[test]
    fn a_threshold_with_nothing_to_measure_fails_and_says_why() {
        let none = histogram(&[]);
        let all_failed = Observed {
            count: 40,
            errors: 40,
            successful_latency: &none,
        };
        for text in ["p99 < 200ms", "max < 1s", "mean < 1s", "min >= 0ms"] {
            let threshold: Threshold = text.parse().unwrap();
            let verdict = threshold.judge(all_failed);
            assert_eq!(
                verdict,
                Verdict {
                    actual: None,
                    passed: false
                },
                "{text}"
            );
            assert_eq!(
                threshold.describe(verdict, all_failed),
                "no data: none of 40 requests got a successful response"
            );
        }
        let nothing = Observed {
            count: 0,
            errors: 0,
            successful_latency: &none,
        };
        for text in ["errors = 0", "error_rate < 1%"] {
            let threshold: Threshold = text.parse().unwrap();
            let verdict = threshold.judge(nothing);
            assert!(!verdict.passed, "{text}");
            assert_eq!(
                threshold.describe(verdict, nothing),
                "no data: no requests were made"
            );
        }
        // A count is known even when it is zero.
        assert!(check("count = 0", 0, 0, &[]));
        assert!(!check("count >= 1", 0, 0, &[]));
    }

    #[test]
    fn max_below_one_second_fails_when_a_single_response_took_longer() {
        assert!(check("max < 1s", 3, 0, &[5, 20, 999]));
        assert!(!check("max < 1s", 3, 0, &[5, 20, 1001]));
    }

    #[test]
    fn percentile_thresholds_look_at_that_percentile_only() {
        let mostly_fast: Vec<u64> = (0..1000).map(|i| if i < 995 { 10 } else { 500 }).collect();
        assert!(check("p99 < 200ms", 1000, 0, &mostly_fast));
        assert!(!check("p99.9 < 200ms", 1000, 0, &mostly_fast));
        assert!(check("p50 <= 11ms", 1000, 0, &mostly_fast));
    }

    #[test]
    fn error_thresholds_count_errors_and_rates() {
        assert!(check("errors = 0", 10, 0, &[1]));
        assert!(!check("errors = 0", 10, 1, &[1]));
        assert!(check("error_rate < 1%", 1000, 9, &[1]));
        assert!(!check("error_rate < 1%", 1000, 10, &[1]));
        assert!(check("count >= 1000", 1000, 0, &[1]));
    }

    #[test]
    fn malformed_thresholds_are_rejected_naming_the_problem() {
        let unknown = "p99 ~ 1s".parse::<Threshold>().unwrap_err().to_string();
        assert!(
            unknown.contains("expected `<metric> <op> <value>`"),
            "{unknown}"
        );
        let metric = "latency < 1s".parse::<Threshold>().unwrap_err().to_string();
        assert!(metric.contains("unknown metric `latency`"), "{metric}");
        let unit = "max < 1parsec"
            .parse::<Threshold>()
            .unwrap_err()
            .to_string();
        assert!(unit.contains("'1parsec' is not a duration"), "{unit}");
        assert!("p0 < 1s".parse::<Threshold>().is_err());
        assert!("errors = lots".parse::<Threshold>().is_err());
    }
}
