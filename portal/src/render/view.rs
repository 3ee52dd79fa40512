//! Turns a snapshot and a query into the dashboard's HTML (askama; every value from the
//! database is HTML-escaped by the template engine).

use askama::Template;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use super::assets;
use super::freshness::{Progress, RowFreshness};
use super::trend::Trend;
use crate::domain::catalog::AvailabilityCounts;
use crate::domain::listing::Listing;
use crate::domain::query::{AvailabilityFilter, PageQuery, SortKey, SortOrder};
use crate::domain::{Availability, Catalog, Profile, Queue, Snapshot, SyncHealth};

/// What the page needs besides the snapshot and the query.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// `/version` token of the snapshot, for the refresh script.
    pub version_token: String,
    /// How often the refresh script polls `/version`.
    pub poll_ms: u64,
}

/// A timestamp shown both machine-readably (for the script and assistive tech) and as text.
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

impl Stamp {
    pub(crate) fn new(at: OffsetDateTime) -> Self {
        let at = at.to_offset(time::UtcOffset::UTC);
        // Whole seconds: the page shows no more, and every byte is copied per response.
        let at = at.replace_nanosecond(0).unwrap_or(at);
        Self {
            iso: at.format(&Rfc3339).unwrap_or_default(),
            text: at
                .format(format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
                ))
                .unwrap_or_default(),
        }
    }
}

pub struct Banner {
    /// CSS modifier: `stale` (data shown, hardware down) or `waiting`.
    pub kind: &'static str,
    pub text: String,
    pub at: Option<Stamp>,
    pub tail: String,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct FilterForm {
    pub q: String,
    pub min_vcpus: String,
    pub min_memory: String,
    pub min_gpus: String,
    pub providers: Vec<SelectOption>,
    pub availabilities: Vec<SelectOption>,
    pub sorts: Vec<SelectOption>,
    pub orders: Vec<SelectOption>,
    pub per_pages: Vec<SelectOption>,
}

pub struct CountLink {
    pub label: String,
    pub count: usize,
    pub href: String,
    /// Badge colour class (availability counts only).
    pub class: &'static str,
    /// This filter is the active one.
    pub current: bool,
}

pub struct Column {
    pub label: &'static str,
    pub href: String,
    pub aria_sort: &'static str,
    pub arrow: &'static str,
}

pub struct Row {
    /// `hardware`'s id: the script matches rows across refreshes by it.
    pub id: i64,
    pub provider: String,
    pub name: String,
    pub freshness: RowFreshness,
    /// Relative to the snapshot's `as_of`, so a cached page stays true; the script turns it
    /// into "now"-relative text.
    pub computed_ago: String,
    pub vcpus: String,
    pub memory: String,
    pub gpus: String,
    /// The latest results as bars, `None` before the first one.
    pub trend: Option<Trend>,
    /// The profile's own page.
    pub href: String,
}

pub struct Pagination {
    pub first_href: Option<String>,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub last_href: String,
    /// On the last page "Last" is plain text, not a link to itself.
    pub on_last: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    /// Names the active filters, so a tab or a bookmark says what it shows.
    pub title: String,
    pub css_href: &'static str,
    pub js_href: &'static str,
    pub version_token: String,
    pub poll_ms: u64,
    pub banner: Option<Banner>,
    pub waiting: bool,
    pub as_of: Stamp,
    /// The caption's "data as of": `None` while a banner carries the page's one timestamp.
    pub caption_as_of: Option<Stamp>,
    /// While the catalog fills: "Computed 12 of 78 profiles: ...".
    pub progress: Option<Progress>,
    /// "Values older than 1 min 30 s are marked stale", when `hardware` said its interval.
    pub stale_after: Option<String>,
    /// The same in whole seconds, on the table, for the script: a value whose time plus this
    /// passes while the page is open gets its stale mark (one attribute, not one per row).
    pub stale_after_seconds: Option<i64>,
    pub form: FilterForm,
    /// The current view as a download (every matching row, this sort).
    pub export_csv_href: String,
    pub export_json_href: String,
    /// The active filters in words, repeated when nothing matches them.
    pub filters_text: String,
    /// Some filter or sort is set: the folded filter panel opens on phones too.
    pub filtered: bool,
    pub availability_counts: Vec<CountLink>,
    pub provider_counts: Vec<CountLink>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub matching: usize,
    pub total: usize,
    pub first_row: usize,
    pub last_row: usize,
    pub page: u32,
    pub pages: u32,
    pub past_the_end: bool,
    pub pagination: Pagination,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub css_href: &'static str,
    pub js_href: &'static str,
    pub version_token: String,
    pub poll_ms: u64,
    pub heading: &'static str,
    pub message: String,
}

impl ErrorPage {
    pub fn new(heading: &'static str, message: String) -> Self {
        Self {
            css_href: assets::css_href(),
            js_href: assets::js_href(),
            // An error page never refreshes itself.
            version_token: String::new(),
            poll_ms: 0,
            heading,
            message,
        }
    }
}

pub fn render_dashboard(snapshot: &Snapshot, query: &PageQuery, context: &PageContext) -> String {
    let page = DashboardPage::build(snapshot, query, context);
    page.render()
        .unwrap_or_else(|err| format!("<!doctype html><p>template error: {err}</p>"))
}

impl DashboardPage {
    /// The frame every page has, then, once there is a catalog, the table it shows.
    pub fn build(snapshot: &Snapshot, query: &PageQuery, context: &PageContext) -> Self {
        let mut page = Self::frame(snapshot, query, context);
        if let Some(catalog) = &snapshot.catalog {
            page.fill(snapshot, catalog, query);
        }
        page
    }

