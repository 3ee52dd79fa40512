//! Durations in loadtest's reports. Parsing is the workspace's one grammar
//! (`service_kit::config::duration`): bare seconds or humantime's `500ms`, `2m`, `7d`, `4w`,
//! for flags and workflow files alike.

use std::time::Duration;

pub use service_kit::config::{DurationError, HumanDuration};

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

    #[test]
    fn workflow_durations_use_the_shared_grammar_with_bare_seconds() {
        let parse = |text: &str| text.parse::<HumanDuration>().map(|d| d.0);
        assert_eq!(parse("120"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse("4w"), Ok(Duration::from_secs(4 * 604_800)));
        let error = parse("2 fortnights").unwrap_err().to_string();
        assert!(error.contains("'2 fortnights'"), "{error}");
        assert!(error.contains("unknown unit"), "{error}");
    }

    #[test]
    fn report_durations_suit_their_magnitude() {
        assert_eq!(format_duration(Duration::from_micros(850)), "850us");
        assert_eq!(format_duration(Duration::from_millis(1200)), "1.20s");
        assert_eq!(format_duration(Duration::from_secs(7 * 86_400)), "7.0d");
        assert_eq!(format_micros(1234.0), "1.234ms");
    }
}
