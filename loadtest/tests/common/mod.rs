//! A local test server (axum on 127.0.0.1, port 0) that records what the load generator sent,
//! and helpers to run a workflow written inline against it.

#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use loadtest::app::run_workflow;
use loadtest::cli::ProgressMode;
use loadtest::plan::RunSettings;
use loadtest::report::Report;
use loadtest::runner::RunOptions;
use tokio::time::Instant;

/// Everything the server saw, for assertions.
#[derive(Default)]
pub struct Seen {
    /// Path and query of every request, in arrival order.
    pub requests: Vec<String>,
    /// Bodies of `POST /ingest`.
    pub bodies: Vec<String>,
    /// When each request arrived.
    pub arrivals: Vec<Instant>,
    /// The client's address (one per connection) of every request to `/close`.
    pub close_peers: Vec<SocketAddr>,
}

#[derive(Clone)]
pub struct TestServer {
    pub base: String,
    pub seen: Arc<Mutex<Seen>>,
}

#[derive(Clone)]
struct AppState {
    seen: Arc<Mutex<Seen>>,
    /// Start of the one-off stall on `/stall`, set by its first request.
    stall_start: Arc<Mutex<Option<Instant>>>,
}

/// Items served by `/items` and `/html`.
pub const ITEMS: u64 = 230;

impl TestServer {
    pub async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = AppState {
            seen: seen.clone(),
            stall_start: Arc::new(Mutex::new(None)),
        };
        let app = Router::new()
            .route("/hit", get(hit))
            .route("/ingest", post(ingest))
            .route("/items", get(items))
            .route("/numbered", get(numbered))
            .route("/html", get(html))
            .route("/portal", get(portal))
            .route("/loop", get(looping))
            .route("/slow", get(slow))
            .route("/steady", get(steady))
            .route("/fail", get(fail))
            .route("/stall", get(stall))
            .route("/close", get(close))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // Connect info: `/close` tells connections apart by the client's port.
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            base: format!("http://{address}"),
            seen,
        }
    }

    /// Runs the workflow `content` (written to a temporary file) against this server, with
    /// no compression or multiplier, over `connections` connections.
    pub async fn run_inline(&self, content: &str, connections: usize) -> Report {
        let dir = tempfile::tempdir().unwrap();
        let path = write_workflow(dir.path(), "workflow.toml", content);
        run(&path, &settings(self, 1.0, 1.0), &options(connections)).await
    }

    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().requests.clone()
    }

    pub fn bodies(&self) -> Vec<String> {
        self.seen.lock().unwrap().bodies.clone()
    }
}

fn note(state: &AppState, uri: &axum::http::Uri) {
    let mut seen = state.seen.lock().unwrap();
    seen.requests.push(
        uri.path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    seen.arrivals.push(Instant::now());
}

async fn hit(State(state): State<AppState>, uri: axum::http::Uri) -> &'static str {
    note(&state, &uri);
    "ok"
}

async fn ingest(State(state): State<AppState>, uri: axum::http::Uri, body: String) -> StatusCode {
    note(&state, &uri);
    state.seen.lock().unwrap().bodies.push(body);
    StatusCode::ACCEPTED
}

fn page_params(query: &HashMap<String, String>) -> (u64, u64) {
    let page = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(50);
    (page, per_page)
}

/// Like `hardware`'s `/hardware/`: X-Total-Count and a GitHub-style Link header.
async fn items(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    note(&state, &uri);
    let (page, per_page) = page_params(&query);
    let last = ITEMS.div_ceil(per_page);
    let mut links = vec![
        format!("</items?page=1&per_page={per_page}>; rel=\"first\""),
        format!("</items?page={last}&per_page={per_page}>; rel=\"last\""),
    ];
    if page < last {
        links.push(format!(
            "</items?page={}&per_page={per_page}>; rel=\"next\"",
            page + 1
        ));
    }
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(ITEMS));
    headers.insert("link", HeaderValue::from_str(&links.join(", ")).unwrap());
    (headers, "[1]")
}

/// Pages with only X-Total-Count, no Link header.
async fn numbered(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    note(&state, &uri);
    let _ = page_params(&query);
    ([("x-total-count", ITEMS.to_string())], "[1]")
}