    /// What the page shows before the first snapshot: title, banner, filter form, download
    /// links and an empty table.
    fn frame(snapshot: &Snapshot, query: &PageQuery, context: &PageContext) -> Self {
        let banner = banner(snapshot);
        let caption_as_of = banner.is_none().then(|| Stamp::new(snapshot.as_of));
        Self {
            title: page_title(query),
            css_href: assets::css_href(),
            js_href: assets::js_href(),
            version_token: context.version_token.clone(),
            poll_ms: context.poll_ms,
            banner,
            waiting: snapshot.catalog.is_none(),
            as_of: Stamp::new(snapshot.as_of),
            caption_as_of,
            progress: None,
            stale_after: None,
            stale_after_seconds: None,
            export_csv_href: export_href("csv", query),
            export_json_href: export_href("json", query),
            filters_text: filters_text(query),
            filtered: !query.with_page(1).canonical().is_empty(),
            form: filter_form(snapshot, query),
            availability_counts: Vec::new(),
            provider_counts: Vec::new(),
            columns: Vec::new(),
            rows: Vec::new(),
            matching: 0,
            total: 0,
            first_row: 0,
            last_row: 0,
            page: query.page,
            pages: 1,
            past_the_end: false,
            pagination: Pagination::single(query),
        }
    }

