//! `POST /ingest`: a batch of messages, as `key:value` lines (any content type but JSON) or as
//! a JSON array of `{"key": "...", "value": 1.5, "at": "2026-11-22T10:59:59Z"}` (`at` optional,
//! RFC 3339, default now; it lets a client backfill or replay into the right hour).
//!
//! A batch is all or nothing: when any message is bad, the response is 400 naming up to ten
//! bad messages and nothing is aggregated, so a client can fix and resend without duplicates.

use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use service_kit::openapi::ErrorBody;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::AppState;
use crate::domain::{MessageError, UtcHour, message::parse_value, parse_line};
use crate::ingest::{DropReason, Tally};

const ERRORS_SHOWN: usize = 10;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = IngestMessage)]
pub(super) struct JsonMessage {
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,128}$", example = "portal-web1-42")]
    key: String,
    /// Milliseconds, 0 to 1e12: a number, or a string holding one (`"1.5"`, `"2e3"`).
    #[schema(schema_with = message_value_schema)]
    value: serde_json::Value,
    /// RFC 3339; picks the hour the message counts in (absent or `null`: now).
    #[serde(default)]
    #[schema(format = DateTime)]
    at: Option<String>,
}

/// The schema of `value`: `1.5` or `"1.5"`.
fn message_value_schema() -> impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(metrics_client::MAX_VALUE_MS)),
        )
        // Rust's float syntax, whose spellings (`1.`, `2e3`, `+.5`) no pattern states exactly.
        .item(ObjectBuilder::new().schema_type(Type::String))
}

/// The answer to a batch that was taken whole.
#[derive(Serialize, ToSchema)]
#[schema(as = Ingested)]
pub(super) struct Accepted {
    /// Messages aggregated.
    #[schema(minimum = 0)]
    accepted: u64,
}

/// One message, checked, waiting for the whole batch to be checked.
struct Valid {
    key: String,
    value: f64,
    hour: UtcHour,
}

/// A batch of messages, taken whole or not at all.
#[utoipa::path(
    post,
    path = "/ingest",
    operation_id = "ingest",
    tag = "ingest",
    request_body(
        description = "`key:value` lines, native or StatsD timings (`key:value|ms|@0.5|#tag:x`, \
            docs/metrics.md), with any content type but JSON; or, as `application/json`, an \
            array of messages.",
        content(
            (String = "text/plain", example = json!("portal-web1-42:12.5\nportal-web1-42:3|ms")),
            (Vec<JsonMessage> = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "Every message was aggregated.", body = Accepted),
        (status = 400, description = "Some message is bad (up to ten in `bad_messages`); nothing \
            from the batch was taken.", body = ErrorBody),
        (status = 404, description = "A query-only process.", body = ErrorBody),
        (status = 413, description = "A body over 2 MiB.", body = ErrorBody),
        (status = 429, description = "Too many distinct keys until the next flush; the rest was \
            taken.", body = ErrorBody),
    ),
)]
pub async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    let Some(shard) = state.http_shard.clone() else {
        return ApiError::not_found("this process does not collect").into_response();
    };
    let is_json = service_kit::headers::is_json(&headers);
    let now = UtcHour::of_system_time(SystemTime::now());
    let checked = if is_json {
        check_json(&body, now)
    } else {
        Ok(check_lines(&body, now))
    };
    let (valid, errors) = match checked {
        Ok(checked) => checked,
        Err(message) => return ApiError::bad_request(message).into_response(),
    };
    let mut tally = Tally::default();
    if !errors.is_empty() {
        for (_, reason) in &errors {
            tally.drop_one(*reason);
        }
        tally.publish(&state.service_metrics, "http");
        let shown: Vec<String> = errors
            .iter()
            .take(ERRORS_SHOWN)
            .map(|(where_, reason)| format!("{where_}: {}", describe(*reason)))
            .collect();
        return ApiError::bad_request(format!(
            "{} bad message(s); nothing from this batch was ingested",
            errors.len()
        ))
        .with_detail("bad_messages", shown)
        .into_response();
    }
    // Events keep the time the batch arrived; `at` only picks the hour of the aggregate.
    let received_at = crate::domain::event::now_micros();
    {
        let mut shard = shard.lock().expect("shard lock poisoned");
        for message in &valid {
            let source = crate::admission::Source::Http;
            match shard.add_from(
                message.hour,
                received_at,
                &message.key,
                message.value,
                source,
            ) {
                Ok(()) => tally.accepted += 1,
                Err(refused) => tally.drop_one(refused.into()),
            }
        }
    }
    tally.publish(&state.service_metrics, "http");
    let refused =
        tally.dropped(DropReason::SeriesLimit) + tally.dropped(DropReason::NewSeriesQuota);
    if refused > 0 {
        return ApiError::too_many_requests(format!(
            "{} accepted, {refused} refused: too many distinct keys until the next flush",
            tally.accepted
        ))
        .into_response();
    }
    Json(Accepted {
        accepted: tally.accepted,
    })
    .into_response()
}

