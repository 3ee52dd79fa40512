//! Human-written durations (`250ms`, `2m`, `1h`, `7d`, `4w`) for workflow files and flags.
//!
//! Workflow schedules span milliseconds to months, so one notation covers both ends; a month
//! is 30 days (the reference workflows only need "about a month").

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A duration parsed from `<number><unit>`, unit one of `us`, `ms`, `s`, `m`, `h`, `d`, `w`,
/// `mo` (30 days). The number may have a fraction (`1.5s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

/// Why a duration string was rejected; the message names the value and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration `{value}`: {reason} (write a number and a unit: us, ms, s, m, h, d, w, mo; e.g. `500ms`, `2m`, `7d`)"
)]
pub struct DurationError {
    value: String,
    reason: &'static str,
}

impl FromStr for HumanDuration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason| DurationError {
            value: input.to_owned(),
            reason,
        };
        let text = input.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| error("missing unit"))?;
        let (number, unit) = text.split_at(split);
        if number.is_empty() {
            return Err(error("missing number"));
        }
        let number: f64 = number.parse().map_err(|_| error("not a number"))?;
        let seconds_per_unit = match unit.trim() {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            "mo" => 30.0 * 86_400.0,
            _ => return Err(error("unknown unit")),
        };
        let seconds = number * seconds_per_unit;
        if !seconds.is_finite() || seconds > 1e10 {
            return Err(error("too large"));
        }
        Ok(Self(Duration::from_secs_f64(seconds)))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_duration(self.0))
    }
}

/// Short human form used in reports: `850us`, `12.3ms`, `1.20s`, `2m`, `7d`.
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 1e-3 {
        format!("{:.0}us", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1}ms", seconds * 1e3)
    } else if seconds < 120.0 {
        format!("{seconds:.2}s")
    } else if seconds < 7200.0 {
        format!("{:.1}m", seconds / 60.0)
    } else if seconds < 172_800.0 {
        format!("{:.1}h", seconds / 3600.0)
    } else {
        format!("{:.1}d", seconds / 86_400.0)
    }
}

/// Formats microseconds as milliseconds with a precision that suits the magnitude.
pub fn format_micros(micros: f64) -> String {
    let ms = micros / 1000.0;
    if ms < 10.0 {
        format!("{ms:.3}ms")
    } else if ms < 1000.0 {
        format!("{ms:.1}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Duration {
        text.parse::<HumanDuration>().unwrap().0
    }

    #[test]
    fn every_unit_from_microseconds_to_months_parses() {
        assert_eq!(parse("250us"), Duration::from_micros(250));
        assert_eq!(parse("500ms"), Duration::from_millis(500));
        assert_eq!(parse("1.5s"), Duration::from_millis(1500));
        assert_eq!(parse("2m"), Duration::from_secs(120));
        assert_eq!(parse("1h"), Duration::from_secs(3600));
        assert_eq!(parse("7d"), Duration::from_secs(604_800));
        assert_eq!(parse("1w"), Duration::from_secs(604_800));
        assert_eq!(parse("1mo"), Duration::from_secs(2_592_000));
    }

    #[test]
    fn a_missing_or_unknown_unit_is_rejected_with_the_value_in_the_message() {
        let error = "2 minutes"
            .parse::<HumanDuration>()
            .unwrap_err()
            .to_string();
        assert!(error.contains("`2 minutes`"), "{error}");
        assert!(error.contains("unknown unit"), "{error}");
        assert!("120".parse::<HumanDuration>().is_err());
        assert!("ms".parse::<HumanDuration>().is_err());
    }
}
