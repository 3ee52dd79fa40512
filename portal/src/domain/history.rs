//! One profile's history as `hardware` serves it (`GET /hardware/{provider}/{name}/history`,
//! docs/api.md): its latest results, newest first.

use serde::Deserialize;
use time::OffsetDateTime;

use super::Availability;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HistoryEntry {
    pub availability: Availability,
    #[serde(with = "time::serde::rfc3339")]
    pub computed_at: OffsetDateTime,
}

/// The parts of the body the page uses (it also names the profile and the limit applied).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct History {
    pub history: Vec<HistoryEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let body = r#"{"id": 1, "provider": "Amazon", "name": "c5", "limit": 50,
            "history": [{"availability": "LOW", "computed_at": "2026-11-22T10:01:05Z"},
                        {"availability": "HIGH", "computed_at": "2026-11-22T10:00:05Z"}]}"#;
        let history: History = serde_json::from_str(body).unwrap();
        assert_eq!(history.history.len(), 2);
        assert_eq!(history.history[0].availability, Availability::Low);
    }
}
