//! The dashboard's query string. A bad value of a known parameter is a [`QueryError`] that
//! the page shows in a 400, never a guess and never a 500. Unknown parameters (`utm_source`,
//! `fbclid`, `gclid` and whatever else a link picks up when it is shared) are ignored and
//! left out of the canonical form, so a shared link works and shares the cached page.
//!
//! A parsed [`PageQuery`] also has a canonical form (defaults dropped, fixed order), which
//! is both the page-cache key and the way every link on the page is written, so that
//! equivalent URLs share one cached page.

use std::fmt::{Display, Write as _};
use std::ops::RangeInclusive;

use serde::Deserialize;
use serde::de::value::MapDeserializer;
use thiserror::Error;

use super::catalog::Catalog;
use super::profile::Availability;

pub const DEFAULT_PER_PAGE: u32 = 50;
pub const MAX_PER_PAGE: u32 = 500;
pub const MAX_SEARCH_CHARS: usize = 100;
/// Longer query strings are rejected before parsing; the longest valid one is far shorter.
pub const MAX_QUERY_BYTES: usize = 2048;

/// Spec filters accept up to this (the largest instance has a few thousand GiB).
pub const MAX_SPEC_FILTER: u32 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    #[error("parameter '{0}' is given more than once")]
    Repeated(&'static str),
    #[error("'{value}' is not a valid value for '{parameter}': expected {expected}")]
    InvalidValue {
        parameter: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("the search text 'q' is longer than {MAX_SEARCH_CHARS} characters")]
    SearchTooLong,
    #[error("the query string is longer than {MAX_QUERY_BYTES} bytes")]
    QueryTooLong,
    #[error("the query string is not valid URL encoding (UTF-8 expected)")]
    BadEncoding,
    #[error("unknown provider '{requested}' (known providers: {known})")]
    UnknownProvider { requested: String, known: String },
    /// Whatever else serde might report while gathering the parameters; every field takes
    /// any string, so nothing is known to reach this.
    #[error("the query string cannot be read: {0}")]
    Unreadable(String),
}

/// `availability=` filter: one of the computed values, or PENDING for "not computed yet".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AvailabilityFilter {
    Computed(Availability),
    Pending,
}

impl AvailabilityFilter {
    /// In the order the page lists them: best first, not computed yet last.
    pub const ALL: [AvailabilityFilter; 4] = [
        Self::Computed(Availability::High),
        Self::Computed(Availability::Medium),
        Self::Computed(Availability::Low),
        Self::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Computed(availability) => availability.as_str(),
            Self::Pending => "PENDING",
        }
    }

    pub fn matches(self, availability: Option<Availability>) -> bool {
        match self {
            Self::Computed(wanted) => availability == Some(wanted),
            Self::Pending => availability.is_none(),
        }
    }

    fn parse(value: &str) -> Option<Self> {
        let upper = value.to_ascii_uppercase();
        match upper.as_str() {
            "PENDING" => Some(Self::Pending),
            _ => Availability::ALL
                .into_iter()
                .find(|a| a.as_str() == upper)
                .map(Self::Computed),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    #[default]
    Provider,
    Name,
    /// HIGH first when ascending ("best first"), not-yet-computed last.
    Availability,
    /// Oldest first when ascending; never computed last either way.
    ComputedAt,
    Vcpus,
    Memory,
    Gpus,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        Self::Provider,
        Self::Name,
        Self::Availability,
        Self::ComputedAt,
        Self::Vcpus,
        Self::Memory,
        Self::Gpus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Name => "name",
            Self::Availability => "availability",
            Self::ComputedAt => "computed_at",
            Self::Vcpus => "vcpus",
            Self::Memory => "memory",
            Self::Gpus => "gpus",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }

    pub fn reversed(self) -> Self {
        match self {
            Self::Asc => Self::Desc,
            Self::Desc => Self::Asc,
        }
    }
}

