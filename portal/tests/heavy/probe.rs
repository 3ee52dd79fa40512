//! A pass-through proxy in front of a running portal for the browser tests. It adds one
//! same-origin test script (`/__probe.js`, the test's own JavaScript) to each page, so the
//! browser itself can act on the page (focus a link, hide the tab) and write what it saw into
//! `data-probe-*` attributes on `<html>`, which `chromium --dump-dom` then shows. It can also
//! hold the script's first `/version` poll until the test says go: Chromium's virtual time
//! stands still while a fetch is pending, so the test changes `hardware` at a known point.
//! [`Probe::plain`] adds no script: the page as the portal serves it, `/version` handled the same.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use test_support::http;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// What the proxy does with `/version`.
pub enum Versions {
    /// Passed through.
    Live,
    /// The first poll waits for [`Probe::release`]; later ones pass through.
    HoldFirst,
    /// Always 503: the page's script never sees a new snapshot, so the page stays as loaded.
    Frozen,
}

struct Shared {
    portal: String,
    /// `None`: pages pass through unchanged.
    script: Option<String>,
    versions: Versions,
    first_poll: Mutex<Option<oneshot::Sender<()>>>,
    release: Notify,
    released: AtomicBool,
}

pub struct Probe {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    first_poll: Option<oneshot::Receiver<()>>,
    server: JoinHandle<()>,
}

impl Probe {
    pub async fn start(portal: String, script: &str, versions: Versions) -> Self {
        Self::serve(portal, Some(script.to_owned()), versions).await
    }

    /// The proxy without a probe script.
    pub async fn plain(portal: String, versions: Versions) -> Self {
        Self::serve(portal, None, versions).await
    }

    async fn serve(portal: String, script: Option<String>, versions: Versions) -> Self {
        let (first_tx, first_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            portal,
            script,
            versions,
            first_poll: Mutex::new(Some(first_tx)),
            release: Notify::new(),
            released: false.into(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(forward).with_state(shared.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            shared,
            first_poll: Some(first_rx),
            server,
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    /// Waits (up to 60 s) for the page script's first `/version` poll.
    pub async fn first_poll(&mut self) {
        let first = self.first_poll.take().expect("first_poll called once");
        tokio::time::timeout(std::time::Duration::from_secs(60), first)
            .await
            .expect("the page script never polled /version")
            .unwrap();
    }

    pub fn release(&self) {
        self.shared.released.store(true, Ordering::SeqCst);
        self.shared.release.notify_waiters();
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.release();
        self.server.abort();
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    match request.uri().path() {
        "/__probe.js" if shared.script.is_some() => {
            return (
                [(header::CONTENT_TYPE, "text/javascript")],
                shared.script.clone().unwrap_or_default(),
            )
                .into_response();
        }
        "/version" => match shared.versions {
            Versions::Live => {}
            Versions::Frozen => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
            Versions::HoldFirst => {
                let first = shared.first_poll.lock().unwrap().take();
                if let Some(first) = first {
                    let _ = first.send(());
                }
                let released = shared.release.notified();
                if !shared.released.load(Ordering::SeqCst) {
                    released.await;
                }
            }
        },
        _ => {}
    }
    let Ok(upstream) = http::client()
        .get(format!("{}{path}", shared.portal))
        .send()
        .await
    else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = upstream.status();
    let content_type = upstream.headers().get(header::CONTENT_TYPE).cloned();
    let body = upstream.bytes().await.unwrap_or_default();
    let is_html = content_type
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let body = if is_html && shared.script.is_some() {
        // After app.js (also deferred), so the probe sees the page script already running.
        String::from_utf8_lossy(&body)
            .replacen(
                "</head>",
                "<script src=\"/__probe.js\" defer></script></head>",
                1,
            )
            .into_bytes()
            .into()
    } else {
        body
    };
    let mut response = (status, body).into_response();
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    response
}

/// The value of `data-probe-<name>` on `<html>` in a dumped DOM.
pub fn probe_value(dom: &str, name: &str) -> Option<String> {
    let marker = format!("data-probe-{name}=\"");
    let start = dom.find(&marker)? + marker.len();
    let end = start + dom[start..].find('"')?;
    Some(dom[start..end].to_owned())
}
