//! A worker's connections to one target: at most one HTTP/1 connection per in-flight request
//! slot, kept alive between requests and replaced when the server closes one.
//!
//! Why not hyper-util's pooled `Client`: a profile of the load generator on the trivial
//! endpoint (docs/loadtest.md, "Speed") showed its per-request work (pool checkout and checkin
//! with SipHash of a key built from the URI's scheme and authority, the Host header formatted
//! from the URI, absolute-URI building and parsing) at a fifth of the generator's
//! instructions. Here a worker owns its pool (its lock is never contended: one task uses it),
//! requests carry a path-only URI and a Host header built once per target, and the request
//! that uses a connection also drives its protocol state machine, so a response wakes one
//! task (the worker) instead of a connection task and then the worker.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;

use bytes::Bytes;
use futures::future::{Either, select};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::TrySendError;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::HeaderValue;
use hyper::http::response::Parts;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::stats::FailureKind;
use crate::target::Target;

/// One HTTP/1 connection: the handle requests go in by and the state machine that reads and
/// writes the socket; it makes progress only while something polls it.
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    /// `None` once the connection has ended.
    driver: Option<Driver>,
}

type Driver = http1::Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// Connections to one target, shared by one worker's iterations.
pub struct TargetPool {
    /// One permit per connection slot: a request waits here when every slot is busy.
    pub slots: Semaphore,
    /// Open connections not carrying a request right now.
    idle: Mutex<Vec<Connection>>,
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

    /// Sends `request` (path-only URI) on an idle connection, or a new one when none is idle,
    /// and reads the whole response. A request the server never received because it had just
    /// closed a kept-alive connection is sent again on a new connection, as a browser would.
    /// The caller holds a slot permit and bounds the time.
    pub async fn exchange(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Parts, Bytes), FailureKind> {
        let (mut connection, mut reused) = match self.checkout().await {
            Some(connection) => (connection, true),
            None => (self.connect().await?, false),
        };
        loop {
            let Connection { sender, driver } = &mut connection;
            let sent = async {
                let response = sender.try_send_request(request).await?;
                let (parts, body) = response.into_parts();
                let read = body.collect().await;
                Ok::<_, TrySendError<_>>(read.map(|body| (parts, body.to_bytes())))
            };
            match drive(driver, sent).await {
                Ok(Ok(response)) => {
                    if connection.driver.is_some() && !connection.sender.is_closed() {
                        self.lock_idle().push(connection);
                    }
                    return Ok(response);
                }
                Ok(Err(_)) => return Err(FailureKind::Io),
                Err(mut error) => match error.take_message() {
                    Some(unsent) if reused => {
                        request = unsent;
                        connection = self.connect().await?;
                        reused = false;
                    }
                    _ => return Err(FailureKind::Io),
                },
            }
        }
    }

    /// An idle connection that is still open and ready for a request, if any.
    async fn checkout(&self) -> Option<Connection> {
        loop {
            let mut connection = self.lock_idle().pop()?;
            if connection.sender.is_closed() {
                continue;
            }
            // The previous response was read, but the connection learns that it may take
            // the next request (or that the server has closed it) only when polled.
            let Connection { sender, driver } = &mut connection;
            if drive(driver, sender.ready()).await.is_ok() && driver.is_some() {
                return Some(connection);
            }
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while the lock was held left a vector of connections, still valid.
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn connect(&self) -> Result<Connection, FailureKind> {
        let stream = TcpStream::connect(&self.address)
            .await
            .map_err(|_| FailureKind::Connect)?;
        let _ = stream.set_nodelay(true);
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| FailureKind::Connect)?;
        Ok(Connection {
            sender,
            driver: Some(driver),
        })
    }
}

/// Runs `work` while polling the connection's `driver`. When the connection ends first (the
/// server closed it, or an I/O error), the driver is dropped, which hands every request it
/// had not sent back to its sender; whatever it had received is already in `work`'s
/// channels, so `work` then finishes on its own.
async fn drive<F: Future>(driver: &mut Option<Driver>, work: F) -> F::Output {
    let Some(running) = driver.as_mut() else {
        return work.await;
    };
    let work = pin!(work);
    match select(work, running).await {
        Either::Left((output, _)) => output,
        Either::Right((_, work)) => {
            *driver = None;
            work.await
        }
    }
}
