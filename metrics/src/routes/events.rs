//! `GET /events/{key}` and `GET /events?prefix=`: kept events, a page at a time.
//!
//! Query parameters: `from` and `to` (RFC 3339; from inclusive, to exclusive; default: all
//! kept), `limit` (1 to [`MAX_PAGE_LIMIT`], default [`DEFAULT_PAGE_LIMIT`]), `after` (the
//! opaque cursor of the previous page; clients follow `Link: <...>; rel="next"`, present on
//! every page but the last) and, for `/events`, `prefix` (the tenant: every key starting with
//! it). Any bad or unknown parameter is a 400 in the one error shape, with `parameter` naming it.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service_kit::ApiError;
use service_kit::openapi::ErrorBody;
use utoipa::ToSchema;

use super::AppState;
use crate::domain::event::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, format_time, parse_time};
use crate::domain::{EventCursor, EventPageQuery, EventSelector};
use crate::storage::EventPage;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Event)]
pub(super) struct EventOut {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,128}$")]
    key: String,
    /// The response time, in milliseconds.
    #[schema(minimum = 0)]
    value: f64,
    /// RFC 3339, UTC, microseconds.
    #[schema(format = DateTime)]
    received_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EventPage)]
pub(super) struct PageOut {
    /// In time order, key by key for a prefix.
    #[schema(max_items = 1000)]
    events: Vec<EventOut>,
    /// The page size applied.
    #[schema(minimum = 1, maximum = 1000)]
    limit: usize,
    /// The largest `limit` accepted.
    #[schema(minimum = 1)]
    max_limit: usize,
    /// The cursor of the next page (also in `Link`); `null` on the last page.
    #[schema(required = true, pattern = "^[A-Za-z0-9_-]+$")]
    next: Option<String>,
}

/// A 400 naming the parameter at fault, in the message and as `parameter`.
fn bad(parameter: &'static str, message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("{parameter}: {message}")).with_detail("parameter", parameter)
}

/// The paging parameters of both events routes, for the document (the handlers read the query
/// as a map, so that an unknown parameter can be refused by name).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageParams {
    /// RFC 3339, inclusive; default: everything kept.
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339, exclusive, after `from`; default: everything kept.
    #[param(format = DateTime)]
    to: Option<String>,
    /// Events per page, default 50.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The opaque cursor of the previous page (`next`, or `Link`).
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    after: Option<String>,
}

/// One key's kept events, in time order, a page at a time.
#[utoipa::path(
    get,
    path = "/events/{key}",
    operation_id = "events_by_key",
    tag = "events",
    params(
        ("key" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,128}$",
            description = "The app instance's key.", example = "portal-web1-42"),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of events.", body = PageOut,
            headers(("Link" = String,
                description = "`<...>; rel=\"next\"` on every page but the last."))),
        (status = 400, description = "A bad or unknown parameter, named by `parameter`.",
            body = ErrorBody),
        (status = 404, description = "A collector-only process.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
)]
pub async fn by_key(
    State(state): State<AppState>,
    key: Result<Path<String>, PathRejection>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let key = match key {
        Ok(Path(key)) => key,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    if let Err(err) = metrics_client::validate_key(&key) {
        return bad("key", format!("'{key}': {err}")).into_response();
    }
    match parse_query(EventSelector::Key(key.clone()), &params, &[]) {
        Ok(query) => serve(state, query, &format!("/events/{key}"), &params).await,
        Err(err) => err.into_response(),
    }
}

/// A tenant's kept events: every key starting with `prefix`, key by key, each in time order.
#[utoipa::path(
    get,
    path = "/events",
    operation_id = "events_by_prefix",
    tag = "events",
    params(
        ("prefix" = String, Query, pattern = "^[A-Za-z0-9_.-]{1,128}$",
            description = "The tenant: every key starting with it.", example = "p1.c2."),
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of events.", body = PageOut,
            headers(("Link" = String,
                description = "`<...>; rel=\"next\"` on every page but the last."))),
        (status = 400, description = "A missing `prefix`, a bad or unknown parameter, named by \
            `parameter`.", body = ErrorBody),
        (status = 404, description = "A collector-only process.", body = ErrorBody),
        (status = 503, description = "The database does not answer.", body = ErrorBody),
    ),
)]
pub async fn by_prefix(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let prefix = match params.get("prefix") {
        None => return bad("prefix", "required (e.g. ?prefix=p1.c2.)").into_response(),
        Some(prefix) => prefix,
    };
    if let Err(err) = metrics_client::validate_key(prefix) {
        return bad("prefix", format!("'{prefix}': {err}")).into_response();
    }
    match parse_query(EventSelector::Prefix(prefix.clone()), &params, &["prefix"]) {
        Ok(query) => serve(state, query, "/events", &params).await,
        Err(err) => err.into_response(),
    }
}

