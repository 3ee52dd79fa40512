//! `GET /hardware/`: the catalog with availability, filtered and paged, from memory.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use service_kit::headers::{ETag, HeaderMapExt, is_not_modified, strong_etag};
use service_kit::openapi::ErrorBody;

use super::ApiError;
use crate::profile::ProfileRow;
use crate::query::{AvailabilityFilter, ListQuery};
use crate::snapshot::Snapshot;
use crate::state::{AppState, CachedBody};

/// The catalog with availability, in `id` order: filtered, and paged when `page` or
/// `per_page` is given. Any other query parameter is a 400.
#[utoipa::path(
    get,
    path = "/hardware/",
    operation_id = "list_hardware",
    tag = "hardware",
    params(
        ("provider" = Option<String>, Query,
            description = "Exact provider, any case (`Amazon`, `Azure`, `Google` in the seed \
                catalog); one the catalog does not hold is a 400 naming the known ones.",
            example = "Amazon"),
        ("availability" = Option<String>, Query,
            description = "`HIGH`, `MEDIUM`, `LOW` or `PENDING` (not computed yet), any case.",
            pattern = r"^\s*([Hh][Ii][Gg][Hh]|[Mm][Ee][Dd][Ii][Uu][Mm]|[Ll][Oo][Ww]|[Pp][Ee][Nn][Dd][Ii][Nn][Gg])\s*$",
            example = "HIGH"),
        ("q" = Option<String>, Query, max_length = 100,
            description = "Case-insensitive substring of `name`, at most 100 characters.",
            example = "c5"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 1000000000,
            description = "1-based page number; past the last page gives `[]`."),
        ("per_page" = Option<u32>, Query, minimum = 1, maximum = 1000,
            description = "Page size, default 100 when `page` is given."),
        ("If-None-Match" = Option<String>, Header, nullable = false,
            description = "An ETag of an earlier answer: a 304 when it is still current."),
    ),
    responses(
        (status = 200, description = "The matching profiles (one page of them when paging).",
            body = [ProfileRow],
            headers(
                ("ETag" = String, description = "`\"<version>\"`: the snapshot version."),
                ("X-Snapshot-Version" = String, description = "The snapshot version."),
                ("X-Total-Count" = u64, description = "Profiles matching the filters, before paging."),
                ("Link" = String, description = "When paging: `first`, `prev`, `next`, `last`."),
                ("Cache-Control" = String, description = "`no-cache`: ask again, cheaply with the ETag."),
            )),
        (status = 304, description = "`If-None-Match` names the current version; no body.",
            headers(
                ("ETag" = String, description = "`\"<version>\"`: the snapshot version."),
                ("X-Snapshot-Version" = String, description = "The snapshot version."),
                ("Cache-Control" = String, description = "`no-cache`."),
            )),
        (status = 400, description = "A bad or unknown query parameter (checked before the ETag).",
            body = ErrorBody),
    ),
)]
pub async fn list_hardware(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let snapshot = state.snapshot.load();
    let version: Arc<str> = snapshot.version.to_string().into();
    let etag = strong_etag(&version);
    // Parse before the ETag check: a bad query is a 400 even when the ETag is current.
    let query = ListQuery::parse(raw.as_deref(), &snapshot).map_err(|err| {
        let parameter = err.parameter().map(str::to_owned);
        let error = ApiError::bad_request(err);
        match parameter {
            Some(parameter) => error.with_detail("parameter", parameter),
            None => error,
        }
    })?;
    if is_current(&headers, etag.as_ref()) {
        return Ok(not_modified(etag.as_ref(), &version));
    }
    let key = (version.clone(), query.cache_key());
    let cached = match state.responses.get(&key) {
        Some(cached) => cached,
        // A miss renders on the blocking pool: the full list of 100,000 profiles is 14 MB of
        // JSON, tens of milliseconds that must not stall the runtime thread other requests
        // share. `get_with` there still renders each (version, query) once for concurrent
        // misses.
        None => {
            let responses = state.responses.clone();
            tokio::task::spawn_blocking(move || {
                responses.get_with(key, || render(&snapshot, &query))
            })
            .await
            .map_err(|_| ApiError::internal("rendering the list failed"))?
        }
    };

    let mut response = (StatusCode::OK, cached.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    set_version_headers(headers, etag.as_ref(), &version);
    headers.insert("x-total-count", HeaderValue::from(cached.total));
    if let Some(link) = cached
        .link
        .and_then(|link| HeaderValue::from_str(&link).ok())
    {
        headers.insert(header::LINK, link);
    }
    Ok(response)
}

/// Whether the request's If-None-Match already names the snapshot's ETag `"<version>"`.
pub(super) fn is_current(request: &HeaderMap, etag: Option<&ETag>) -> bool {
    etag.is_some_and(|etag| is_not_modified(request, etag))
}

pub(super) fn not_modified(etag: Option<&ETag>, version: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    set_version_headers(response.headers_mut(), etag, version);
    response
}

pub(super) fn set_version_headers(headers: &mut HeaderMap, etag: Option<&ETag>, version: &str) {
    if let Some(etag) = etag {
        headers.typed_insert(etag.clone());
    }
    if let Ok(value) = HeaderValue::from_str(version) {
        headers.insert("x-snapshot-version", value);
    }
    // Caches may keep the body but must ask again; the ETag makes asking cheap.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

fn matches(row: &ProfileRow, query: &ListQuery) -> bool {
    if let Some(provider) = &query.provider
        && &row.provider != provider
    {
        return false;
    }
    match query.availability {
        Some(AvailabilityFilter::Is(wanted)) if row.availability != Some(wanted) => return false,
        Some(AvailabilityFilter::Pending) if row.availability.is_some() => return false,
        _ => {}
    }
    if let Some(q) = &query.q
        && !row.name.to_lowercase().contains(q.as_str())
    {
        return false;
    }
    true
}

fn render(snapshot: &Snapshot, query: &ListQuery) -> CachedBody {
    let selected: Vec<&ProfileRow> = snapshot
        .rows
        .iter()
        .map(|row| row.as_ref())
        .filter(|row| matches(row, query))
        .collect();
    let total = selected.len();
    let (page_rows, link) = match query.paging {
        None => (selected, None),
        Some((page, per_page)) => {
            let last = total.div_ceil(per_page).max(1);
            let start = (page - 1).saturating_mul(per_page).min(total);
            let end = (start + per_page).min(total);
            let link_to = |page: usize, rel: &str| {
                format!(
                    "</hardware/?{}>; rel=\"{rel}\"",
                    query.page_link(page, per_page)
                )
            };
            let mut links = vec![link_to(1, "first")];
            if page > 1 {
                links.push(link_to((page - 1).min(last), "prev"));
            }
            if page < last {
                links.push(link_to(page + 1, "next"));
            }
            links.push(link_to(last, "last"));
            (selected[start..end].to_vec(), Some(links.join(", ")))
        }
    };
    let body = serde_json::to_vec(&page_rows).expect("profile rows always serialize");
    CachedBody {
        body: body.into(),
        total,
        link,
    }
}
