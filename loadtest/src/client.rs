//! One HTTP/1 exchange over a worker's [`TargetPool`], bounded in time.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HeaderMap;
use hyper::{Request, StatusCode};

use crate::pool::TargetPool;
use crate::stats::FailureKind;

/// A complete response.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `request` (path-only URI, Host header set) to `pool`'s target and reads the whole
/// body, all within `timeout`, connecting first when no connection is idle.
pub async fn send(
    pool: &TargetPool,
    request: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Response, FailureKind> {
    let exchange = async {
        let (parts, body) = pool.exchange(request).await?;
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
