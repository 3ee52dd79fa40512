//! One scheduled iteration of an actor: its steps in order, each following pagination to
//! the last page.
//!
//! Coordinated omission: the first request's corrected latency counts from the scheduled
//! time, so time spent waiting for a connection or behind a stalled server is included.
//! Later requests in the sequence depend on earlier responses; their intended start is the
//! moment the previous response arrived.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use tokio::time::Instant;

use crate::client::{Response, send};
use crate::encoding::decoded_body;
use crate::pagination::{next_from_html, next_from_link_header, resolve};
use crate::plan::{PlannedActor, ProgramStep};
use crate::pool::TargetPool;
use crate::stats::{FailureKind, Outcome, Record};
use crate::workflow::Paginate;
use crate::workflow::PaginateBy;
use crate::workflow::template::Values;

/// What a worker shares with all its iterations.
pub struct WorkerContext {
    pub timeout: Duration,
    /// The worker's connections, one pool per target, each with its budget of slots: a
    /// request waits for a slot (and the wait counts in the corrected latency) when every
    /// connection to its target is busy. Per target because the simulated clients of one
    /// service do not share connections with another's: a backlog of event posts must not
    /// hold back the dashboard's readers.
    pub connections: HashMap<String, TargetPool>,
    pub start: Instant,
}

/// Runs every step of `actor` once; returns a record per request and per retrieval.
pub async fn run_iteration(
    context: &WorkerContext,
    actor: &PlannedActor,
    iteration: u64,
    scheduled: Instant,
) -> Vec<Record> {
    let mut records = Vec::with_capacity(actor.program.steps.len());
    let mut intended = scheduled;
    let now_micros = crate::workflow::template::now_micros();
    for (position, step) in actor.program.steps.iter().enumerate() {
        let seed = actor.seed ^ iteration.wrapping_mul(0x1000_0000_01B3) ^ position as u64;
        let values = actor.values(iteration, seed, now_micros);
        intended = run_step(context, step, values, intended, &mut records).await;
    }
    records
}

/// Runs one step (all its pages); returns when its last response arrived.
///
/// A retrieval that cannot be completed is an error of the step, recorded on its last
/// request and on the whole retrieval: more pages than `max_pages`, a next link back to a
/// page already fetched, or a body that cannot be decompressed to look for the link.
async fn run_step(
    context: &WorkerContext,
    step: &ProgramStep,
    mut values: Values<'_>,
    intended: Instant,
    records: &mut Vec<Record>,
) -> Instant {
    let paginate = step.step.paginate.as_ref();
    let mut path = step.step.path.render_to_string(&values);
    let mut page_intended = intended;
    let mut first_sent = None;
    let mut pages = 0u32;
    // A set: a deep retrieval follows thousands of links (8,640 for a monthly partner).
    let mut visited: std::collections::HashSet<String> = std::collections::HashSet::new();
    let last_outcome = loop {
        pages += 1;
        let (outcome, sent, finished, response, waited) =
            request_once(context, step, &values, &path, page_intended).await;
        first_sent.get_or_insert(sent);
        records.push(Record {
            stat: step.stat,
            corrected: finished - page_intended,
            uncorrected: finished - sent,
            outcome,
            finished: finished - context.start,
            waited: Some(waited),
        });
        page_intended = finished;
        let (Some(paginate), Some(response), Outcome::Response { ok: true, .. }) =
            (paginate, response, outcome)
        else {
            break outcome;
        };
        let next = match next_page(paginate, &response, &path, &mut values, step) {
            Ok(Some(next)) => next,
            Ok(None) => break outcome,
            Err(kind) => break fail_last(records, kind),
        };
        if pages >= paginate.max_pages {
            break fail_last(records, FailureKind::PageLimit);
        }
        if paginate.by == PaginateBy::Link {
            visited.insert(std::mem::replace(&mut path, next));
            if visited.contains(&path) {
                break fail_last(records, FailureKind::PageLoop);
            }
        } else {
            path = next;
        }
    };
    if let Some(all_pages_stat) = step.all_pages_stat {
        records.push(Record {
            stat: all_pages_stat,
            corrected: page_intended - intended,
            uncorrected: page_intended - first_sent.unwrap_or(intended),
            outcome: last_outcome,
            finished: page_intended - context.start,
            waited: None,
        });
    }
    page_intended
}