/// A validated dashboard query. `provider` is not yet checked against the catalog (that
/// needs the snapshot): see [`PageQuery::resolve_provider`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageQuery {
    pub provider: Option<String>,
    pub availability: Option<AvailabilityFilter>,
    /// Case-insensitive substring of the profile name; stored trimmed, never empty.
    pub q: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
    /// At least this many vCPUs / GiB of memory / GPUs; `None` (or 0) is no filter.
    pub min_vcpus: Option<u32>,
    pub min_memory_gib: Option<u32>,
    pub min_gpus: Option<u32>,
}

impl Default for PageQuery {
    fn default() -> Self {
        Self {
            provider: None,
            availability: None,
            q: None,
            sort: SortKey::default(),
            order: SortOrder::default(),
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            min_vcpus: None,
            min_memory_gib: None,
            min_gpus: None,
        }
    }
}

impl PageQuery {
    /// Parses the raw query string (`None` when the URL has no `?`) in three steps: decode
    /// the pairs strictly, let serde gather the known parameters (rejecting a repeated one),
    /// then validate each value.
    pub fn parse(raw: Option<&str>) -> Result<Self, QueryError> {
        let Some(raw) = raw else {
            return Ok(Self::default());
        };
        if raw.len() > MAX_QUERY_BYTES {
            return Err(QueryError::QueryTooLong);
        }
        let pairs = decode_pairs(raw)?;
        let given =
            GivenQuery::deserialize(MapDeserializer::<_, QueryError>::new(pairs.into_iter()))?;
        given.validate()
    }

    /// [`PageQuery::parse`] then [`PageQuery::resolve_provider`]: what every route that
    /// takes the dashboard's parameters does first.
    pub fn parse_for(raw: Option<&str>, catalog: Option<&Catalog>) -> Result<Self, QueryError> {
        let mut query = Self::parse(raw)?;
        query.resolve_provider(catalog)?;
        Ok(query)
    }

    /// Replaces the requested provider with the catalog's spelling, or fails naming the
    /// known providers. Before the first snapshot (`None`) any name passes: there is
    /// nothing to check it against, and the page says it is waiting for data anyway.
    pub fn resolve_provider(&mut self, catalog: Option<&Catalog>) -> Result<(), QueryError> {
        let (Some(requested), Some(catalog)) = (&self.provider, catalog) else {
            return Ok(());
        };
        match catalog.canonical_provider(requested) {
            Some(canonical) => {
                self.provider = Some(canonical.to_owned());
                Ok(())
            }
            None => Err(QueryError::UnknownProvider {
                requested: truncate_for_message(requested),
                known: catalog
                    .providers
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The canonical query string (without `?`): non-default parameters in a fixed order.
    /// Empty for the default page, so `/` and `/?page=1` share one cache entry.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        let mut push = |key: &str, value: &str| {
            if !out.is_empty() {
                out.push('&');
            }
            let _ = write!(out, "{key}={}", urlencoding::encode(value));
        };
        if let Some(provider) = &self.provider {
            push("provider", provider);
        }
        if let Some(availability) = self.availability {
            push("availability", availability.as_str());
        }
        if let Some(q) = &self.q {
            push("q", q);
        }
        for (key, minimum) in [
            ("min_vcpus", self.min_vcpus),
            ("min_memory", self.min_memory_gib),
            ("min_gpus", self.min_gpus),
        ] {
            if let Some(minimum) = minimum {
                push(key, &minimum.to_string());
            }
        }
        if self.sort != SortKey::default() {
            push("sort", self.sort.as_str());
        }
        if self.order != SortOrder::default() {
            push("order", self.order.as_str());
        }
        if self.page != 1 {
            push("page", &self.page.to_string());
        }
        if self.per_page != DEFAULT_PER_PAGE {
            push("per_page", &self.per_page.to_string());
        }
        out
    }

    /// The URL of this query (`/` plus the canonical query string), for links.
    pub fn href(&self) -> String {
        let canonical = self.canonical();
        if canonical.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{canonical}")
        }
    }

    pub fn with_page(&self, page: u32) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// The link behind a column header: sort by `key`, flipping the order when the table
    /// is already sorted by it, and back to page 1.
    pub fn with_sort(&self, key: SortKey) -> Self {
        let order = if self.sort == key {
            self.order.reversed()
        } else {
            SortOrder::Asc
        };
        Self {
            sort: key,
            order,
            page: 1,
            ..self.clone()
        }
    }

    /// This query with only the given filters (used by the summary's count links).
    pub fn filtered(
        &self,
        provider: Option<&str>,
        availability: Option<AvailabilityFilter>,
    ) -> Self {
        Self {
            provider: provider.map(str::to_owned),
            availability,
            page: 1,
            ..self.clone()
        }
    }
}

fn invalid(parameter: &'static str, value: &str, expected: &'static str) -> QueryError {
    QueryError::InvalidValue {
        parameter,
        value: truncate_for_message(value),
        expected,
    }
}

/// Error messages echo the bad value (escaped by the template), but never a huge one.
fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let mut short: String = value.chars().take(MAX).collect();
        short.push('…');
        short
    }
}

