//! `GET /hardware/{provider}/{name}/history?limit=N`: one profile's latest results, newest
//! first. The profile is found in the snapshot (an unknown one is a 404 without a database
//! round trip); its history is one indexed query on the store.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service_kit::openapi::ErrorBody;

use super::ApiError;
use crate::profile::{HistoryEntry, ProfileId};
use crate::state::AppState;

/// Results returned when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 50;
/// The most one request returns; also the default `--history-max-per-profile`, so one page
/// can hold everything kept.
pub const MAX_LIMIT: usize = 200;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = History)]
pub(super) struct HistoryBody {
    #[schema(value_type = i64)]
    id: ProfileId,
    provider: String,
    name: String,
    /// The limit applied (the default when none was given).
    #[schema(minimum = 1, maximum = 200)]
    limit: usize,
    /// Newest first.
    #[schema(max_items = 200)]
    history: Vec<HistoryEntry>,
}

/// One profile's latest results, newest first.
#[utoipa::path(
    get,
    path = "/hardware/{provider}/{name}/history",
    operation_id = "profile_history",
    tag = "hardware",
    params(
        ("provider" = String, Path, description = "The provider, any case.", example = "Amazon"),
        ("name" = String, Path, description = "The profile's name, exactly.", example = "c5"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200,
            description = "How many results at most; default 50."),
    ),
    responses(
        (status = 200, description = "The profile and its latest results.", body = HistoryBody,
            headers(("Cache-Control" = String, description = "`no-cache`: each refresh appends."))),
        (status = 400, description = "A bad `limit` (`parameter`: `limit`), or another parameter.",
            body = ErrorBody),
        (status = 404, description = "No such profile.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
)]
pub async fn history(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let Path((provider, name)) = path?;
    let limit = parse_limit(raw.as_deref())?;
    let snapshot = state.snapshot.load();
    // Providers match as the `provider` filter does (any case); names exactly.
    let profile = snapshot
        .rows
        .iter()
        .find(|row| row.provider.eq_ignore_ascii_case(&provider) && row.name == name)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no profile '{}' of provider '{}'",
                name.chars().take(100).collect::<String>(),
                provider.chars().take(60).collect::<String>()
            ))
        })?;
    let history = state
        .store
        .load_history(profile.id, limit)
        .await
        .map_err(|err| {
            tracing::warn!(error = %err, profile = profile.id, "cannot read history");
            ApiError::unavailable("the history cannot be read right now; retry shortly")
        })?;
    let body = HistoryBody {
        id: profile.id,
        provider: profile.provider.clone(),
        name: profile.name.clone(),
        limit,
        history,
    };
    let mut response = Json(body).into_response();
    // Each refresh appends to it: always ask again.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

fn parse_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| ApiError::bad_request("the query string is not valid URL encoding"))?;
    let mut limit = None;
    for (key, value) in pairs {
        match key.as_str() {
            "limit" if limit.is_none() => {
                limit = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::bad_request(format!(
                                "limit must be a whole number from 1 to {MAX_LIMIT}, not '{}'",
                                value.chars().take(40).collect::<String>()
                            ))
                            .with_detail("parameter", "limit")
                        })?,
                )
            }
            "limit" => return Err(ApiError::bad_request("'limit' is given more than once")),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter '{}' (known: limit)",
                    other.chars().take(60).collect::<String>()
                )));
            }
        }
    }
    Ok(limit.unwrap_or(DEFAULT_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any query string: a limit from 1 to MAX_LIMIT, or a 400; never a panic. A bad
        /// value of `limit` says so in `parameter`.
        #[test]
        fn any_query_string_is_a_limit_or_a_400(raw in "(limit=[0-9a-z+-]{0,4}&?|[a-z]{0,3}=1&?){0,3}") {
            match parse_limit(Some(&raw)) {
                Ok(limit) => proptest::prop_assert!((1..=MAX_LIMIT).contains(&limit)),
                Err(err) => {
                    proptest::prop_assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
                    let body = err.body();
                    if !err.message().contains("more than once") && !err.message().contains("unknown") {
                        proptest::prop_assert_eq!(&body["parameter"], "limit");
                    }
                }
            }
        }

        #[test]
        fn every_valid_limit_is_taken(limit in 1..=MAX_LIMIT) {
            proptest::prop_assert_eq!(parse_limit(Some(&format!("limit={limit}"))).unwrap(), limit);
        }
    }

    #[test]
    fn limits_default_and_are_checked() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("limit=7")).unwrap(), 7);
        assert_eq!(parse_limit(Some("limit=200")).unwrap(), MAX_LIMIT);
        for bad in [
            "limit=0",
            "limit=201",
            "limit=x",
            "limit=-1",
            "limit=1&limit=2",
            "n=3",
        ] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
