//! Spawning the service for tests: its own temporary SQLite file, port 0 on loopback, and an
//! injected availability source (fast, or one that never finishes within the test).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use hardware::Application;
use hardware::availability::{AvailabilitySource, FakeSource};
use hardware::config::{Cli, ServeArgs};
use hardware::store::{SqliteStore, Store};
use http_body_util::BodyExt;
use service_kit::HttpMetrics;
use test_support::{prometheus, wait};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

pub fn serve_args(database: &std::path::Path, extra: &[&str]) -> ServeArgs {
    let database = database.to_str().unwrap().to_owned();
    let mut argv = vec![
        "hardware",
        "--bind",
        "127.0.0.1:0",
        "--database",
        &database,
        "--refresh-interval",
        "3600",
    ];
    argv.extend_from_slice(extra);
    clap::Parser::try_parse_from(argv)
        .map(|cli: Cli| cli.serve)
        .unwrap()
}

pub fn fast() -> Arc<dyn AvailabilitySource> {
    Arc::new(FakeSource {
        delay: Duration::from_millis(1),
    })
}

/// A source whose computations do not finish while a test runs.
pub fn never() -> Arc<dyn AvailabilitySource> {
    Arc::new(FakeSource {
        delay: Duration::from_secs(3600),
    })
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(
        db_path: PathBuf,
        source: Arc<dyn AvailabilitySource>,
        extra: &[&str],
    ) -> Self {
        let args = serve_args(&db_path, extra);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db_path).await.unwrap());
        let app = Application::build_with(&args, store, source, HttpMetrics::new("hardware"))
            .await
            .unwrap();
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Polls `GET /hardware/` until `done` holds or the timeout passes.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        wait::until(timeout, Duration::from_millis(50), async || {
            let rows = self
                .get_json("/hardware/")
                .await
                .as_array()
                .unwrap()
                .clone();
            if done(&rows) {
                return Ok(rows);
            }
            Err("condition not reached")
        })
        .await
    }

    /// One sample of a Prometheus series from `/metrics`.
    pub async fn metric(&self, series: &str) -> f64 {
        prometheus::metric(&self.client, &format!("http://{}", self.addr), series).await
    }

    /// Sends the shutdown signal and waits for the service to finish.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.task.take().unwrap())
            .await
            .expect("shutdown finishes")
            .unwrap()
            .unwrap();
    }
}

pub fn computed(rows: &[serde_json::Value]) -> usize {
    rows.iter()
        .filter(|row| !row["availability"].is_null())
        .count()
}

/// An in-process app whose router tests call with `oneshot`, no socket involved. Nothing is
/// ever computed (the refresher does not run), so every availability is null.
pub struct InProcess {
    pub router: axum::Router,
    pub state: hardware::state::AppState,
    _dir: tempfile::TempDir,
}

impl InProcess {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hw.db");
        let args = serve_args(&db, &[]);
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db).await.unwrap());
        let app = Application::build_with(&args, store, never(), HttpMetrics::new("hardware"))
            .await
            .unwrap();
        let state = app.state().clone();
        Self {
            router: hardware::router(state.clone()),
            state,
            _dir: dir,
        }
    }

    pub async fn get(&self, uri: &str, headers: &[(&str, &str)]) -> Response<Body> {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    pub async fn get_json(&self, uri: &str) -> (u16, serde_json::Value) {
        let response = self.get(uri, &[]).await;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }
}
