//! `GET /hardware/changes?since=<version>`: what changed since a version the caller holds, so
//! a copy of 100,000 profiles stays in sync for a few bytes per poll.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service_kit::openapi::ErrorBody;

use super::ApiError;
use super::list::{is_current, not_modified, set_version_headers};
use crate::profile::ProfileRow;
use crate::snapshot::Version;
use crate::state::{AppState, CachedBody};

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Changes)]
pub(super) struct ChangesBody<'a> {
    /// Opaque: pass it back as `since` next time. Also the ETag of `/hardware/`.
    #[schema(value_type = String, example = "7f3a9c1e2b4d-1042")]
    version: &'a str,
    /// `true`: `profiles` is the whole catalog (no `since`, or one from another database).
    full: bool,
    /// The size of the served catalog.
    #[schema(minimum = 0)]
    total: usize,
    /// Every profile whose change sequence moved past `since` (all of them when `full`).
    #[schema(value_type = Vec<ProfileRow>)]
    profiles: Vec<&'a ProfileRow>,
}

/// What changed since a version the caller holds.
#[utoipa::path(
    get,
    path = "/hardware/changes",
    operation_id = "hardware_changes",
    tag = "hardware",
    params(
        ("since" = Option<String>, Query,
            description = "The `version` of an earlier answer; without it the whole catalog.",
            pattern = "^[A-Za-z0-9]{1,64}-[0-9]{1,18}$",
            example = "7f3a9c1e2b4d-1042"),
        ("If-None-Match" = Option<String>, Header, nullable = false,
            description = "An ETag of `/hardware/`: a 304 when it is still current."),
    ),
    responses(
        (status = 200, description = "The changed profiles, or the whole catalog (`full`).",
            body = ChangesBody,
            headers(
                ("ETag" = String, description = "`\"<version>\"`."),
                ("X-Snapshot-Version" = String, description = "The snapshot version."),
                ("Cache-Control" = String, description = "`no-cache`."),
            )),
        (status = 304, description = "Nothing changed since `since`; no body.",
            headers(
                ("ETag" = String, description = "`\"<version>\"`."),
                ("X-Snapshot-Version" = String, description = "The snapshot version."),
                ("Cache-Control" = String, description = "`no-cache`."),
            )),
        (status = 400, description = "A malformed `since`, or another parameter.",
            body = ErrorBody),
    ),
)]
pub async fn changes(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let since = parse_since(raw.as_deref())?;
    let snapshot = state.snapshot.load();
    let version: Arc<str> = snapshot.version.to_string().into();
    let etag = service_kit::headers::strong_etag(&version);
    if since.as_ref() == Some(&snapshot.version) || is_current(&headers, etag.as_ref()) {
        return Ok(not_modified(etag.as_ref(), &version));
    }
    let cache_key = format!(
        "changes:{}",
        since.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    let cached = state.responses.get_with((version.clone(), cache_key), || {
        let delta = since
            .as_ref()
            .and_then(|since| snapshot.changes_since(since));
        let full = delta.is_none();
        let rows = delta.unwrap_or_else(|| snapshot.rows.clone());
        let body = ChangesBody {
            version: &version,
            full,
            total: snapshot.rows.len(),
            profiles: rows.iter().map(|row| row.as_ref()).collect(),
        };
        CachedBody {
            body: serde_json::to_vec(&body)
                .expect("profile rows always serialize")
                .into(),
            total: snapshot.rows.len(),
            link: None,
        }
    });
    let mut response = (StatusCode::OK, cached.body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    set_version_headers(response.headers_mut(), etag.as_ref(), &version);
    Ok(response)
}

fn parse_since(raw: Option<&str>) -> Result<Option<Version>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid URL encoding"))?;
    let mut since = None;
    for (key, value) in pairs {
        match key.as_str() {
            "since" if since.is_none() => {
                since = Some(value.parse::<Version>().map_err(ApiError::bad_request)?)
            }
            "since" => return Err(ApiError::bad_request("'since' is given more than once")),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter '{}' (known: since)",
                    other.chars().take(60).collect::<String>()
                )));
            }
        }
    }
    Ok(since)
}
