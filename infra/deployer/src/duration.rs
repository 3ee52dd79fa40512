//! Durations on the command line, in the workspace's one grammar (service-kit: bare seconds,
//! `500ms`, `5s`, `2m`, `1h`), up to a week; and how the progress display shows time left.

use std::time::Duration;

/// clap value parser; the error names the bad value and the accepted forms.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    service_kit::config::duration_between(Duration::ZERO, Duration::from_secs(7 * 86_400))(raw)
}

/// `4m 05s`, `12s`: how the progress display shows time left.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bare_seconds_parse() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn bad_durations_name_the_value() {
        let err = parse_duration("5 parsecs").unwrap_err();
        assert!(err.contains("5 parsecs"), "{err}");
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("9999h").is_err());
        let err = parse_duration("-1s").unwrap_err();
        assert!(err.contains("non-negative"), "{err}");
    }

    #[test]
    fn human_durations_round_down_to_the_second() {
        assert_eq!(human(Duration::from_millis(12_900)), "12s");
        assert_eq!(human(Duration::from_secs(245)), "4m 05s");
        assert_eq!(human(Duration::from_secs(3720)), "1h 02m");
    }
}
