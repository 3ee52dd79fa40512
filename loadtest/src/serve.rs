//! `loadtest serve-trivial`: a minimal HTTP server to measure the load generator itself,
//! optionally with one injected stall to show what coordinated omission hides.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct TrivialOptions {
    /// Added to every response.
    pub delay: Duration,
    /// When set, `(after, length)`: starting `after` the first request, every response is
    /// held until the stall of `length` is over. Happens once.
    pub stall: Option<(Duration, Duration)>,
}

/// Serves `ok` on every path until `shutdown` completes.
pub async fn serve_trivial(
    listener: TcpListener,
    options: TrivialOptions,
    shutdown: impl Future<Output = ()>,
) {
    let first_request: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    let options = Arc::new(options);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        // Accept errors (too many open files, a reset during the handshake) are transient
        // for a benchmark server; the client sees them as connect errors.
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let first_request = first_request.clone();
        let options = options.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                respond(request, options.clone(), first_request.clone())
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond(
    _request: Request<Incoming>,
    options: Arc<TrivialOptions>,
    first_request: Arc<OnceLock<Instant>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let now = Instant::now();
    let first = *first_request.get_or_init(|| now);
    if let Some((after, length)) = options.stall {
        let stall_start = first + after;
        let stall_end = stall_start + length;
        if now >= stall_start && now < stall_end {
            tokio::time::sleep_until(stall_end).await;
        }
    }
    if !options.delay.is_zero() {
        tokio::time::sleep(options.delay).await;
    }
    let mut response = Response::new(Full::new(Bytes::from_static(b"ok\n")));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    Ok(response)
}
