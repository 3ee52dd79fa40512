//! The one duration grammar of the workspace, for flags, environment variables and workflow
//! files: a bare number is seconds (`10`, `0.5`), anything else is humantime's grammar
//! (`500ms`, `2m`, `1h 30m`, `7d`, `4w`, `1.5s`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// What every duration message ends with, so a user sees the accepted forms at once.
pub const ACCEPTED_FORMS: &str = "write seconds (10, 0.5) or a number with a unit (500ms, 2m, 1h 30m, 7d; units us, ms, s, m, h, d, w)";

/// Why a duration was rejected; the message names the value and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a duration: {reason}; {ACCEPTED_FORMS}")]
pub struct DurationError {
    value: String,
    reason: String,
}

impl DurationError {
    fn new(value: &str, reason: impl Into<String>) -> Self {
        Self {
            value: value.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Parses one duration; the grammar is in the module comment.
pub fn parse_duration(raw: &str) -> Result<Duration, DurationError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(DurationError::new(raw, "it is empty"));
    }
    if text.starts_with('-') {
        return Err(DurationError::new(raw, "durations are non-negative"));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| DurationError::new(raw, "not a finite number of seconds"));
    }
    humantime::parse_duration(text).map_err(|err| DurationError::new(raw, reason(&err)))
}

/// humantime's errors give character offsets; say what is wrong in words instead.
fn reason(err: &humantime::DurationError) -> String {
    match err {
        humantime::DurationError::UnknownUnit { unit, .. } => format!("unknown unit '{unit}'"),
        humantime::DurationError::NumberOverflow => "too large".into(),
        humantime::DurationError::Empty => "it is empty".into(),
        _ => "not a number with a unit".into(),
    }
}

/// A clap value parser for durations from `min` to `max`, both included; the message of a
/// value outside says the range.
pub fn duration_between(
    min: Duration,
    max: Duration,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |raw| {
        let duration = parse_duration(raw).map_err(|err| err.to_string())?;
        if duration < min || duration > max {
            return Err(format!(
                "'{raw}' is out of range: use {} to {}",
                describe(min),
                describe(max)
            ));
        }
        Ok(duration)
    }
}

/// A range bound in the largest unit that divides it: `10ms`, `0s`, `1h`, `365d`.
fn describe(duration: Duration) -> String {
    if duration.subsec_nanos() != 0 {
        return format!("{}ms", duration.as_millis());
    }
    match duration.as_secs() {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// A duration in a file or on the command line, with [`parse_duration`]'s grammar; `.0` is
/// the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = DurationError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        parse_duration(raw).map(Self)
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
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Duration {
        parse_duration(text).unwrap()
    }

    #[test]
    fn bare_numbers_are_seconds_fractions_included() {
        assert_eq!(parse("10"), Duration::from_secs(10));
        assert_eq!(parse("0.5"), Duration::from_millis(500));
        assert_eq!(parse(" 0 "), Duration::ZERO);
    }

    #[test]
    fn every_unit_from_microseconds_to_weeks_parses() {
        assert_eq!(parse("250us"), Duration::from_micros(250));
        assert_eq!(parse("500ms"), Duration::from_millis(500));
        assert_eq!(parse("1.5s"), Duration::from_millis(1500));
        assert_eq!(parse("2m"), Duration::from_secs(120));
        assert_eq!(parse("1h 30m"), Duration::from_secs(5400));
        assert_eq!(parse("7d"), Duration::from_secs(604_800));
        assert_eq!(parse("1w"), Duration::from_secs(604_800));
        assert_eq!(parse("30d"), Duration::from_secs(2_592_000));
    }

    #[test]
    fn a_negative_duration_says_durations_are_non_negative() {
        for raw in ["-5", "-1s", "-0.5"] {
            let err = parse_duration(raw).unwrap_err().to_string();
            assert!(
                err.contains(&format!("'{raw}'")) && err.contains("durations are non-negative"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_bad_duration_names_the_value_and_the_accepted_forms() {
        for (raw, reason) in [
            ("soon", "not a number with a unit"),
            ("5 parsecs", "unknown unit 'parsecs'"),
            ("", "it is empty"),
            ("ms", "not a number with a unit"),
            ("inf", "not a finite number"),
            ("1mo", "unknown unit 'mo'"),
        ] {
            let err = parse_duration(raw).unwrap_err().to_string();
            assert!(err.contains(&format!("'{raw}'")), "{err}");
            assert!(err.contains(reason), "{err}");
            assert!(err.contains("500ms, 2m"), "{err}");
        }
    }

    #[test]
    fn a_duration_out_of_range_says_the_range() {
        let parse = duration_between(Duration::from_millis(10), Duration::from_secs(3600));
        assert_eq!(parse("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        let err = parse("5ms").unwrap_err();
        assert!(err.contains("'5ms'") && err.contains("10ms to 1h"), "{err}");
        let err = duration_between(Duration::ZERO, Duration::from_secs(365 * 86_400))("400d")
            .unwrap_err();
        assert!(err.contains("0s to 365d"), "{err}");
        let err = parse("-5").unwrap_err();
        assert!(err.contains("non-negative"), "{err}");
    }

    #[test]
    fn a_workflow_file_duration_deserialises_with_the_same_grammar() {
        #[derive(Deserialize)]
        struct File {
            every: HumanDuration,
        }
        let file: File = serde_json::from_str(r#"{"every": "2m"}"#).unwrap();
        assert_eq!(file.every.0, Duration::from_secs(120));
        let err = serde_json::from_str::<File>(r#"{"every": "-2m"}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("non-negative"), "{err}");
    }
}