    /// The catalog's part: progress and legend, summary counts, the table and its pages.
    fn fill(&mut self, snapshot: &Snapshot, catalog: &Catalog, query: &PageQuery) {
        let listing = Listing::build(catalog, query);
        let queue = Queue::new(catalog, snapshot.status.as_deref());
        self.progress = Progress::new(catalog, &queue);
        self.stale_after = queue.overdue_after().map(span);
        self.stale_after_seconds = queue.overdue_after().map(|d| d.whole_seconds());
        self.availability_counts = availability_counts(query, &listing.availability_counts);
        self.provider_counts = provider_counts(query, &listing.provider_counts);
        self.columns = columns(query);
        self.rows = listing
            .rows
            .iter()
            .map(|profile| Row::new(profile, &queue, snapshot.as_of))
            .collect();
        self.matching = listing.matching;
        self.total = catalog.profiles.len();
        self.first_row = listing.first_row;
        self.last_row = listing.last_row();
        self.pages = listing.pages;
        self.past_the_end = listing.past_the_end();
        self.pagination = Pagination::new(query, &listing);
    }
}

impl Row {
    fn new(profile: &Profile, queue: &Queue<'_>, as_of: OffsetDateTime) -> Self {
        Self {
            id: profile.id,
            provider: profile.provider.clone(),
            name: profile.name.clone(),
            freshness: RowFreshness::new(queue, profile, as_of),
            computed_ago: profile
                .computed_at
                .map(|at| relative(as_of - at))
                .unwrap_or_default(),
            vcpus: profile.vcpus.map(|n| n.to_string()).unwrap_or_default(),
            memory: profile
                .memory_gib
                .map(|gib| format!("{gib} GiB"))
                .unwrap_or_default(),
            gpus: profile.gpus.map(|n| n.to_string()).unwrap_or_default(),
            trend: Trend::of(&profile.recent),
            href: profile_href(&profile.provider, &profile.name),
        }
    }
}

/// `/profiles/{provider}/{name}`, each part percent-encoded (a name may hold anything).
pub fn profile_href(provider: &str, name: &str) -> String {
    format!(
        "/profiles/{}/{}",
        urlencoding::encode(provider),
        urlencoding::encode(name)
    )
}

impl Pagination {
    /// One page and nothing to move to (no catalog yet).
    fn single(query: &PageQuery) -> Self {
        Self {
            first_href: None,
            prev_href: None,
            next_href: None,
            last_href: query.with_page(1).href(),
            on_last: true,
        }
    }