/// Like the portal: pagination as `<a rel="next">` links in the HTML.
async fn html(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Html<String> {
    note(&state, &uri);
    let (page, per_page) = page_params(&query);
    let last = ITEMS.div_ceil(per_page);
    let next = if page < last {
        format!(
            "<a href=\"/html?page={}&amp;per_page={per_page}\" rel=\"next\">Next</a>",
            page + 1
        )
    } else {
        "<span>Next</span>".to_owned()
    };
    Html(format!(
        "<html><body><a href=\"/html?page=1\" rel=\"first\">First</a>{next}</body></html>"
    ))
}

/// Like the portal dashboard: the next link keeps the query's `sort` and `per_page` and
/// separates parameters with `&#38;` (a numeric character reference, as askama writes
/// `&`), and the page is gzip-compressed when the request accepts gzip.
async fn portal(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    request_headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> axum::response::Response {
    note(&state, &uri);
    let (page, per_page) = page_params(&query);
    let last = ITEMS.div_ceil(per_page);
    let mut kept = String::new();
    if let Some(sort) = query.get("sort") {
        kept.push_str(&format!("sort={sort}&#38;"));
    }
    let next = if page < last {
        format!(
            "<a href=\"/portal?{kept}page={}&#38;per_page={per_page}\" rel=\"next\">Next</a>",
            page + 1
        )
    } else {
        String::new()
    };
    let page =
        format!("<html><body><a href=\"/portal?{kept}page=1\">First</a>{next}</body></html>");
    let accepts_gzip = request_headers
        .get("accept-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    if accepts_gzip {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(page.as_bytes()).unwrap();
        (
            [("content-encoding", "gzip"), ("content-type", "text/html")],
            encoder.finish().unwrap(),
        )
            .into_response()
    } else {
        Html(page).into_response()
    }
}

/// Two pages whose next links lead round in a circle: page 1 to 2, page 2 back to 1.
async fn looping(State(state): State<AppState>, uri: axum::http::Uri) -> Html<&'static str> {
    note(&state, &uri);
    Html(if uri.query() == Some("page=2") {
        "<a rel=\"next\" href=\"/loop?page=1\">again</a>"
    } else {
        "<a rel=\"next\" href=\"/loop?page=2\">next</a>"
    })
}

/// Answers after 2 ms, so the fastest response of a run is never far below it (charts whose
/// axis range follows the data get the same range on a fast machine and a loaded one).
async fn steady(State(state): State<AppState>, uri: axum::http::Uri) -> &'static str {
    note(&state, &uri);
    tokio::time::sleep(Duration::from_millis(2)).await;
    "steady"
}

async fn slow(State(state): State<AppState>, uri: axum::http::Uri) -> &'static str {
    note(&state, &uri);
    tokio::time::sleep(Duration::from_millis(300)).await;
    "slow"
}

async fn fail(State(state): State<AppState>, uri: axum::http::Uri) -> StatusCode {
    note(&state, &uri);
    StatusCode::SERVICE_UNAVAILABLE
}

/// Answers at once, except that 200 ms after the first request every response is held
/// until a 300 ms stall is over (once).
async fn stall(State(state): State<AppState>, uri: axum::http::Uri) -> &'static str {
    note(&state, &uri);
    let now = Instant::now();
    let start = *state
        .stall_start
        .lock()
        .unwrap()
        .get_or_insert(now + Duration::from_millis(200));
    let end = start + Duration::from_millis(300);
    if now >= start && now < end {
        tokio::time::sleep_until(end).await;
    }
    "ok"
}

/// Every third response to `/close` (counted over all connections) says `connection: close`,
/// and the server closes that connection after it, as a server with a keep-alive request
/// limit does.
pub const CLOSE_EVERY: usize = 3;

async fn close(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    note(&state, &uri);
    let answered = {
        let mut seen = state.seen.lock().unwrap();
        seen.close_peers.push(peer);
        seen.close_peers.len()
    };
    if answered.is_multiple_of(CLOSE_EVERY) {
        ([("connection", "close")], "bye").into_response()
    } else {
        "ok".into_response()
    }
}

/// Writes `content` as `name` in `directory` and returns the path.
pub fn write_workflow(directory: &Path, name: &str, content: &str) -> PathBuf {
    let path = directory.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

pub fn settings(server: &TestServer, compress: f64, multiplier: f64) -> RunSettings {
    settings_for_base(&server.base, compress, multiplier)
}

/// Settings whose target `api` is the server at `base` (`http://127.0.0.1:PORT`).
pub fn settings_for_base(base: &str, compress: f64, multiplier: f64) -> RunSettings {
    let target: loadtest::target::Target = format!("api={base}").parse().unwrap();
    RunSettings {
        compress,
        multiplier,
        duration: None,
        targets: [("api".to_owned(), target)].into_iter().collect(),
        extra_sla: Vec::new(),
    }
}

pub fn options(connections: usize) -> RunOptions {
    RunOptions {
        workers: 2,
        connections,
        timeout: Duration::from_secs(5),
    }
}

/// Runs a workflow file against the server and returns the report.
pub async fn run(path: &Path, settings: &RunSettings, options: &RunOptions) -> Report {
    let (_stop, stop_receiver) = tokio::sync::watch::channel(false);
    run_workflow(path, settings, options, ProgressMode::Never, stop_receiver)
        .await
        .unwrap()
}

/// The report of one step, found by workflow, actor and step name.
pub fn step<'a>(
    report: &'a Report,
    workflow: &str,
    actor: &str,
    step: &str,
) -> &'a loadtest::report::Summary {
    &report
        .workflows
        .iter()
        .find(|w| w.name == workflow)
        .unwrap_or_else(|| panic!("no workflow {workflow}"))
        .actors
        .iter()
        .find(|a| a.name == actor)
        .unwrap_or_else(|| panic!("no actor {actor}"))
        .steps
        .iter()
        .find(|s| s.name == step)
        .unwrap_or_else(|| panic!("no step {step}"))
        .summary
}
