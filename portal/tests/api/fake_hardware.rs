//! An in-process stand-in for the `hardware` service, serving docs/api.md's
//! `GET /hardware/changes` shapes. The router and sync tests use it (rather than the real
//! binary) because they need to script exact changes and failures — a 400 for `since`, a
//! catalog that silently loses a row, an outage at a chosen moment. The end-to-end tests
//! in tests/heavy run the real `hardware` binary.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Default)]
struct Catalog {
    /// Bumped on every recorded change; the version string is `fake-<n>`.
    version: u64,
    /// (profile JSON, version it last changed at)
    profiles: Vec<(Value, u64)>,
    /// Reject every `since` with 400 (a hardware whose database was replaced).
    reject_since: bool,
    /// `since` values received, in order (`None` = full request).
    requests: Vec<Option<String>>,
    /// The body of `GET /hardware/status`; `None` answers 404, as an older hardware does.
    status: Option<Value>,
    /// `GET /hardware/{provider}/{name}/history` bodies by "provider/name"; others are 404.
    histories: std::collections::HashMap<String, Value>,
    /// History requests received ("provider/name"), in order.
    history_requests: Vec<String>,
    /// How long the history route takes to answer (a slow hardware).
    history_delay: std::time::Duration,
}

#[derive(Clone)]
pub struct FakeHardware {
    catalog: Arc<Mutex<Catalog>>,
    addr: SocketAddr,
    server: Arc<Mutex<Option<JoinHandle<()>>>>,
}

pub fn profile(id: i64, provider: &str, name: &str, availability: Option<&str>) -> Value {
    json!({
        "id": id, "provider": provider, "name": name, "availability": availability,
        "computed_at": availability.map(|_| "2026-11-22T10:00:05Z"),
        "vcpus": 4, "memory_gib": 8.0, "gpus": 0
    })
}

impl FakeHardware {
    pub async fn start(profiles: Vec<Value>) -> Self {
        let catalog = Catalog {
            version: 1,
            profiles: profiles.into_iter().map(|p| (p, 1)).collect(),
            ..Catalog::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = Self {
            catalog: Arc::new(Mutex::new(catalog)),
            addr: listener.local_addr().unwrap(),
            server: Arc::new(Mutex::new(None)),
        };
        fake.serve(listener);
        fake
    }

    fn serve(&self, listener: TcpListener) {
        let app = Router::new()
            .route("/hardware/changes", get(changes))
            .route("/hardware/status", get(status))
            .route("/hardware/{provider}/{name}/history", get(history))
            .with_state(self.catalog.clone());
        let handle = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        *self.server.lock().unwrap() = Some(handle);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving: connections are refused from now on, as when the process is down.
    pub async fn stop(&self) {
        let handle = self.server.lock().unwrap().take();
        if let Some(handle) = handle {
            handle.abort();
            let _ = handle.await;
        }
    }

    /// Serves again on the same address.
    pub async fn restart(&self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    /// Inserts or replaces a profile (by id) as a recorded change.
    pub fn upsert(&self, new: Value) {
        let mut catalog = self.catalog.lock().unwrap();
        catalog.version += 1;
        let version = catalog.version;
        match catalog
            .profiles
            .iter_mut()
            .find(|(p, _)| p["id"] == new["id"])
        {
            Some(slot) => *slot = (new, version),
            None => catalog.profiles.push((new, version)),
        }
    }

    /// Deletes a profile without recording a change: only `total` reveals it, as when
    /// rows are deleted behind hardware's back.
    pub fn remove_silently(&self, id: i64) {
        let mut catalog = self.catalog.lock().unwrap();
        catalog.profiles.retain(|(p, _)| p["id"] != json!(id));
        catalog.version += 1;
    }

    pub fn reject_since(&self, reject: bool) {
        self.catalog.lock().unwrap().reject_since = reject;
    }

    pub fn set_status(&self, status: Option<Value>) {
        self.catalog.lock().unwrap().status = status;
    }

    /// Serves `history` (newest first, as `[(availability, computed_at)]`) for the profile.
    pub fn set_history(&self, provider: &str, name: &str, history: &[(&str, &str)]) {
        let entries: Vec<Value> = history
            .iter()
            .map(|(availability, at)| json!({"availability": availability, "computed_at": at}))
            .collect();
        self.catalog.lock().unwrap().histories.insert(
            format!("{provider}/{name}"),
            json!({"provider": provider, "name": name, "limit": 50, "history": entries}),
        );
    }

    pub fn delay_history(&self, delay: std::time::Duration) {
        self.catalog.lock().unwrap().history_delay = delay;
    }

    pub fn history_requests(&self) -> Vec<String> {
        self.catalog.lock().unwrap().history_requests.clone()
    }

    pub fn requests(&self) -> Vec<Option<String>> {
        self.catalog.lock().unwrap().requests.clone()
    }
}

async fn status(State(catalog): State<Arc<Mutex<Catalog>>>) -> Response {
    match catalog.lock().unwrap().status.clone() {
        Some(status) => axum::Json(status).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn history(
    State(catalog): State<Arc<Mutex<Catalog>>>,
    Path((provider, name)): Path<(String, String)>,
) -> Response {
    let key = format!("{provider}/{name}");
    let (delay, body) = {
        let mut catalog = catalog.lock().unwrap();
        catalog.history_requests.push(key.clone());
        (catalog.history_delay, catalog.histories.get(&key).cloned())
    };
    tokio::time::sleep(delay).await;
    match body {
        Some(body) => axum::Json(body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct ChangesQuery {
    since: Option<String>,
}

async fn changes(
    State(catalog): State<Arc<Mutex<Catalog>>>,
    Query(query): Query<ChangesQuery>,
) -> Response {
    let mut catalog = catalog.lock().unwrap();
    catalog.requests.push(query.since.clone());
    let version = catalog.version;
    let full_body = |catalog: &Catalog| {
        json!({
            "version": format!("fake-{}", catalog.version),
            "full": true,
            "total": catalog.profiles.len(),
            "profiles": catalog.profiles.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        })
    };
    let Some(since) = query.since else {
        return axum::Json(full_body(&catalog)).into_response();
    };
    let parsed = since
        .strip_prefix("fake-")
        .and_then(|n| n.parse::<u64>().ok());
    let since = match parsed {
        Some(since) if !catalog.reject_since => since,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "bad_since", "message": "malformed since"})),
            )
                .into_response();
        }
    };
    if since > version {
        return axum::Json(full_body(&catalog)).into_response();
    }
    let changed: Vec<Value> = catalog
        .profiles
        .iter()
        .filter(|(_, at)| *at > since)
        .map(|(p, _)| p.clone())
        .collect();
    if changed.is_empty() && since == version {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    axum::Json(json!({
        "version": format!("fake-{version}"),
        "full": false,
        "total": catalog.profiles.len(),
        "profiles": changed,
    }))
    .into_response()
}
