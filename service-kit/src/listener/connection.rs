//! One client connection: what it is doing (idle, reading a request's headers, or serving), and
//! the watchdog that closes it when it has idled or dawdled too long.
//!
//! The phase comes from two places: the socket wrapper sees bytes arrive, the service wrapper
//! sees a request start and its response finish. Bytes arriving on an idle connection start
//! the header-read clock; the request reaching the router stops it. A finished response starts
//! the idle clock.
//!
//! At the connection cap the listener may evict a connection that is still *slow*: one that
//! has not completed a request header (it never sent a whole request, or it is part-way
//! through one). A kept-alive connection that has served a request is never evicted: closing
//! it races the load balancer reusing it, which the balancer answers with a 502.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::listener::drain::Draining;

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    HeaderRead,
    Idle,
    /// Evicted at the connection cap to make room for a new connection.
    Evicted,
}

struct Phase {
    in_flight: usize,
    idle_since: Instant,
    /// When the first byte of the next request arrived, while no request was in flight.
    head_since: Option<Instant>,
    accepted: Instant,
    /// Requests that reached the router on this connection.
    requests: u64,
    evicted: bool,
}

impl Phase {
    /// Since when the connection has been slow: no request in flight, and either no request
    /// yet (slow since it was accepted) or the next one part-way through its headers.
    fn slow_since(&self) -> Option<Instant> {
        if self.evicted || self.in_flight > 0 {
            None
        } else if self.requests == 0 {
            Some(self.accepted)
        } else {
            self.head_since
        }
    }
}

pub struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    pub fn new() -> Self {
        Self {
            phase: Mutex::new(Phase {
                in_flight: 0,
                idle_since: Instant::now(),
                head_since: None,
                accepted: Instant::now(),
                requests: 0,
                evicted: false,
            }),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bytes_arrived(&self) {
        let mut phase = self.phase();
        if phase.in_flight == 0 && phase.head_since.is_none() {
            phase.head_since = Some(Instant::now());
            drop(phase);
            self.changed.notify_waiters();
        }
    }

    pub(super) fn request_started(self: &Arc<Self>) -> InFlight {
        let mut phase = self.phase();
        phase.in_flight += 1;
        phase.requests += 1;
        phase.head_since = None;
        InFlight(self.clone())
    }

    /// Whether this connection has not completed a request header: it has sent no whole
    /// request yet, or is part-way through the headers of its next one.
    #[cfg(test)]
    pub fn is_slow(&self) -> bool {
        self.phase().slow_since().is_some()
    }

    /// Marks the connection for closing if it has been slow for at least `min_age`; its
    /// watchdog then fires at once. Checked and marked under one lock, so a request that has
    /// reached the router is never cut off.
    pub fn evict_if_slow(&self, min_age: Duration) -> bool {
        let mut phase = self.phase();
        let slow = phase
            .slow_since()
            .is_some_and(|since| since.elapsed() >= min_age);
        if slow {
            phase.evicted = true;
            drop(phase);
            self.changed.notify_waiters();
        }
        slow
    }

    /// When the connection expires if nothing changes, or `None` while a request is in flight.
    fn deadline(&self, timeouts: Timeouts) -> Option<(Instant, Expired)> {
        let phase = self.phase();
        if phase.in_flight > 0 {
            return None;
        }
        if phase.evicted {
            return Some((Instant::now(), Expired::Evicted));
        }
        Some(match phase.head_since {
            Some(since) => (since + timeouts.header_read, Expired::HeaderRead),
            None => (phase.idle_since + timeouts.idle, Expired::Idle),
        })
    }
}

/// Marks a request in flight until dropped (its response is done, or the connection went away).
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut phase = self.0.phase();
        phase.in_flight -= 1;
        if phase.in_flight == 0 {
            phase.idle_since = Instant::now();
            phase.head_since = None;
            drop(phase);
            self.0.changed.notify_waiters();
        }
    }
}

/// Resolves when the connection has been idle, or has been reading headers, for too long.
pub async fn watchdog(activity: &Activity, timeouts: Timeouts) -> Expired {
    loop {
        // Registered before the phase is read, so a change in between is not missed.
        let changed = activity.changed.notified();
        match activity.deadline(timeouts) {
            Some((at, expired)) if Instant::now() >= at => return expired,
            Some((at, _)) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = changed => {}
                }
            }
            None => changed.await,
        }
    }
}

