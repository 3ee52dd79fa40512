//! The portal's copy of the hardware catalog at one `hardware` version, with the counts
//! the page shows precomputed once per version instead of once per page view.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::profile::{Availability, Profile};
use super::query::AvailabilityFilter;

/// Names people use for a provider, and the catalog's name they mean. An alias only resolves
/// when the catalog has that provider.
pub const PROVIDER_ALIASES: [(&str, &str); 8] = [
    ("aws", "Amazon"),
    ("amazon web services", "Amazon"),
    ("ec2", "Amazon"),
    ("gcp", "Google"),
    ("google cloud", "Google"),
    ("gce", "Google"),
    ("microsoft", "Azure"),
    ("microsoft azure", "Azure"),
];

/// How many profiles are in each availability state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AvailabilityCounts {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// Not computed yet.
    pub pending: usize,
}

impl AvailabilityCounts {
    pub fn add(&mut self, availability: Option<Availability>) {
        match availability {
            Some(Availability::High) => self.high += 1,
            Some(Availability::Medium) => self.medium += 1,
            Some(Availability::Low) => self.low += 1,
            None => self.pending += 1,
        }
    }

    /// How many profiles the availability filter selects.
    pub fn of(&self, filter: AvailabilityFilter) -> usize {
        match filter {
            AvailabilityFilter::Computed(Availability::High) => self.high,
            AvailabilityFilter::Computed(Availability::Medium) => self.medium,
            AvailabilityFilter::Computed(Availability::Low) => self.low,
            AvailabilityFilter::Pending => self.pending,
        }
    }
}

/// One provider's row in the per-provider summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSummary {
    pub name: String,
    pub total: usize,
    pub counts: AvailabilityCounts,
}

/// Every profile of one `hardware` version, in `id` order.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// `hardware`'s opaque snapshot version (its `ETag`), passed back as `since`.
    pub version: String,
    pub profiles: Vec<Arc<Profile>>,
    pub counts: AvailabilityCounts,
    /// Sorted by provider name; also the list of valid `provider` filter values.
    pub providers: Vec<ProviderSummary>,
}

impl Catalog {
    pub fn new(version: String, profiles: Vec<Arc<Profile>>) -> Self {
        let mut counts = AvailabilityCounts::default();
        let mut by_provider: BTreeMap<&str, ProviderSummary> = BTreeMap::new();
        for profile in &profiles {
            counts.add(profile.availability);
            let summary = by_provider
                .entry(profile.provider.as_str())
                .or_insert_with(|| ProviderSummary {
                    name: profile.provider.clone(),
                    total: 0,
                    counts: AvailabilityCounts::default(),
                });
            summary.total += 1;
            summary.counts.add(profile.availability);
        }
        let providers = by_provider.into_values().collect();
        Self {
            version,
            profiles,
            counts,
            providers,
        }
    }

    /// The provider's spelling in the catalog, matched case-insensitively and through the
    /// common short names ([`PROVIDER_ALIASES`]), so that `?provider=aws`, `?provider=amazon`
    /// and `?provider=Amazon` share one cached page.
    pub fn canonical_provider(&self, requested: &str) -> Option<&str> {
        let find = |wanted: &str| {
            self.providers
                .iter()
                .find(|summary| summary.name.eq_ignore_ascii_case(wanted))
                .map(|summary| summary.name.as_str())
        };
        find(requested).or_else(|| {
            PROVIDER_ALIASES
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(requested.trim()))
                .and_then(|(_, name)| find(name))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: i64, provider: &str, availability: Option<Availability>) -> Arc<Profile> {
        Arc::new(Profile {
            id,
            provider: provider.into(),
            name: format!("p{id}"),
            availability,
            computed_at: None,
            vcpus: None,
            memory_gib: None,
            gpus: None,
            recent: Vec::new(),
        })
    }

    #[test]
    fn counts_each_availability_overall_and_per_provider() {
        let catalog = Catalog::new(
            "v1".into(),
            vec![
                profile(1, "Azure", Some(Availability::High)),
                profile(2, "Amazon", Some(Availability::High)),
                profile(3, "Amazon", None),
                profile(4, "Amazon", Some(Availability::Low)),
            ],
        );
        assert_eq!(
            catalog.counts,
            AvailabilityCounts {
                high: 2,
                medium: 0,
                low: 1,
                pending: 1
            }
        );
        let names: Vec<_> = catalog.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Amazon", "Azure"]);
        assert_eq!(catalog.providers[0].total, 3);
        assert_eq!(catalog.providers[0].counts.pending, 1);
    }

    #[test]
    fn provider_lookup_ignores_case_and_rejects_unknown_names() {
        let catalog = Catalog::new("v1".into(), vec![profile(1, "Amazon", None)]);
        assert_eq!(catalog.canonical_provider("aMaZoN"), Some("Amazon"));
        assert_eq!(catalog.canonical_provider("Oracle"), None);
        assert_eq!(catalog.canonical_provider("aws"), Some("Amazon"));
        assert_eq!(catalog.canonical_provider("AWS"), Some("Amazon"));
        // An alias of a provider the catalog does not have stays unknown.
        assert_eq!(catalog.canonical_provider("gcp"), None);
    }
}
