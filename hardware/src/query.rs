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
                return Err(QueryError::Repeated(key.clone()));
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
}