/// The known parameters as given, before validation. Unknown ones (tracking parameters and
/// anything else a shared link carries) are skipped by serde; a second value of a known one
/// is serde's `duplicate_field`, which [`QueryError`] turns into [`QueryError::Repeated`].
/// An absent parameter is the empty string: the page's own filter form submits `provider=`
/// for "all providers", so empty already has to mean absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct GivenQuery {
    provider: String,
    availability: String,
    q: String,
    sort: String,
    order: String,
    page: String,
    per_page: String,
    min_vcpus: String,
    min_memory: String,
    min_gpus: String,
}

impl GivenQuery {
    /// Each given value checked on its own; the first bad one is the error.
    fn validate(self) -> Result<PageQuery, QueryError> {
        let defaults = PageQuery::default();
        Ok(PageQuery {
            provider: given(&self.provider).map(provider).transpose()?,
            availability: given(&self.availability).map(availability).transpose()?,
            q: given(&self.q).map(search).transpose()?,
            sort: given(&self.sort)
                .map(sort)
                .transpose()?
                .unwrap_or(defaults.sort),
            order: given(&self.order)
                .map(order)
                .transpose()?
                .unwrap_or(defaults.order),
            page: given(&self.page)
                .map(|value| number("page", value, 1..=u32::MAX, "a whole number from 1"))
                .transpose()?
                .unwrap_or(defaults.page),
            per_page: given(&self.per_page)
                .map(|value| {
                    number(
                        "per_page",
                        value,
                        1..=MAX_PER_PAGE,
                        "a whole number from 1 to 500",
                    )
                })
                .transpose()?
                .unwrap_or(defaults.per_page),
            min_vcpus: spec_filter("min_vcpus", &self.min_vcpus)?,
            min_memory_gib: spec_filter("min_memory", &self.min_memory)?,
            min_gpus: spec_filter("min_gpus", &self.min_gpus)?,
        })
    }
}

/// The value trimmed, `None` when nothing is left (empty counts as absent).
fn given(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|value| !value.is_empty())
}

fn provider(value: &str) -> Result<String, QueryError> {
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(invalid("provider", value, "a provider name"));
    }
    Ok(value.to_owned())
}

fn availability(value: &str) -> Result<AvailabilityFilter, QueryError> {
    AvailabilityFilter::parse(value)
        .ok_or_else(|| invalid("availability", value, "HIGH, MEDIUM, LOW or PENDING"))
}

fn search(value: &str) -> Result<String, QueryError> {
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(QueryError::SearchTooLong);
    }
    Ok(value.to_owned())
}

fn sort(value: &str) -> Result<SortKey, QueryError> {
    SortKey::ALL
        .into_iter()
        .find(|key| key.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| {
            invalid(
                "sort",
                value,
                "name, provider, availability, computed_at, vcpus, memory or gpus",
            )
        })
}

