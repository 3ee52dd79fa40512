//! `GET /hardware/changes?since=<version>`: what changed since a version the caller holds, so
//! a copy of 100,000 profiles stays in sync for a few bytes per poll.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiError;
use super::list::{is_current, not_modified, set_version_headers};
use crate::profile::ProfileRow;
use crate::snapshot::Version;
use crate::state::{AppState, CachedBody};

#[derive(Serialize)]
struct ChangesBody<'a> {
    version: &'a str,
    full: bool,
    total: usize,
    profiles: Vec<&'a ProfileRow>,
}

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