/// The router, with each request marked in flight on the connection's [`Activity`].
pub fn tracked_service(
    router: Router,
    activity: Arc<Activity>,
    draining: Draining,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Body>, Infallible>> + Send + 'static,
> + Clone
+ Send
+ 'static {
    hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = activity.request_started();
        let router = router.clone();
        let draining = draining.clone();
        async move {
            if let Some(answer) = draining.intercept(&request) {
                return Ok(answer);
            }
            let version = request.version();
            let mut response = router.oneshot(request).await;
            if let Ok(response) = &mut response {
                draining.mark(version, response);
            }
            drop(in_flight);
            response
        }
    })
}

/// The socket, reporting to [`Activity`] whenever bytes arrive.
pub struct TrackedIo {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl TrackedIo {
    pub fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Self { stream, activity }
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_arrived();
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// What a just-accepted socket already holds, looked at without reading or waiting (one
/// non-blocking peek of up to 8 KiB). A normal client sends its whole request head in one
/// write right after connecting; a slow client sends part of one, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peeked {
    Nothing,
    PartialHeader,
    CompleteHeader,
}

pub fn peek_request(stream: &TcpStream) -> Peeked {
    let mut space = [std::mem::MaybeUninit::<u8>::uninit(); 8192];
    let mut buf = ReadBuf::uninit(&mut space);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    match stream.poll_peek(&mut cx, &mut buf) {
        Poll::Ready(Ok(0)) | Poll::Pending | Poll::Ready(Err(_)) => Peeked::Nothing,
        Poll::Ready(Ok(_)) if buf.filled().windows(4).any(|w| w == b"\r\n\r\n") => {
            Peeked::CompleteHeader
        }
        Poll::Ready(Ok(_)) => Peeked::PartialHeader,
    }
}

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 43\r\n\
retry-after: 1\r\n\
connection: close\r\n\
\r\n\
too many connections open; try again later\n";

/// Refusals being written at once; beyond it a connection is closed without a word, so a
/// flood cannot take more descriptors through the refusal path than the cap allows.
static REFUSING: Semaphore = Semaphore::const_new(64);

/// Answers 503 and closes. The request is read (and thrown away) for a moment first: closing a
/// socket with unread bytes sends a reset, and the client would see that instead of the 503.
pub fn refuse(stream: TcpStream) {
    let Ok(permit) = REFUSING.try_acquire() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let mut stream = stream;
        let _ = stream.try_write(REFUSAL);
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut stream).await;
        let mut sink = [0u8; 1024];
        let drain = async {
            while let Ok(n) = tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(200), drain).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        header_read: Duration::from_secs(10),
        idle: Duration::from_secs(75),
    };

    #[test]
    fn the_refusal_is_a_well_formed_response() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert_eq!(body.len(), 43, "content-length matches the body");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_expires_after_the_idle_timeout() {
        let activity = Activity::new();
        let started = Instant::now();
        assert_eq!(watchdog(&activity, T).await, Expired::Idle);
        assert_eq!(started.elapsed(), T.idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_started_request_must_finish_its_headers_in_time() {
        let activity = Arc::new(Activity::new());
        tokio::time::advance(Duration::from_secs(30)).await;
        activity.bytes_arrived();
        let started = Instant::now();
        assert_eq!(watchdog(&activity, T).await, Expired::HeaderRead);
        assert_eq!(started.elapsed(), T.header_read);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_never_expires_and_its_end_restarts_the_idle_clock() {
        let activity = Arc::new(Activity::new());
        activity.bytes_arrived();
        let in_flight = activity.request_started();
        let watch = watchdog(&activity, T);
        tokio::pin!(watch);
        tokio::select! {
            _ = &mut watch => panic!("expired while a request was in flight"),
            () = tokio::time::sleep(Duration::from_secs(600)) => {}
        }
        drop(in_flight);
        let finished = Instant::now();
        assert_eq!(watch.await, Expired::Idle);
        assert_eq!(finished.elapsed(), T.idle);
    }
}