    fn new(query: &PageQuery, listing: &Listing) -> Self {
        let current = listing.page.min(listing.pages);
        Self {
            first_href: (listing.page > 1).then(|| query.with_page(1).href()),
            prev_href: (listing.page > 1).then(|| query.with_page(current.max(2) - 1).href()),
            next_href: (listing.page < listing.pages)
                .then(|| query.with_page(listing.page + 1).href()),
            last_href: query.with_page(listing.pages).href(),
            on_last: listing.page == listing.pages,
        }
    }
}

/// The availability chips. Counts follow the other filters; a chip that is already
/// selected clears its filter.
fn availability_counts(query: &PageQuery, counts: &AvailabilityCounts) -> Vec<CountLink> {
    AvailabilityFilter::ALL
        .into_iter()
        .map(|filter| {
            let current = query.availability == Some(filter);
            CountLink {
                label: availability_label(filter).to_owned(),
                count: counts.of(filter),
                href: query
                    .filtered(query.provider.as_deref(), (!current).then_some(filter))
                    .href(),
                class: availability_class(filter),
                current,
            }
        })
        .collect()
}

/// The provider chips, following the availability filter; a selected one clears itself.
fn provider_counts(query: &PageQuery, counts: &[(String, usize)]) -> Vec<CountLink> {
    counts
        .iter()
        .map(|(name, count)| {
            let current = query.provider.as_deref() == Some(name.as_str());
            CountLink {
                label: name.clone(),
                count: *count,
                href: query
                    .filtered((!current).then_some(name.as_str()), query.availability)
                    .href(),
                class: "",
                current,
            }
        })
        .collect()
}

/// The table's header: each column links to sorting by it (flipping when already sorted).
fn columns(query: &PageQuery) -> Vec<Column> {
    SortKey::ALL
        .into_iter()
        .map(|key| {
            let sorted = query.sort == key;
            Column {
                label: sort_label(key),
                href: query.with_sort(key).href(),
                aria_sort: match (sorted, query.order) {
                    (false, _) => "none",
                    (true, SortOrder::Asc) => "ascending",
                    (true, SortOrder::Desc) => "descending",
                },
                arrow: match (sorted, query.order) {
                    (false, _) => "",
                    (true, SortOrder::Asc) => " ▲",
                    (true, SortOrder::Desc) => " ▼",
                },
            }
        })
        .collect()
}

fn export_href(extension: &str, query: &PageQuery) -> String {
    let canonical = query.with_page(1).canonical();
    if canonical.is_empty() {
        format!("/export.{extension}")
    } else {
        format!("/export.{extension}?{canonical}")
    }
}

/// "provider Azure, availability HIGH, name contains “c5”, at least 8 vCPUs".
fn filters_text(query: &PageQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(provider) = &query.provider {
        parts.push(format!("provider {provider}"));
    }
    if let Some(availability) = query.availability {
        parts.push(format!("availability {}", availability_label(availability)));
    }
    if let Some(q) = &query.q {
        parts.push(format!("name contains \u{201c}{q}\u{201d}"));
    }
    if let Some(n) = query.min_vcpus {
        parts.push(format!("at least {n} vCPUs"));
    }
    if let Some(n) = query.min_memory_gib {
        parts.push(format!("at least {n} GiB memory"));
    }
    if let Some(n) = query.min_gpus {
        parts.push(format!("at least {n} GPUs"));
    }
    parts.join(", ")
}

/// "Azure, HIGH, \"c5\" - Hardware availability"; just the site name without filters.
fn page_title(query: &PageQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(provider) = &query.provider {
        parts.push(provider.clone());
    }
    if let Some(availability) = query.availability {
        parts.push(availability_label(availability).to_owned());
    }
    if let Some(q) = &query.q {
        parts.push(format!("\u{201c}{q}\u{201d}"));
    }
    if query.page > 1 {
        parts.push(format!("page {}", query.page));
    }
    if parts.is_empty() {
        "Hardware availability".to_owned()
    } else {
        format!("{} - Hardware availability", parts.join(", "))
    }
}

fn banner(snapshot: &Snapshot) -> Option<Banner> {
    let SyncHealth::Unreachable { last_success, .. } = &snapshot.health else {
        return None;
    };
    // Plain words and one timestamp: the banner's time is the page's only "as of" while
    // live data is paused (the table caption drops its own).
    const RECOVERS: &str = " The page catches up by itself when live data is back.";
    Some(match (snapshot.catalog.is_some(), last_success) {
        (true, Some(at)) => Banner {
            kind: "stale",
            text: "Live data is paused; showing values as of".into(),
            at: Some(Stamp::new(*at)),
            tail: format!(".{RECOVERS}"),
        },
        (true, None) => Banner {
            kind: "stale",
            text: format!("Live data is paused; showing the last values received.{RECOVERS}"),
            at: None,
            tail: String::new(),
        },
        (false, _) => Banner {
            kind: "waiting",
            text: "Live data is not available yet; this page shows it as soon as it arrives."
                .into(),
            at: None,
            tail: String::new(),
        },
    })
}

fn filter_form(snapshot: &Snapshot, query: &PageQuery) -> FilterForm {
    let option = |value: &str, label: &str, selected: bool| SelectOption {
        value: value.to_owned(),
        label: label.to_owned(),
        selected,
    };
    let providers = snapshot
        .catalog
        .iter()
        .flat_map(|catalog| catalog.providers.iter())
        .map(|p| {
            option(
                &p.name,
                &p.name,
                query.provider.as_deref() == Some(p.name.as_str()),
            )
        })
        .collect();
    let availabilities = AvailabilityFilter::ALL
        .into_iter()
        .map(|f| {
            option(
                f.as_str(),
                availability_label(f),
                query.availability == Some(f),
            )
        })
        .collect();
    let sorts = SortKey::ALL
        .into_iter()
        .map(|key| {
            let label = format!("{}{}", sort_label(key), sort_direction_hint(key));
            option(key.as_str(), &label, query.sort == key)
        })
        .collect();
    let orders = [
        (SortOrder::Asc, "Ascending"),
        (SortOrder::Desc, "Descending"),
    ]
    .into_iter()
    .map(|(order, label)| option(order.as_str(), label, query.order == order))
    .collect();
    let mut sizes = vec![25, 50, 100, 250, 500];
    if !sizes.contains(&query.per_page) {
        sizes.push(query.per_page);
        sizes.sort_unstable();
    }
    let per_pages = sizes
        .into_iter()
        .map(|n| option(&n.to_string(), &n.to_string(), query.per_page == n))
        .collect();
    let minimum = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    FilterForm {
        min_vcpus: minimum(query.min_vcpus),
        min_memory: minimum(query.min_memory_gib),
        min_gpus: minimum(query.min_gpus),
        q: query.q.clone().unwrap_or_default(),
        providers,
        availabilities,
        sorts,
        orders,
        per_pages,
    }
}

/// A column's header, and the sort's name in the filter form.
fn sort_label(key: SortKey) -> &'static str {
    match key {
        SortKey::Provider => "Provider",
        SortKey::Name => "Name",
        SortKey::Availability => "Availability",
        SortKey::ComputedAt => "Computed",
        SortKey::Vcpus => "vCPUs",
        SortKey::Memory => "Memory",
        SortKey::Gpus => "GPUs",
    }
}

