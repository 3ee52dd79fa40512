//! The HTTP client for `hardware`'s `GET /hardware/changes` (docs/api.md).

use std::time::Duration;

use reqwest::{StatusCode, Url, header};
use serde::Deserialize;
use thiserror::Error;

use crate::domain::{ComputeStatus, History, Profile};

/// A slow `hardware` must not stall the sync loop: connecting gets 1 s, the whole
/// request (a full catalog of 100,000 profiles is a few MB) gets 5 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// A profile's page waits at most this long for its history (one indexed query on
/// `hardware`, milliseconds when healthy); past it the page shows the synced trend instead.
/// Well under the 1 s every response must meet, so a slow `hardware` still leaves the page
/// its render and the network.
pub const HISTORY_TIMEOUT: Duration = Duration::from_millis(300);
/// Results a profile's page asks for.
pub const HISTORY_LIMIT: usize = 50;

/// The body of a 200 from `/hardware/changes`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangeSet {
    pub version: String,
    /// `true`: `profiles` is the whole catalog; `false`: only what changed since `since`.
    pub full: bool,
    /// Catalog size on the server, to detect a copy that drifted (e.g. deleted rows).
    pub total: usize,
    pub profiles: Vec<Profile>,
}

#[derive(Debug)]
pub enum Changes {
    /// 304: nothing changed since the version we sent.
    NotModified,
    Changed(ChangeSet),
}

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("cannot reach hardware at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// `hardware` rejected our `since` (400): the caller drops it and asks for everything.
    #[error("hardware rejected the sync request ({status}): {body}")]
    Rejected { status: StatusCode, body: String },
    #[error("hardware answered {status}")]
    ServerError { status: StatusCode },
    #[error("hardware sent a body that is not the documented change set: {0}")]
    BadBody(String),
}

#[derive(Debug, Clone)]
pub struct HardwareClient {
    http: reqwest::Client,
    changes_url: Url,
    status_url: Url,
    /// `hardware`'s root: history URLs are built per profile.
    base: Url,
}

impl HardwareClient {
    /// `base` is the hardware service's root, e.g. `http://127.0.0.1:5001`.
    pub fn new(base: &Url) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("portal/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let endpoint = |path: &str| {
            let mut url = base.clone();
            url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
            url.set_query(None);
            url
        };
        Ok(Self {
            http,
            changes_url: endpoint("/hardware/changes"),
            status_url: endpoint("/hardware/status"),
            base: endpoint(""),
        })
    }

    /// `GET /hardware/status`: what the refresher computes now. `None` when it cannot be had
    /// (an older `hardware` without it answers 404): the page then says less, never wrong.
    pub async fn status(&self) -> Option<ComputeStatus> {
        let response = match self.http.get(self.status_url.clone()).send().await {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                tracing::debug!(status = %response.status(), "no compute status from hardware");
                return None;
            }
            Err(err) => {
                tracing::debug!(error = %err, "compute status request failed");
                return None;
            }
        };
        match response.json::<ComputeStatus>().await {
            Ok(status) => Some(status),
            Err(err) => {
                tracing::debug!(error = %err, "compute status is not the documented shape");
                None
            }
        }
    }

    /// `GET /hardware/{provider}/{name}/history?limit=HISTORY_LIMIT`, within
    /// [`HISTORY_TIMEOUT`]. A 404 (an unknown profile, or a `hardware` older than history)
    /// is `Rejected`.
    pub async fn history(&self, provider: &str, name: &str) -> Result<History, FetchError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| FetchError::BadBody("the hardware URL cannot have a path".into()))?
            .pop_if_empty()
            .extend(["hardware", provider, name, "history"]);
        url.query_pairs_mut()
            .append_pair("limit", &HISTORY_LIMIT.to_string());
        let unreachable = |source| FetchError::Unreachable {
            url: url.to_string(),
            source,
        };
        let response = self
            .http
            .get(url.clone())
            .timeout(HISTORY_TIMEOUT)
            .send()
            .await
            .map_err(unreachable)?;
        json_body(response, unreachable).await
    }

    /// One `GET /hardware/changes[?since=...]`. `If-None-Match` carries the same version,
    /// so a cache between us and `hardware` can answer 304 as well.
    pub async fn changes(&self, since: Option<&str>) -> Result<Changes, FetchError> {
        let mut url = self.changes_url.clone();
        if let Some(since) = since {
            url.query_pairs_mut().append_pair("since", since);
        }
        let mut request = self.http.get(url.clone());
        if let Some(since) = since {
            request = request.header(header::IF_NONE_MATCH, format!("\"{since}\""));
        }
        let unreachable = |source| FetchError::Unreachable {
            url: url.to_string(),
            source,
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Changes::NotModified);
        }
        json_body(response, unreachable).await.map(Changes::Changed)
    }
}

/// The JSON body of `response`: a 4xx is `Rejected` (with the start of its body, which names
/// the problem), any other non-2xx `ServerError`, a body that does not parse `BadBody`.
async fn json_body<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    unreachable: impl FnOnce(reqwest::Error) -> FetchError,
) -> Result<T, FetchError> {
    let status = response.status();
    if status.is_client_error() {
        let body = response.text().await.unwrap_or_default();
        let body = body.chars().take(200).collect();
        return Err(FetchError::Rejected { status, body });
    }
    if !status.is_success() {
        return Err(FetchError::ServerError { status });
    }
    let bytes = response.bytes().await.map_err(unreachable)?;
    serde_json::from_slice(&bytes).map_err(|err| FetchError::BadBody(err.to_string()))
}
