//! The HTTP/1 client: hyper's pooled client with keep-alive, one per worker so workers never
//! contend for one connection pool.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::stats::FailureKind;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A keep-alive client. `connect_timeout` bounds the TCP connect; the whole exchange is
/// bounded separately in [`send`].
pub fn build_client(connect_timeout: Duration) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(connect_timeout));
    connector.enforce_http(true);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(usize::MAX)
        // A request that failed on a connection the server had just closed is retried on a
        // new one, as a browser would; the latency still counts from the first attempt.
        .retry_canceled_requests(true)
        .build(connector)
}

/// A complete response.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `request` and reads the whole body, all within `timeout`.
pub async fn send(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Response, FailureKind> {
    let exchange = async {
        let response = client.request(request).await.map_err(|error| {
            if error.is_connect() {
                FailureKind::Connect
            } else {
                FailureKind::Io
            }
        })?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|_| FailureKind::Io)?
            .to_bytes();
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(FailureKind::Timeout))
}