/// What "ascending" means where it is not obvious, for the filter form's choices.
fn sort_direction_hint(key: SortKey) -> &'static str {
    match key {
        SortKey::Availability => " (best first)",
        SortKey::ComputedAt => " (oldest first)",
        _ => "",
    }
}

fn availability_label(filter: AvailabilityFilter) -> &'static str {
    match filter {
        AvailabilityFilter::Computed(a) => a.as_str(),
        AvailabilityFilter::Pending => "not computed yet",
    }
}

fn availability_class(filter: AvailabilityFilter) -> &'static str {
    match filter {
        AvailabilityFilter::Computed(a) => availability_class_of(a),
        AvailabilityFilter::Pending => "pending",
    }
}

pub(crate) fn availability_class_of(availability: Availability) -> &'static str {
    match availability {
        Availability::High => "high",
        Availability::Medium => "medium",
        Availability::Low => "low",
    }
}

/// "1 min 30 s", "2 h": a duration for the legend.
fn span(duration: time::Duration) -> String {
    let seconds = duration.whole_seconds();
    let (h, m, s) = (seconds / 3_600, seconds % 3_600 / 60, seconds % 60);
    let parts: Vec<String> = [(h, "h"), (m, "min"), (s, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}"))
        .collect();
    if parts.is_empty() {
        "0 s".to_owned()
    } else {
        parts.join(" ")
    }
}

/// "3 min ago"-style text; the refresh script uses the same wording.
pub fn relative(elapsed: time::Duration) -> String {
    let seconds = elapsed.whole_seconds();
    match seconds {
        i64::MIN..=9 => "just now".to_owned(),
        10..=59 => format!("{seconds} s ago"),
        60..=3_599 => format!("{} min ago", seconds / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} d ago", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let s = time::Duration::seconds;
        assert_eq!(relative(s(-5)), "just now");
        assert_eq!(relative(s(42)), "42 s ago");
        assert_eq!(relative(s(185)), "3 min ago");
        assert_eq!(relative(s(7_300)), "2 h ago");
        assert_eq!(relative(s(200_000)), "2 d ago");
    }

    #[test]
    fn the_filters_are_said_in_words() {
        let query =
            PageQuery::parse(Some("provider=Azure&q=c5&min_vcpus=8&availability=LOW")).unwrap();
        assert_eq!(
            filters_text(&query),
            "provider Azure, availability LOW, name contains \u{201c}c5\u{201d}, at least 8 vCPUs"
        );
        assert_eq!(filters_text(&PageQuery::default()), "");
    }

    #[test]
    fn spans_name_only_their_nonzero_units() {
        let s = time::Duration::seconds;
        assert_eq!(span(s(90)), "1 min 30 s");
        assert_eq!(span(s(7_200)), "2 h");
        assert_eq!(span(s(0)), "0 s");
    }
}
