//! Filtering, sorting and paging of the catalog for one page view.

use std::cmp::Ordering;
use std::sync::Arc;

use std::collections::BTreeMap;

use super::catalog::{AvailabilityCounts, Catalog};
use super::profile::{Availability, Profile};
use super::query::{PageQuery, SortKey, SortOrder};

/// The rows of one page and where that page sits in the filtered list.
#[derive(Debug)]
pub struct Listing {
    pub rows: Vec<Arc<Profile>>,
    /// Profiles matching the filters, across all pages.
    pub matching: usize,
    /// Per availability: profiles matching every filter except the availability one, so a
    /// chip says how many rows choosing it would show.
    pub availability_counts: AvailabilityCounts,
    /// Per provider (every provider of the catalog, in its order): profiles matching every
    /// filter except the provider one.
    pub provider_counts: Vec<(String, usize)>,
    pub page: u32,
    /// At least 1, even when nothing matches, so "page 1 of 1" reads naturally.
    pub pages: u32,
    /// 1-based position of the first row shown (0 when the page is empty).
    pub first_row: usize,
}

impl Listing {
    pub fn build(catalog: &Catalog, query: &PageQuery) -> Self {
        let needle = query.q.as_deref().map(str::to_lowercase);
        let mut availability_counts = AvailabilityCounts::default();
        let mut by_provider: BTreeMap<&str, usize> = catalog
            .providers
            .iter()
            .map(|summary| (summary.name.as_str(), 0))
            .collect();
        let mut matching: Vec<&Arc<Profile>> = Vec::new();
        // One pass for the rows and both sets of counts.
        for p in &catalog.profiles {
            let others = needle
                .as_deref()
                .is_none_or(|needle| p.name.to_lowercase().contains(needle))
                && meets_specs(p, query);
            if !others {
                continue;
            }
            let provider_ok = query
                .provider
                .as_deref()
                .is_none_or(|wanted| p.provider == wanted);
            let availability_ok = query.availability.is_none_or(|f| f.matches(p.availability));
            if provider_ok {
                availability_counts.add(p.availability);
            }
            if availability_ok && let Some(count) = by_provider.get_mut(p.provider.as_str()) {
                *count += 1;
            }
            if provider_ok && availability_ok {
                matching.push(p);
            }
        }
        let provider_counts = catalog
            .providers
            .iter()
            .map(|summary| {
                let count = by_provider.get(summary.name.as_str()).copied();
                (summary.name.clone(), count.unwrap_or_default())
            })
            .collect();
        matching.sort_by(|a, b| compare(a, b, query.sort, query.order));

        let per_page = query.per_page as usize;
        let pages = matching.len().div_ceil(per_page).max(1);
        let start = (query.page as usize - 1).saturating_mul(per_page);
        let rows: Vec<Arc<Profile>> = matching
            .iter()
            .skip(start)
            .take(per_page)
            .map(|p| Arc::clone(p))
            .collect();
        Self {
            first_row: if rows.is_empty() { 0 } else { start + 1 },
            rows,
            matching: matching.len(),
            availability_counts,
            provider_counts,
            page: query.page,
            pages: u32::try_from(pages).unwrap_or(u32::MAX),
        }
    }

    pub fn last_row(&self) -> usize {
        if self.rows.is_empty() {
            0
        } else {
            self.first_row + self.rows.len() - 1
        }
    }

    /// A page number beyond the last page (a stale bookmark): shown with a link back.
    pub fn past_the_end(&self) -> bool {
        self.page > self.pages
    }
}

/// The minimum vCPUs / memory / GPUs filters; a profile without the spec does not meet a
/// minimum that is set.
fn meets_specs(p: &Profile, query: &PageQuery) -> bool {
    query
        .min_vcpus
        .is_none_or(|min| p.vcpus.is_some_and(|n| n >= min))
        && query
            .min_memory_gib
            .is_none_or(|min| p.memory_gib.is_some_and(|gib| gib >= f64::from(min)))
        && query
            .min_gpus
            .is_none_or(|min| p.gpus.is_some_and(|n| n >= min))
}

/// "Best first" rank for ascending availability; not computed yet sorts last either way.
fn availability_rank(availability: Option<Availability>) -> Option<u8> {
    availability.map(|a| match a {
        Availability::High => 0,
        Availability::Medium => 1,
        Availability::Low => 2,
    })
}

/// Orders by the sort key, with missing values (not computed yet) always last, then by
/// provider, name and id so that paging is stable.
fn compare(a: &Profile, b: &Profile, key: SortKey, order: SortOrder) -> Ordering {
    let directed = |ordering: Ordering| match order {
        SortOrder::Asc => ordering,
        SortOrder::Desc => ordering.reverse(),
    };
    let primary = match key {
        SortKey::Provider => directed(a.provider.cmp(&b.provider)),
        SortKey::Name => directed(
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.name.cmp(&b.name)),
        ),
        SortKey::Availability => missing_last(
            availability_rank(a.availability),
            availability_rank(b.availability),
            directed,
        ),
        SortKey::ComputedAt => missing_last(a.computed_at, b.computed_at, directed),
        SortKey::Vcpus => missing_last(a.vcpus, b.vcpus, directed),
        SortKey::Memory => match (a.memory_gib, b.memory_gib) {
            (Some(x), Some(y)) => directed(x.total_cmp(&y)),
            (x, y) => missing_last(x.map(|_| ()), y.map(|_| ()), directed),
        },
        SortKey::Gpus => missing_last(a.gpus, b.gpus, directed),
    };
    primary
        .then_with(|| a.provider.cmp(&b.provider))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.id.cmp(&b.id))
}

