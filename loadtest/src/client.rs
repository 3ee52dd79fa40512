//! One HTTP/1 exchange over a worker's [`TargetPool`]: send, read the whole body, hand the
//! connection back.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
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
        let (response, connection) = pool.send(request).await?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|_| FailureKind::Io)?
            .to_bytes();
        pool.checkin(connection);
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