fn order(value: &str) -> Result<SortOrder, QueryError> {
    [SortOrder::Asc, SortOrder::Desc]
        .into_iter()
        .find(|order| order.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| invalid("order", value, "asc or desc"))
}

/// A whole number in `range`, or the error naming the parameter and what it takes.
fn number(
    parameter: &'static str,
    value: &str,
    range: RangeInclusive<u32>,
    expected: &'static str,
) -> Result<u32, QueryError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| invalid(parameter, value, expected))
}

/// An "at least" spec filter; 0 filters nothing, so it is the same page as no filter.
fn spec_filter(parameter: &'static str, value: &str) -> Result<Option<u32>, QueryError> {
    let Some(value) = given(value) else {
        return Ok(None);
    };
    let minimum = number(
        parameter,
        value,
        0..=MAX_SPEC_FILTER,
        "a whole number from 0",
    )?;
    Ok((minimum > 0).then_some(minimum))
}

/// The `name=value` pairs of the query string, decoded, in order. Decoding is strict
/// (invalid UTF-8 is [`QueryError::BadEncoding`]), which is why this is not left to
/// `serde_urlencoded`: it replaces bad bytes with U+FFFD and would search for them.
fn decode_pairs(raw: &str) -> Result<Vec<(String, String)>, QueryError> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, then percent-decoding.
fn decode(raw: &str) -> Result<String, QueryError> {
    let spaced = raw.replace('+', " ");
    urlencoding::decode(&spaced)
        .map(|decoded| decoded.into_owned())
        .map_err(|_| QueryError::BadEncoding)
}

