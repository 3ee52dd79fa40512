//! The query string of `GET /hardware/`, parsed strictly: an unknown parameter or a bad value
//! is a 400 that names it, so a typo never silently returns the unfiltered catalog.

use crate::availability::Availability;
use crate::snapshot::Snapshot;

pub const MAX_PER_PAGE: usize = 1000;
/// The largest `page` accepted: far past the last page of any catalog (those answer `[]`), and
/// a bound the OpenAPI document can state exactly.
pub const MAX_PAGE: usize = 1_000_000_000;
pub const DEFAULT_PER_PAGE: usize = 100;
pub const MAX_SEARCH_LEN: usize = 100;

/// `availability=` also accepts PENDING: profiles not computed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AvailabilityFilter {
    Is(Availability),
    Pending,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ListQuery {
    /// As spelled in the catalog.
    pub provider: Option<String>,
    pub availability: Option<AvailabilityFilter>,
    /// Lower-cased.
    pub q: Option<String>,
    /// `(page, per_page)`, both >= 1, when the caller asked for paging.
    pub paging: Option<(usize, usize)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    #[error("unknown query parameter '{0}' (known: provider, availability, q, page, per_page)")]
    UnknownParameter(String),
    #[error("query parameter '{0}' is given more than once")]
    Repeated(String),
    #[error("unknown provider '{given}' (known: {known})")]
    UnknownProvider { given: String, known: String },
    #[error("availability must be HIGH, MEDIUM, LOW or PENDING, not '{0}'")]
    BadAvailability(String),
    #[error("q is longer than {MAX_SEARCH_LEN} characters")]
    SearchTooLong,
    #[error("page must be a whole number from 1 to {MAX_PAGE}, not '{0}'")]
    BadPage(String),
    #[error("per_page must be a whole number from 1 to {MAX_PER_PAGE}, not '{0}'")]
    BadPerPage(String),
    #[error("the query string is not valid URL encoding")]
    Malformed,
}

impl QueryError {
    /// The query parameter at fault (the `parameter` member of the 400), when there is one.
    pub fn parameter(&self) -> Option<&str> {
        match self {
            Self::UnknownParameter(name) | Self::Repeated(name) => Some(name),
            Self::UnknownProvider { .. } => Some("provider"),
            Self::BadAvailability(_) => Some("availability"),
            Self::SearchTooLong => Some("q"),
            Self::BadPage(_) => Some("page"),
            Self::BadPerPage(_) => Some("per_page"),
            Self::Malformed => None,
        }
    }
}

impl ListQuery {
    pub fn parse(raw: Option<&str>, snapshot: &Snapshot) -> Result<Self, QueryError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| QueryError::Malformed)?;
        let mut query = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        let mut page = None;
        let mut per_page = None;
        for (key, value) in &pairs {
            if seen.contains(&key.as_str()) {
                return Err(QueryError::Repeated(truncate(key)));
            }
            match key.as_str() {
                "provider" => {
                    let known = snapshot.known_provider(value.trim()).ok_or_else(|| {
                        QueryError::UnknownProvider {
                            given: truncate(value),
                            known: snapshot.providers.join(", "),
                        }
                    })?;
                    query.provider = Some(known.to_owned());
                }
                "availability" => {
                    let value = value.trim();
                    query.availability = Some(if value.eq_ignore_ascii_case("pending") {
                        AvailabilityFilter::Pending
                    } else {
                        AvailabilityFilter::Is(
                            value
                                .parse()
                                .map_err(|_| QueryError::BadAvailability(truncate(value)))?,
                        )
                    });
                }
                "q" => {
                    if value.chars().count() > MAX_SEARCH_LEN {
                        return Err(QueryError::SearchTooLong);
                    }
                    let q = value.trim().to_lowercase();
                    query.q = (!q.is_empty()).then_some(q);
                }
                "page" => {
                    page = Some(
                        value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .filter(|n| (1..=MAX_PAGE).contains(n))
                            .ok_or_else(|| QueryError::BadPage(truncate(value)))?,
                    );
                }
                "per_page" => {
                    per_page = Some(
                        value
                            .trim()
                            .parse::<usize>()
                            .ok()
                            .filter(|n| (1..=MAX_PER_PAGE).contains(n))
                            .ok_or_else(|| QueryError::BadPerPage(truncate(value)))?,
                    );
                }
                other => return Err(QueryError::UnknownParameter(truncate(other))),
            }
            seen.push(key);
        }
        if page.is_some() || per_page.is_some() {
            query.paging = Some((page.unwrap_or(1), per_page.unwrap_or(DEFAULT_PER_PAGE)));
        }
        Ok(query)
    }

    /// A canonical form: two spellings of the same query share one cache entry.
    pub fn cache_key(&self) -> String {
        format!(
            "p={:?}&a={:?}&q={:?}&pg={:?}",
            self.provider, self.availability, self.q, self.paging
        )
    }

    /// The query string for another page of the same results (for `Link` headers).
    pub fn page_link(&self, page: usize, per_page: usize) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(provider) = &self.provider {
            pairs.push(("provider", provider.clone()));
        }
        if let Some(availability) = self.availability {
            pairs.push((
                "availability",
                match availability {
                    AvailabilityFilter::Is(a) => a.as_str().to_owned(),
                    AvailabilityFilter::Pending => "PENDING".to_owned(),
                },
            ));
        }
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        pairs.push(("page", page.to_string()));
        pairs.push(("per_page", per_page.to_string()));
        serde_urlencoded::to_string(pairs).expect("strings always encode")
    }
}

