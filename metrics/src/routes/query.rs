//! `GET /<key>/<stat_type>/<date>/<hour>`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{AppState, error_response};
use crate::domain::QueryPath;

#[derive(Debug, Serialize)]
pub struct QueryAnswer {
    pub key: String,
    pub stat: &'static str,
    /// UTC date, YYYY-MM-DD.
    pub date: String,
    /// UTC hour of day, 0-23.
    pub hour: u8,
    pub value: f64,
    /// Messages aggregated into this hour (all collectors and sources together).
    pub count: u64,
}

pub async fn query(
    State(state): State<AppState>,
    Path((key, stat, date, hour)): Path<(String, String, String, String)>,
) -> Response {
    let path = match QueryPath::parse(&key, &stat, &date, &hour) {
        Ok(path) => path,
        Err(err) => return error_response(StatusCode::BAD_REQUEST, err.to_string()),
    };
    let Some(sources) = state.sources.clone() else {
        return error_response(StatusCode::NOT_FOUND, "this process does not serve queries");
    };
    let stats = match sources.read(&path.key, path.utc_hour()).await {
        Ok(Some(stats)) => stats,
        Ok(None) => {
            return error_response(
                StatusCode::NOT_FOUND,
                format!(
                    "no data for key '{}' on {} at hour {}",
                    path.key, date, path.hour
                ),
            );
        }
        Err(err) => {
            tracing::error!(%err, "query failed");
            return error_response(StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
        }
    };
    let Some(value) = stats.value(path.stat) else {
        return error_response(StatusCode::NOT_FOUND, "no data");
    };
    Json(QueryAnswer {
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
    })
    .into_response()
}