/// Lets serde report into [`QueryError`] directly, so a repeated parameter keeps its name.
impl serde::de::Error for QueryError {
    fn custom<T: Display>(message: T) -> Self {
        Self::Unreadable(message.to_string())
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::Repeated(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_query_and_an_empty_query_are_the_default_page() {
        assert_eq!(PageQuery::parse(None).unwrap(), PageQuery::default());
        assert_eq!(PageQuery::parse(Some("")).unwrap(), PageQuery::default());
        assert_eq!(PageQuery::default().canonical(), "");
    }

    #[test]
    fn parses_every_parameter_case_insensitively_where_documented() {
        let query = PageQuery::parse(Some(
            "provider=Amazon&availability=high&q=c5+large&sort=Name&order=DESC&page=3&per_page=20",
        ))
        .unwrap();
        assert_eq!(query.provider.as_deref(), Some("Amazon"));
        assert_eq!(
            query.availability,
            Some(AvailabilityFilter::Computed(Availability::High))
        );
        assert_eq!(query.q.as_deref(), Some("c5 large"));
        assert_eq!(query.sort, SortKey::Name);
        assert_eq!(query.order, SortOrder::Desc);
        assert_eq!((query.page, query.per_page), (3, 20));
    }

    #[test]
    fn empty_values_from_the_filter_form_mean_no_filter() {
        let query = PageQuery::parse(Some("provider=&availability=&q=+&sort=&order=")).unwrap();
        assert_eq!(query, PageQuery::default());
    }

    #[test]
    fn canonical_form_drops_defaults_and_orders_parameters() {
        let a = PageQuery::parse(Some("page=1&per_page=50&q=x&provider=Azure")).unwrap();
        let b = PageQuery::parse(Some("provider=Azure&q=x")).unwrap();
        assert_eq!(a.canonical(), "provider=Azure&q=x");
        assert_eq!(a.canonical(), b.canonical());
        let c = PageQuery::parse(Some("q=a%26b%3D")).unwrap();
        assert_eq!(c.q.as_deref(), Some("a&b="));
        assert_eq!(PageQuery::parse(Some(&c.canonical())).unwrap(), c);
    }

    #[test]
    fn ignores_unknown_parameters_and_rejects_repeated_ones() {
        let shared = PageQuery::parse(Some(
            "utm_source=news&provider=Azure&fbclid=x1&gclid=y2&utm_campaign=a%20b&colour=red",
        ))
        .unwrap();
        assert_eq!(shared.canonical(), "provider=Azure");
        assert_eq!(
            PageQuery::parse(Some("page=1&page=2")),
            Err(QueryError::Repeated("page"))
        );
        // An empty value is absent, but it still counts as given once.
        assert_eq!(
            PageQuery::parse(Some("provider=&provider=Azure")),
            Err(QueryError::Repeated("provider"))
        );
        // Whatever a link carries twice that the page does not know is no error either.
        assert_eq!(
            PageQuery::parse(Some("utm_source=a&utm_source=b&pa%67e=2")).unwrap(),
            PageQuery::default().with_page(2)
        );
        assert_eq!(
            PageQuery::parse(Some("pa%67e=2&page=3")),
            Err(QueryError::Repeated("page"))
        );
    }

    #[test]
    fn rejects_bad_values_naming_the_parameter_and_value() {
        for (raw, parameter) in [
            ("page=0", "page"),
            ("page=-1", "page"),
            ("page=two", "page"),
            ("per_page=501", "per_page"),
            ("per_page=0", "per_page"),
            ("availability=SOMETIMES", "availability"),
            ("sort=price", "sort"),
            ("order=up", "order"),
            ("min_vcpus=-1", "min_vcpus"),
            ("min_memory=lots", "min_memory"),
            ("min_gpus=2.5", "min_gpus"),
        ] {
            match PageQuery::parse(Some(raw)) {
                Err(QueryError::InvalidValue { parameter: p, .. }) => {
                    assert_eq!(p, parameter, "{raw}")
                }
                other => panic!("{raw}: expected InvalidValue, got {other:?}"),
            }
        }
        let message = PageQuery::parse(Some("page=two")).unwrap_err().to_string();
        assert!(
            message.contains("'two'") && message.contains("'page'"),
            "{message}"
        );
    }

    #[test]
    fn rejects_overlong_search_and_query_and_bad_encoding() {
        let long = "x".repeat(MAX_SEARCH_CHARS + 1);
        assert_eq!(
            PageQuery::parse(Some(&format!("q={long}"))),
            Err(QueryError::SearchTooLong)
        );
        let ok = "é".repeat(MAX_SEARCH_CHARS);
        assert!(PageQuery::parse(Some(&format!("q={}", urlencoding::encode(&ok)))).is_ok());
        assert_eq!(
            PageQuery::parse(Some(&"a".repeat(MAX_QUERY_BYTES + 1))),
            Err(QueryError::QueryTooLong)
        );
        assert_eq!(
            PageQuery::parse(Some("q=%FF")),
            Err(QueryError::BadEncoding)
        );
    }

    #[test]
    fn spec_filters_parse_and_round_trip_and_zero_means_none() {
        let query = PageQuery::parse(Some("min_gpus=1&min_vcpus=8&min_memory=32")).unwrap();
        assert_eq!(
            (query.min_vcpus, query.min_memory_gib, query.min_gpus),
            (Some(8), Some(32), Some(1))
        );
        assert_eq!(query.canonical(), "min_vcpus=8&min_memory=32&min_gpus=1");
        assert_eq!(PageQuery::parse(Some(&query.canonical())).unwrap(), query);
        assert_eq!(
            PageQuery::parse(Some("min_vcpus=0")).unwrap(),
            PageQuery::default()
        );
        assert_eq!(
            PageQuery::parse(Some("sort=memory&order=desc"))
                .unwrap()
                .sort,
            SortKey::Memory
        );
    }

    #[test]
    fn sorting_by_the_current_column_flips_the_order_and_resets_the_page() {
        let query = PageQuery::parse(Some("sort=name&page=4")).unwrap();
        let flipped = query.with_sort(SortKey::Name);
        assert_eq!((flipped.order, flipped.page), (SortOrder::Desc, 1));
        assert_eq!(query.with_sort(SortKey::Availability).order, SortOrder::Asc);
    }
}