/// Marks the request just recorded as failed with `kind`; returns that outcome.
fn fail_last(records: &mut [Record], kind: FailureKind) -> Outcome {
    let outcome = Outcome::Failed(kind);
    if let Some(last) = records.last_mut() {
        last.outcome = outcome;
    }
    outcome
}

/// The path of the page after `response`, `None` on the last page.
fn next_page(
    paginate: &Paginate,
    response: &Response,
    path: &str,
    values: &mut Values<'_>,
    step: &ProgramStep,
) -> Result<Option<String>, FailureKind> {
    match paginate.by {
        PaginateBy::Link => {
            let link = match next_from_link_header(&response.headers) {
                Some(link) => Some(link),
                None => {
                    let body = decoded_body(&response.headers, &response.body)
                        .map_err(|_| FailureKind::Decode)?;
                    next_from_html(&body)
                }
            };
            Ok(link.and_then(|link| resolve(&link, path)))
        }
        PaginateBy::Page => {
            let per_page = u64::from(paginate.per_page.unwrap_or(1));
            let total = response
                .headers
                .get(&paginate.total_header)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let more = match total {
                Some(total) => values.page * per_page < total,
                // Without a total, an empty page (or JSON `[]`) is the end.
                None => {
                    let body = decoded_body(&response.headers, &response.body)
                        .map_err(|_| FailureKind::Decode)?;
                    !is_empty_page(&body)
                }
            };
            Ok(more.then(|| {
                values.page += 1;
                step.step.path.render_to_string(values)
            }))
        }
    }
}

fn is_empty_page(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || trimmed == b"[]"
}

/// Sends one request; returns its outcome, when it was sent, when it finished, its response
/// and how long it waited for a free connection.
async fn request_once(
    context: &WorkerContext,
    step: &ProgramStep,
    values: &Values<'_>,
    path: &str,
    intended: Instant,
) -> (Outcome, Instant, Instant, Option<Response>, Duration) {
    // Every target of the plan gets a pool when the worker starts; none is missing.
    let Some(pool) = context.connections.get(&step.target.name) else {
        return failed_before_sending(FailureKind::BadUrl, intended);
    };
    let Some(uri) = step.target.path_uri(path) else {
        return failed_before_sending(FailureKind::BadUrl, intended);
    };
    let mut builder = Request::builder().method(step.step.method.clone()).uri(uri);
    for (name, template) in &step.step.headers {
        builder = builder.header(name, template.render_to_string(values));
    }
    let body = step
        .step
        .body
        .as_ref()
        .map(|template| Bytes::from(template.render_to_string(values)))
        .unwrap_or_default();
    let Ok(mut request) = builder.body(Full::new(body)) else {
        return failed_before_sending(FailureKind::BadUrl, intended);
    };
    // A Host header the step sets itself wins, as with any HTTP client.
    if let Some(host) = pool.host() {
        request
            .headers_mut()
            .entry(hyper::header::HOST)
            .or_insert_with(|| host.clone());
    }
    // The semaphore is never closed, so acquiring only waits.
    let wanted = Instant::now();
    let _permit = pool.slots.acquire().await;
    let sent = Instant::now();
    let waited = sent - wanted;
    let result = send(pool, request, context.timeout).await;
    let finished = Instant::now();
    match result {
        Ok(response) => {
            let status = response.status.as_u16();
            let ok = match &step.step.expect_status {
                Some(expected) => expected.contains(&status),
                None => response.status.is_success() || response.status.is_redirection(),
            };
            (
                Outcome::Response { status, ok },
                sent,
                finished,
                Some(response),
                waited,
            )
        }
        Err(kind) => (Outcome::Failed(kind), sent, finished, None, waited),
    }
}

/// The outcome of a request that could not be built, as [`request_once`] returns it.
fn failed_before_sending(
    kind: FailureKind,
    intended: Instant,
) -> (Outcome, Instant, Instant, Option<Response>, Duration) {
    let now = Instant::now();
    (
        Outcome::Failed(kind),
        now.max(intended),
        now,
        None,
        Duration::ZERO,
    )
}
