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
    let (lookup_key, hour) = (path.key.clone(), path.utc_hour());
    let stored = tokio::task::spawn_blocking(move || sources.read(&lookup_key, hour)).await;
    let stats = match stored {
        Ok(Ok(Some(stats))) => stats,
        Ok(Ok(None)) => {
            return error_response(
                StatusCode::NOT_FOUND,
                format!(
                    "no data for key '{}' on {} at hour {}",
                    path.key, date, path.hour
                ),
            );
        }
        Ok(Err(err)) => {
            tracing::error!(%err, "query failed");
            return error_response(StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
        }
        Err(err) => {
            tracing::error!(%err, "query task failed");
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, "query failed");
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