/// Echoes user input back in messages without letting it be arbitrarily long.
fn truncate(value: &str) -> String {
    let mut short: String = value.chars().take(60).collect();
    if short.len() < value.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileRow;

    fn snapshot() -> Snapshot {
        let row = |id, provider: &str| ProfileRow {
            id,
            provider: provider.into(),
            name: format!("n{id}"),
            availability: None,
            computed_at: None,
            vcpus: 1,
            memory_gib: 1.0,
            gpus: 0,
            recent: Vec::new(),
            seq: id,
        };
        Snapshot::new("db".into(), vec![row(1, "Amazon"), row(2, "Azure")])
    }

    fn parse(raw: &str) -> Result<ListQuery, QueryError> {
        ListQuery::parse(Some(raw), &snapshot())
    }

    #[test]
    fn filters_and_paging_parse_and_normalise() {
        let query =
            parse("provider=amazon&availability=high&q=%20C5%20&page=2&per_page=10").unwrap();
        assert_eq!(query.provider.as_deref(), Some("Amazon"));
        assert_eq!(
            query.availability,
            Some(AvailabilityFilter::Is(Availability::High))
        );
        assert_eq!(query.q.as_deref(), Some("c5"));
        assert_eq!(query.paging, Some((2, 10)));
        assert_eq!(parse("page=3").unwrap().paging, Some((3, DEFAULT_PER_PAGE)));
        assert_eq!(
            parse("availability=Pending").unwrap().availability,
            Some(AvailabilityFilter::Pending)
        );
        assert_eq!(parse("").unwrap(), ListQuery::default());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        assert_eq!(
            parse("color=red"),
            Err(QueryError::UnknownParameter("color".into()))
        );
        assert_eq!(
            parse("page=1&page=2"),
            Err(QueryError::Repeated("page".into()))
        );
        assert!(matches!(
            parse("provider=Oracle"),
            Err(QueryError::UnknownProvider { .. })
        ));
        assert_eq!(
            parse("availability=SOMEWHAT"),
            Err(QueryError::BadAvailability("SOMEWHAT".into()))
        );
        assert_eq!(parse("page=0"), Err(QueryError::BadPage("0".into())));
        assert_eq!(parse("page=-1"), Err(QueryError::BadPage("-1".into())));
        assert_eq!(
            parse("per_page=1001"),
            Err(QueryError::BadPerPage("1001".into()))
        );
        assert_eq!(
            parse(&format!("q={}", "x".repeat(101))),
            Err(QueryError::SearchTooLong)
        );
        let message = parse("provider=Oracle").unwrap_err().to_string();
        assert!(message.contains("Amazon, Azure"), "{message}");
    }

    #[test]
    fn equivalent_queries_share_a_cache_key_and_links_round_trip() {
        let a = parse("provider=AMAZON&q=C5").unwrap();
        let b = parse("q=c5&provider=amazon").unwrap();
        assert_eq!(a.cache_key(), b.cache_key());
        let link = a.page_link(3, 20);
        assert_eq!(parse(&link).unwrap().paging, Some((3, 20)));
        assert_eq!(parse(&link).unwrap().provider, a.provider);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Providers as a caller may spell them: any case, spaces around.
        fn provider() -> impl Strategy<Value = (String, &'static str)> {
            (
                prop::sample::select(vec!["Amazon", "Azure"]),
                any::<u64>(),
                "[ ]{0,2}",
            )
                .prop_map(|(known, mask, pad)| {
                    let spelled: String = known
                        .chars()
                        .enumerate()
                        .map(|(i, c)| {
                            if mask >> (i % 64) & 1 == 1 {
                                c.to_ascii_uppercase()
                            } else {
                                c.to_ascii_lowercase()
                            }
                        })
                        .collect();
                    (format!("{pad}{spelled}{pad}"), known)
                })
        }

        fn availability() -> impl Strategy<Value = (String, AvailabilityFilter)> {
            prop::sample::select(vec![
                ("high", AvailabilityFilter::Is(Availability::High)),
                ("Medium", AvailabilityFilter::Is(Availability::Medium)),
                ("LOW", AvailabilityFilter::Is(Availability::Low)),
                ("pending", AvailabilityFilter::Pending),
                (" Pending ", AvailabilityFilter::Pending),
            ])
            .prop_map(|(text, filter)| (text.to_owned(), filter))
        }

        /// A valid query as (parameters in some order, the query they mean).
        fn valid_query() -> impl Strategy<Value = (Vec<(String, String)>, ListQuery)> {
            (
                prop::option::of(provider()),
                prop::option::of(availability()),
                prop::option::of(prop::collection::vec(any::<char>(), 0..=MAX_SEARCH_LEN)),
                prop::option::of(1..=MAX_PAGE),
                prop::option::of(1..=MAX_PER_PAGE),
                any::<u64>(),
            )
                .prop_map(|(provider, availability, q, page, per_page, order)| {
                    let mut pairs = Vec::new();
                    let mut query = ListQuery::default();
                    if let Some((text, known)) = provider {
                        pairs.push(("provider".to_owned(), text));
                        query.provider = Some(known.to_owned());
                    }
                    if let Some((text, filter)) = availability {
                        pairs.push(("availability".to_owned(), text));
                        query.availability = Some(filter);
                    }
                    if let Some(chars) = q {
                        let text: String = chars.into_iter().collect();
                        let normalised = text.trim().to_lowercase();
                        query.q = (!normalised.is_empty()).then_some(normalised);
                        pairs.push(("q".to_owned(), text));
                    }
                    if let Some(page) = page {
                        pairs.push(("page".to_owned(), page.to_string()));
                    }
                    if let Some(per_page) = per_page {
                        pairs.push(("per_page".to_owned(), per_page.to_string()));
                    }
                    if page.is_some() || per_page.is_some() {
                        query.paging =
                            Some((page.unwrap_or(1), per_page.unwrap_or(DEFAULT_PER_PAGE)));
                    }
                    // Any order of the parameters means the same query.
                    let len = pairs.len().max(1);
                    pairs.rotate_left((order as usize) % len);
                    if order & 1 == 1 {
                        pairs.reverse();
                    }
                    (pairs, query)
                })
        }

        proptest! {
            /// Any query string at all: a query, or an error naming the parameter at fault
            /// (the 400's `parameter`), never a panic.
            #[test]
            fn any_query_string_parses_or_names_the_bad_parameter(raw in any::<String>()) {
                check_any(&raw)?;
            }

            /// The same for strings made of the query's own vocabulary, which reach far more
            /// of the parser than random text does.
            #[test]
            fn query_like_strings_parse_or_name_the_bad_parameter(
                raw in "((provider|availability|q|page|per_page|x)=[a-zA-Z0-9 %+.-]{0,6}&?){0,5}"
            ) {
                check_any(&raw)?;
            }

            /// Valid queries, written with `serde_urlencoded` in any order, parse to what they
            /// mean; their `Link` for another page parses back to the same query on that page,
            /// and two spellings of one query share a cache key.
            #[test]
            fn valid_queries_round_trip((pairs, expected) in valid_query(), page in 1..=MAX_PAGE) {
                let raw = serde_urlencoded::to_string(&pairs).unwrap();
                let parsed = parse(&raw).map_err(|err| TestCaseError::fail(format!("{raw}: {err}")))?;
                prop_assert_eq!(&parsed, &expected);
                prop_assert_eq!(parsed.cache_key(), expected.cache_key());
                let per_page = expected.paging.map_or(DEFAULT_PER_PAGE, |(_, per_page)| per_page);
                let link = parse(&parsed.page_link(page, per_page)).unwrap();
                prop_assert_eq!(link, ListQuery { paging: Some((page, per_page)), ..expected });
            }
        }

        fn check_any(raw: &str) -> Result<(), TestCaseError> {
            match parse(raw) {
                Ok(query) => {
                    if let Some((page, per_page)) = query.paging {
                        prop_assert!((1..=MAX_PAGE).contains(&page));
                        prop_assert!((1..=MAX_PER_PAGE).contains(&per_page));
                    }
                }
                Err(err) => {
                    let message = err.to_string();
                    match err.parameter() {
                        Some(parameter) => prop_assert!(
                            message.contains(parameter),
                            "{message} does not name {parameter}"
                        ),
                        None => prop_assert_eq!(err, QueryError::Malformed),
                    }
                }
            }
            Ok(())
        }
    }
}