fn describe(reason: DropReason) -> String {
    match reason {
        DropReason::Malformed => MessageError::Malformed.to_string(),
        DropReason::BadKey => MessageError::BadKey.to_string(),
        DropReason::BadValue => MessageError::BadValue.to_string(),
        DropReason::StatsdCounter => MessageError::StatsdCounter.to_string(),
        DropReason::StatsdGauge => MessageError::StatsdGauge.to_string(),
        DropReason::StatsdSet => MessageError::StatsdSet.to_string(),
        DropReason::SeriesLimit => "too many distinct keys".to_owned(),
        DropReason::NewSeriesQuota => "too many new keys from this source".to_owned(),
    }
}

type Checked = (Vec<Valid>, Vec<(String, DropReason)>);

fn check_lines(body: &[u8], hour: UtcHour) -> Checked {
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in body.split(|&byte| byte == b'\n').enumerate() {
        if line.is_empty() || line == b"\r" {
            continue;
        }
        match parse_line(line) {
            Ok((key, value)) => valid.push(Valid {
                key: key.to_owned(),
                value,
                hour,
            }),
            Err(err) => errors.push((format!("line {}", index + 1), err.into())),
        }
    }
    (valid, errors)
}

fn check_json(body: &[u8], now: UtcHour) -> Result<Checked, String> {
    let messages: Vec<JsonMessage> = serde_json::from_slice(body).map_err(|err| {
        format!("body is not a JSON array of {{\"key\", \"value\", \"at\"?}} objects: {err}")
    })?;
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (index, message) in messages.into_iter().enumerate() {
        let where_ = format!("message {index}");
        if metrics_client::validate_key(&message.key).is_err() {
            errors.push((where_, DropReason::BadKey));
            continue;
        }
        // A number, or a string holding one (as over UDP); both 0 to MAX_VALUE_MS.
        let value = match &message.value {
            serde_json::Value::Number(number) => number
                .as_f64()
                .filter(|value| metrics_client::is_valid_value(*value))
                .ok_or(MessageError::BadValue),
            serde_json::Value::String(text) => parse_value(text.as_bytes()),
            _ => Err(MessageError::BadValue),
        };
        let Ok(value) = value else {
            errors.push((where_, DropReason::BadValue));
            continue;
        };
        let hour = match &message.at {
            None => now,
            Some(at) => match OffsetDateTime::parse(at, &Rfc3339) {
                Ok(at) => UtcHour::of_datetime(at),
                Err(_) => {
                    errors.push((
                        format!("{where_} (at '{at}' is not RFC 3339)"),
                        DropReason::Malformed,
                    ));
                    continue;
                }
            },
        };
        valid.push(Valid {
            key: message.key,
            value,
            hour,
        });
    }
    Ok((valid, errors))
}
