//! One hardware profile as `hardware` serves it (docs/api.md), and its availability.
use serde::Deserialize;
use time::OffsetDateTime;

/// The computed availability of a profile. `None` in [`Profile::availability`] means
/// "not computed yet", which the page shows as "computing".
pub use hardware_api::Availability;

/// A row of `GET /hardware/` or `GET /hardware/changes`. Fields beyond the original
/// `{provider, name, availability}` are optional so an older `hardware` still works.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Profile {
    pub id: i64,
    pub provider: String,
    pub name: String,
    pub availability: Option<Availability>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub computed_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub vcpus: Option<u32>,
    #[serde(default)]
    pub memory_gib: Option<f64>,
    #[serde(default)]
    pub gpus: Option<u32>,
    /// The latest results, newest first (at most 12); empty from a `hardware` without
    /// history, or before the first result.
    #[serde(default)]
    pub recent: Vec<Availability>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape_including_a_profile_never_computed() {
        let json = r#"[
          {"id": 1, "provider": "Amazon", "name": "c5", "availability": "HIGH",
           "computed_at": "2026-11-22T10:00:05Z", "vcpus": 4, "memory_gib": 8.0, "gpus": 0,
           "recent": ["HIGH", "LOW"]},
          {"id": 2, "provider": "Azure", "name": "H16mr", "availability": null,
           "computed_at": null, "vcpus": 16, "memory_gib": 224.0, "gpus": 0}
        ]"#;
        let profiles: Vec<Profile> = serde_json::from_str(json).unwrap();
        assert_eq!(profiles[0].availability, Some(Availability::High));
        assert_eq!(
            profiles[0].recent,
            vec![Availability::High, Availability::Low]
        );
        assert_eq!(
            profiles[0].computed_at.unwrap().unix_timestamp(),
            time::macros::datetime!(2026-11-22 10:00:05 UTC).unix_timestamp()
        );
        assert_eq!(profiles[1].availability, None);
        assert_eq!(profiles[1].computed_at, None);
    }

    #[test]
    fn accepts_the_original_three_field_shape() {
        let profile: Profile = serde_json::from_str(
            r#"{"id": 3, "provider": "Google", "name": "n2", "availability": "LOW"}"#,
        )
        .unwrap();
        assert_eq!(profile.availability, Some(Availability::Low));
        assert_eq!(profile.vcpus, None);
        assert!(profile.recent.is_empty());
    }
}