fn parse_query(
    selector: EventSelector,
    params: &HashMap<String, String>,
    also_allowed: &[&str],
) -> Result<EventPageQuery, ApiError> {
    for name in params.keys() {
        if !["from", "to", "limit", "after"].contains(&name.as_str())
            && !also_allowed.contains(&name.as_str())
        {
            return Err(bad(
                "query",
                format!("unknown parameter '{name}' (expected from, to, limit, after)"),
            ));
        }
    }
    let time = |name: &'static str, default: i64| match params.get(name) {
        None => Ok(default),
        Some(text) => {
            parse_time(text).ok_or_else(|| bad(name, format!("'{text}' is not an RFC 3339 time")))
        }
    };
    let from = time("from", i64::MIN)?;
    let to = time("to", i64::MAX)?;
    if from >= to {
        return Err(bad("to", "must be after from"));
    }
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=MAX_PAGE_LIMIT).contains(&limit) => limit,
            _ => {
                return Err(bad(
                    "limit",
                    format!("'{text}': expected 1 to {MAX_PAGE_LIMIT}"),
                ));
            }
        },
    };
    let after = match params.get("after") {
        None => None,
        Some(text) => {
            let cursor = EventCursor::decode(text).map_err(|err| bad("after", err))?;
            let belongs = match &selector {
                EventSelector::Key(key) => cursor.key == *key,
                EventSelector::Prefix(prefix) => cursor.key.starts_with(prefix.as_str()),
            };
            if !belongs {
                return Err(bad("after", "the cursor belongs to another key or prefix"));
            }
            Some(cursor)
        }
    };
    Ok(EventPageQuery {
        selector,
        from,
        to,
        after,
        limit,
    })
}

async fn serve(
    state: AppState,
    query: EventPageQuery,
    path: &str,
    params: &HashMap<String, String>,
) -> Response {
    let Some(store) = state.sources.as_ref().and_then(|sources| sources.primary()) else {
        return ApiError::not_found("this process does not serve queries").into_response();
    };
    let page = match store.page_events(&query).await {
        Ok(page) => page,
        Err(err) => {
            tracing::error!(%err, "events page failed");
            return ApiError::unavailable("database unavailable").into_response();
        }
    };
    respond(page, query.limit, path, params)
}

fn respond(
    page: EventPage,
    limit: usize,
    path: &str,
    params: &HashMap<String, String>,
) -> Response {
    let next = page.next.as_ref().map(EventCursor::encode);
    let link = next.as_ref().map(|cursor| next_link(path, params, cursor));
    let body = PageOut {
        events: page
            .events
            .into_iter()
            .map(|event| EventOut {
                received_at: format_time(event.received_at),
                key: event.key,
                value: event.value,
            })
            .collect(),
        limit,
        max_limit: MAX_PAGE_LIMIT,
        next,
    };
    let mut response = Json(body).into_response();
    if let Some(link) = link.and_then(|link| HeaderValue::from_str(&link).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// The same request with `after` set to the next page's cursor (parameters in a fixed order).
fn next_link(path: &str, params: &HashMap<String, String>, cursor: &str) -> String {
    let mut query: Vec<String> = ["prefix", "from", "to", "limit"]
        .iter()
        .filter_map(|name| {
            params
                .get(*name)
                .map(|value| format!("{name}={}", urlencoding::encode(value)))
        })
        .collect();
    query.push(format!("after={cursor}"));
    format!("<{path}?{}>; rel=\"next\"", query.join("&"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    fn key() -> EventSelector {
        EventSelector::Key("p1.c2.e3".into())
    }

    proptest! {
        /// Any `after`: the cursor of this key, or a 400 naming `after`; never a panic.
        #[test]
        fn any_after_is_a_cursor_of_the_key_or_a_400_naming_it(after in "[A-Za-z0-9_-]{0,60}|\\PC{0,60}") {
            match parse_query(key(), &params(&[("after", &after)]), &[]) {
                Ok(query) => prop_assert_eq!(query.after.unwrap().key, "p1.c2.e3"),
                Err(err) => {
                    prop_assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
                    prop_assert_eq!(&err.body()["parameter"], "after");
                }
            }
        }

        /// A cursor of the key is taken; one of another key is a 400 naming `after`.
        #[test]
        fn a_cursor_belongs_to_its_key(received_at in any::<i64>(), id in any::<i64>(), other in any::<bool>()) {
            let cursor = EventCursor {
                key: if other { "p1.c2.e4".into() } else { "p1.c2.e3".into() },
                received_at,
                id,
            };
            let parsed = parse_query(key(), &params(&[("after", &cursor.encode())]), &[]);
            if other {
                prop_assert_eq!(&parsed.unwrap_err().body()["parameter"], "after");
            } else {
                prop_assert_eq!(parsed.unwrap().after, Some(cursor));
            }
        }

        /// Any value of any parameter: a query, or a 400 naming a parameter; never a panic.
        #[test]
        fn any_parameters_parse_or_name_the_bad_one(
            name in prop::sample::select(vec!["from", "to", "limit", "after", "other"]),
            value in "[0-9:TZ.+-]{0,25}|\\PC{0,30}",
        ) {
            if let Err(err) = parse_query(key(), &params(&[(name, &value)]), &[]) {
                let named = err.body()["parameter"].as_str().map(str::to_owned);
                prop_assert!(
                    named.as_deref() == Some(name) || (name == "other" && named.as_deref() == Some("query")),
                    "{name}={value:?}: {err}"
                );
            }
        }
    }
}