fn missing_last<T: Ord>(
    a: Option<T>,
    b: Option<T>,
    directed: impl Fn(Ordering) -> Ordering,
) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => directed(a.cmp(&b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::AvailabilityFilter;

    fn catalog() -> Catalog {
        let rows = [
            (
                1,
                "Amazon",
                "c5",
                Some(Availability::High),
                Some(300),
                4,
                8.0,
                0,
            ),
            (2, "Azure", "H16mr", None, None, 16, 224.0, 0),
            (
                3,
                "Amazon",
                "m5",
                Some(Availability::Low),
                Some(100),
                2,
                0.5,
                1,
            ),
            (
                4,
                "Google",
                "n2-c5x",
                Some(Availability::Medium),
                Some(200),
                8,
                32.0,
                4,
            ),
        ];
        Catalog::new(
            "v".into(),
            rows.into_iter()
                .map(
                    |(id, provider, name, availability, at, vcpus, memory, gpus)| {
                        Arc::new(Profile {
                            id,
                            provider: provider.into(),
                            name: name.into(),
                            availability,
                            computed_at: at.map(|s| {
                                time::OffsetDateTime::from_unix_timestamp(1_700_000_000 + s)
                                    .unwrap()
                            }),
                            vcpus: Some(vcpus),
                            memory_gib: Some(memory),
                            gpus: Some(gpus),
                            recent: Vec::new(),
                        })
                    },
                )
                .collect(),
        )
    }

    fn ids(listing: &Listing) -> Vec<i64> {
        listing.rows.iter().map(|p| p.id).collect()
    }

    fn query(raw: &str) -> PageQuery {
        PageQuery::parse(Some(raw)).unwrap()
    }

    #[test]
    fn default_order_is_by_provider_then_name() {
        assert_eq!(
            ids(&Listing::build(&catalog(), &PageQuery::default())),
            [1, 3, 2, 4]
        );
    }

    #[test]
    fn availability_sorts_best_first_and_pending_last_in_both_directions() {
        let c = catalog();
        assert_eq!(
            ids(&Listing::build(&c, &query("sort=availability"))),
            [1, 4, 3, 2]
        );
        assert_eq!(
            ids(&Listing::build(&c, &query("sort=availability&order=desc"))),
            [3, 4, 1, 2]
        );
        assert_eq!(
            ids(&Listing::build(&c, &query("sort=computed_at"))),
            [3, 4, 1, 2]
        );
    }

    #[test]
    fn filters_combine_and_search_ignores_case() {
        let c = catalog();
        assert_eq!(ids(&Listing::build(&c, &query("q=C5"))), [1, 4]);
        assert_eq!(
            ids(&Listing::build(&c, &query("q=c5&provider=Google"))),
            [4]
        );
        let pending = PageQuery {
            availability: Some(AvailabilityFilter::Pending),
            ..PageQuery::default()
        };
        assert_eq!(ids(&Listing::build(&c, &pending)), [2]);
    }

    #[test]
    fn specs_sort_and_filter_by_minimum() {
        let c = catalog();
        assert_eq!(ids(&Listing::build(&c, &query("sort=vcpus"))), [3, 1, 4, 2]);
        assert_eq!(
            ids(&Listing::build(&c, &query("sort=memory&order=desc"))),
            [2, 4, 1, 3]
        );
        assert_eq!(
            ids(&Listing::build(&c, &query("sort=gpus&order=desc"))),
            [4, 3, 1, 2]
        );
        assert_eq!(ids(&Listing::build(&c, &query("min_vcpus=8"))), [2, 4]);
        assert_eq!(ids(&Listing::build(&c, &query("min_memory=8"))), [1, 2, 4]);
        assert_eq!(
            ids(&Listing::build(&c, &query("min_gpus=1&min_vcpus=4"))),
            [4]
        );
    }

    #[test]
    fn counts_follow_every_filter_but_their_own() {
        let c = catalog();
        let listing = Listing::build(&c, &query("provider=Amazon&availability=HIGH"));
        assert_eq!(ids(&listing), [1]);
        // Availability chips: within Amazon, whatever the availability.
        let counts = listing.availability_counts;
        assert_eq!(
            (counts.high, counts.medium, counts.low, counts.pending),
            (1, 0, 1, 0)
        );
        // Provider chips: HIGH profiles of each provider, every provider listed.
        assert_eq!(
            listing.provider_counts,
            [
                ("Amazon".into(), 1),
                ("Azure".into(), 0),
                ("Google".into(), 0)
            ]
        );
        let searched = Listing::build(&c, &query("q=c5"));
        assert_eq!(searched.availability_counts.medium, 1);
        assert_eq!(searched.availability_counts.low, 0);
    }

    #[test]
    fn pages_split_the_sorted_list_and_report_positions() {
        let c = catalog();
        let second = Listing::build(&c, &query("per_page=3&page=2"));
        assert_eq!(ids(&second), [4]);
        assert_eq!(
            (
                second.pages,
                second.matching,
                second.first_row,
                second.last_row()
            ),
            (2, 4, 4, 4)
        );
        let beyond = Listing::build(&c, &query("per_page=3&page=9"));
        assert!(beyond.past_the_end());
        assert!(beyond.rows.is_empty());
        let none = Listing::build(&c, &query("q=zzz"));
        assert_eq!((none.pages, none.matching, none.first_row), (1, 0, 0));
    }
}
