//! `GET /<key>/<stat_type>/<date>/<hour>`.
//!
//! When some `--source` databases fail but others answer, the answer is partial: 200 from the
//! sources that answered, with `"partial": true`, `"missing_sources": [...]` and the header
//! `X-Metrics-Missing-Sources` naming the rest. No data in the sources that answered while
//! some are missing is a 503 (the data may be in a missing one), not a 404. Only when every
//! source fails is it a plain 503 "database unavailable".

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service_kit::ApiError;
use service_kit::openapi::ErrorBody;
use utoipa::ToSchema;

use super::AppState;
use crate::domain::{QueryPath, StatType};

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Aggregate)]
pub struct QueryAnswer {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,128}$")]
    pub key: String,
    #[schema(value_type = StatType)]
    pub stat: &'static str,
    /// UTC date, YYYY-MM-DD.
    #[schema(format = Date)]
    pub date: String,
    /// UTC hour of day, 0-23.
    #[schema(minimum = 0, maximum = 23)]
    pub hour: u8,
    /// The statistic, in milliseconds.
    #[schema(minimum = 0)]
    pub value: f64,
    /// Messages aggregated into this hour (all collectors and sources together).
    #[schema(minimum = 1)]
    pub count: u64,
    /// Some sources did not answer: value and count cover only the others.
    pub partial: bool,
    /// The sources that did not answer (database paths, PostgreSQL URLs without credentials);
    /// only when `partial`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub missing_sources: Vec<String>,
}

/// Names the sources a partial answer is missing.
pub const MISSING_SOURCES_HEADER: &str = "x-metrics-missing-sources";

fn with_missing_header(mut response: Response, missing: &[String]) -> Response {
    if !missing.is_empty()
        && let Ok(value) = HeaderValue::from_str(&missing.join(", "))
    {
        response.headers_mut().insert(MISSING_SOURCES_HEADER, value);
    }
    response
}

/// One statistic of one key's messages received in one UTC hour.
#[utoipa::path(
    get,
    path = "/{key}/{stat_type}/{date}/{hour}",
    operation_id = "aggregate",
    tag = "query",
    params(
        ("key" = String, Path, pattern = "^[A-Za-z0-9_.-]{1,128}$",
            description = "The app instance's key, by convention `<app>-<host>-<pid>`.",
            example = "portal-web1-42"),
        ("stat_type" = StatType, Path, description = "Which statistic."),
        ("date" = String, Path, format = Date, description = "The UTC date, `YYYY-MM-DD`.",
            example = "2026-11-22"),
        ("hour" = u8, Path, minimum = 0, maximum = 23, description = "The UTC hour of the day.",
            example = 14),
    ),
    responses(
        (status = 200, description = "The statistic (`partial` when some `--source` did not \
            answer).", body = QueryAnswer,
            headers(("X-Metrics-Missing-Sources" = String,
                description = "The sources a partial answer is missing."))),
        (status = 400, description = "A bad path part, named in the message.", body = ErrorBody),
        (status = 404, description = "No data for that key and hour, or a collector-only \
            process.", body = ErrorBody),
        (status = 503, description = "No source answered, or no data in those that did while \
            some are missing (`partial`, `missing_sources`).", body = ErrorBody,
            headers(("X-Metrics-Missing-Sources" = String,
                description = "The sources that did not answer."))),
    ),
)]
pub async fn query(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String, String)>, PathRejection>,
) -> Response {
    let Path((key, stat, date, hour)) = match path {
        Ok(path) => path,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    let path = match QueryPath::parse(&key, &stat, &date, &hour) {
        Ok(path) => path,
        Err(err) => return ApiError::bad_request(err).into_response(),
    };
    let Some(sources) = state.sources.clone() else {
        return ApiError::not_found("this process does not serve queries").into_response();
    };
    let read = match sources.read(&path.key, path.utc_hour()).await {
        Ok(read) => read,
        Err(err) => {
            tracing::error!(%err, "query failed: no source answered");
            return ApiError::unavailable("database unavailable").into_response();
        }
    };
    let missing = read.missing;
    let stats = match read.stats {
        Some(stats) => stats,
        None if !missing.is_empty() => {
            let error = ApiError::unavailable(format!(
                "no data for key '{}' on {} at hour {} in the sources that answered; \
                 unavailable: {}",
                path.key,
                date,
                path.hour,
                missing.join(", ")
            ))
            .with_detail("partial", true)
            .with_detail("missing_sources", missing.clone());
            return with_missing_header(error.into_response(), &missing);
        }
        None => {
            return ApiError::not_found(format!(
                "no data for key '{}' on {} at hour {}",
                path.key, date, path.hour
            ))
            .into_response();
        }
    };
    let Some(value) = stats.value(path.stat) else {
        return ApiError::not_found("no data").into_response();
    };
    let answer = Json(QueryAnswer {
        key: path.key,
        stat: path.stat.as_str(),
        date: format!(
            "{:04}-{:02}-{:02}",
            path.date.year(),
            u8::from(path.date.month()),
            path.date.day()
        ),
        hour: path.hour,
        value,
        count: stats.count,
        partial: !missing.is_empty(),
        missing_sources: missing.clone(),
    })
    .into_response();
    with_missing_header(answer, &missing)
}
