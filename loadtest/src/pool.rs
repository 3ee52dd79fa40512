//! A worker's connections to one target: at most one HTTP/1 connection per in-flight request
//! slot, kept alive between requests and replaced when the server closes one.
//!
//! Why not hyper-util's pooled `Client`: a profile of the load generator on the trivial
//! endpoint (docs/loadtest.md, "Speed") showed its per-request work (pool checkout and checkin
//! with SipHash of a key built from the URI's scheme and authority, the Host header formatted
//! from the URI, absolute-URI building and parsing) at about a fifth of the generator's
//! instructions. Here a worker owns its pool (its lock is never contended: one task uses it),
//! and requests carry a path-only URI and a Host header built once per target.
//!
//! Each connection's protocol runs in a task of its own, as in hyper's own client, on the
//! worker's thread. Tried and dropped (then on the shared multi-threaded runtime): the
//! request driving its connection inline, no task, one wake-up less per response. It took
//! 8 % more instructions under callgrind (both futures polled on every wake-up) and gave less
//! throughput.

use std::sync::Mutex;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::HeaderValue;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::stats::FailureKind;
use crate::target::Target;

type Sender = SendRequest<Full<Bytes>>;

/// Connections to one target, shared by one worker's iterations.
pub struct TargetPool {
    /// One permit per connection slot: a request waits here when every slot is busy.
    pub slots: Semaphore,
    /// Open connections not carrying a request right now.
    idle: Mutex<Vec<Sender>>,
    /// `host:port` to connect to.
    address: String,
    /// The Host header of every request, from the target's authority.
    host: Option<HeaderValue>,
}

impl TargetPool {
    pub fn new(target: &Target, slots: usize) -> Self {
        let address = if target.authority.contains(':') && !target.authority.ends_with(']') {
            target.authority.clone()
        } else {
            // No port in the URL: HTTP's default.
            format!("{}:80", target.authority)
        };
        TargetPool {
            slots: Semaphore::new(slots),
            idle: Mutex::new(Vec::with_capacity(slots)),
            address,
            host: HeaderValue::from_str(&target.authority).ok(),
        }
    }

    /// The Host header value for this target's requests.
    pub fn host(&self) -> Option<&HeaderValue> {
        self.host.as_ref()
    }

    /// Sends `request` (path-only URI) on an idle connection, or a new one when none is idle.
    /// A request the server never received because it had just closed a kept-alive
    /// connection is sent again on a new connection, as a browser would. The caller holds a
    /// slot permit; it hands the connection back with [`TargetPool::checkin`] once the body
    /// has been read.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Connection), FailureKind> {
        let (mut sender, mut reused) = match self.checkout().await {
            Some(sender) => (sender, true),
            None => (self.connect().await?, false),
        };
        loop {
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, Connection(sender))),
                Err(mut error) => match error.take_message() {
                    Some(unsent) if reused => {
                        request = unsent;
                        sender = self.connect().await?;
                        reused = false;
                    }
                    _ => return Err(FailureKind::Io),
                },
            }
        }
    }

    /// Returns a connection whose response was read in full, unless the server closed it.
    pub fn checkin(&self, connection: Connection) {
        if !connection.0.is_closed() {
            self.lock_idle().push(connection.0);
        }
    }

    /// An idle connection that is still open and ready for a request, if any.
    async fn checkout(&self) -> Option<Sender> {
        loop {
            let mut sender = self.lock_idle().pop()?;
            if sender.is_closed() {
                continue;
            }
            if sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Sender>> {
        // A panic while the lock was held left a vector of connections, still valid.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new connection, its protocol driven by a task of its own until either side closes.
    async fn connect(&self) -> Result<Sender, FailureKind> {
        let stream = TcpStream::connect(&self.address)
            .await
            .map_err(|_| FailureKind::Connect)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| FailureKind::Connect)?;
        tokio::spawn(async move {
            // The request that was on it has failed already; nothing else to report.
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// A connection lent to one request until its response body has been read.
pub struct Connection(Sender);
