//! The one HTTP listener every service runs: axum's router behind hyper, with the connection
//! hygiene `axum::serve` lacks.
//!
//! * A **header-read timeout**: a connection that starts a request and does not finish its
//!   headers within it is closed (slow-loris clients would otherwise hold a descriptor and
//!   ~30 KiB each for ever).
//! * An **idle keep-alive timeout**, separate and longer: a kept-alive connection with nothing
//!   to do is closed after it. It must be longer than the load balancer's idle timeout (the
//!   ALB's is 60 s), or the balancer reuses a connection the target just closed and answers 502.
//!   hyper's own `header_read_timeout` runs while a kept-alive connection waits for its next
//!   request too, so it cannot be both; [`connection`] keeps the two apart.
//! * A **connection cap** below the descriptor limit. At the cap a new connection takes the
//!   place of the oldest *slow* one (no request header completed yet; [`eviction`]), so a
//!   client holding thousands of half-sent requests cannot lock normal clients out; when
//!   every connection is busy or kept alive it gets a plain `503` and is closed, instead of
//!   the process running out of descriptors.
//! * A **listen backlog** as wide as the kernel allows ([`backlog`]), so a burst of reconnects
//!   does not drop a normal client's SYN.
//! * **Accept errors back off** (5 ms doubling to 1 s) and are logged at most every 10 s with
//!   a count, instead of a busy loop writing `Too many open files` every second.

mod accept;
mod backlog;
mod connection;
mod deferred;
mod drain;
mod eviction;
mod fd_limit;
mod listener_metrics;
mod rate_limited_log;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

pub use fd_limit::raise_descriptor_limit;
pub use listener_metrics::ListenerMetrics;

use crate::listener::accept::AcceptBackoff;
use crate::listener::connection::{Activity, Expired, Peeked, Timeouts, TrackedIo};
use crate::listener::deferred::Deferred;
use crate::listener::drain::Draining;
use crate::listener::eviction::{EvictionQueue, PATIENCE};
use crate::listener::rate_limited_log::RateLimitedLog;
use crate::shutdown::Stop;

/// Descriptors kept free for everything that is not a served client connection: database
/// files and sockets, outgoing HTTP, UDP, logs (~128), connections being refused (64) and
/// connections deferred at the cap (64; [`deferred`]).
const RESERVED_DESCRIPTORS: u64 = 256;

/// The listener's timeouts and cap, as flags and environment variables shared by every service.
#[derive(Debug, Clone, clap::Args)]
pub struct ListenerArgs {
    /// Seconds a client has to send a request's headers once it starts one; then the
    /// connection is closed.
    #[arg(long, env = "HTTP_HEADER_READ_TIMEOUT", default_value = "10", value_parser = parse_secs)]
    pub header_read_timeout: Duration,

    /// Seconds a kept-alive connection may sit idle before it is closed. Keep it above the load
    /// balancer's idle timeout (60 s on the ALB) so the balancer always closes first.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT", default_value = "75", value_parser = parse_secs)]
    pub idle_timeout: Duration,

    /// Client connections served at once; beyond it a connection is answered 503 and closed.
    /// Default: the descriptor limit minus 256 kept for files, sockets, the database and
    /// connections being refused.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// Seconds the service keeps serving after SIGTERM while `/readyz` answers 503 and HTTP/1
    /// responses carry `Connection: close`, so the load balancer stops sending before the
    /// listener closes. 0 stops accepting at once. Ctrl-C skips it.
    #[arg(long, env = "HTTP_DRAIN_DELAY", default_value = "5", value_parser = parse_secs_or_zero)]
    pub drain_delay: Duration,

    /// Seconds requests in flight get to finish once the listener stops accepting; connections
    /// still busy then are closed, so the process always exits in time.
    #[arg(long, env = "HTTP_SHUTDOWN_TIMEOUT", default_value = "20", value_parser = parse_secs)]
    pub shutdown_timeout: Duration,
}

impl Default for ListenerArgs {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: None,
            drain_delay: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

impl ListenerArgs {
    /// The connection cap: the flag, or what the descriptor limit leaves room for.
    pub fn connection_cap(&self) -> usize {
        match self.max_connections {
            Some(cap) => cap as usize,
            None => {
                let limit = fd_limit::current_descriptor_limit();
                limit
                    .saturating_sub(RESERVED_DESCRIPTORS)
                    .clamp(16, 1 << 20) as usize
            }
        }
    }
}

fn parse_secs(value: &str) -> Result<Duration, String> {
    let secs: f64 = value
        .parse()
        .map_err(|_| format!("'{value}' is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "'{value}' must be more than 0 and at most 86400 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_secs_or_zero(value: &str) -> Result<Duration, String> {
    match value.trim() {
        "0" | "0.0" => Ok(Duration::ZERO),
        _ => parse_secs(value),
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then drains (for [`Stop::Drain`]:
/// `/readyz` 503 and `Connection: close` for the drain delay), stops accepting, lets every
/// connection finish its request in flight and returns when all are closed or the shutdown
/// timeout has passed.
pub async fn serve<S: Into<Stop>>(
    listener: TcpListener,
    router: Router,
    args: &ListenerArgs,
    metrics: ListenerMetrics,
    shutdown: impl Future<Output = S> + Send + 'static,
) -> std::io::Result<()> {
    let descriptor_limit = raise_descriptor_limit();
    backlog::widen(&listener);
    let cap = args.connection_cap();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's header timer would also cut idle keep-alive connections; ours does both jobs.
    builder.http1().timer(hyper_util::rt::TokioTimer::new());
    builder.http1().header_read_timeout(None);
    let timeouts = Timeouts {
        header_read: args.header_read_timeout,
        idle: args.idle_timeout,
    };
    tracing::info!(
        max_connections = cap,
        descriptor_limit,
        header_read_timeout_s = timeouts.header_read.as_secs_f64(),
        idle_timeout_s = timeouts.idle.as_secs_f64(),
        drain_delay_s = args.drain_delay.as_secs_f64(),
        shutdown_timeout_s = args.shutdown_timeout.as_secs_f64(),
        "accepting connections"
    );
    let draining = Draining::default();
    let mut accepting = Accepting {
        listener,
        backoff: AcceptBackoff::default(),
        metrics: metrics.clone(),
        admitter: Admitter {
            cap,
            permits: Arc::new(Semaphore::new(cap)),
            evictions: EvictionQueue::new(cap),
            deferred: Deferred::default(),
            refusals: RateLimitedLog::every(Duration::from_secs(10)),
            template: Connection {
                router,
                builder,
                timeouts,
                metrics,
                stop: stop_rx,
                draining: draining.clone(),
            },
        },
    };
    let stop: Stop = accepting.until(shutdown).await.into();
    if stop == Stop::Drain && !args.drain_delay.is_zero() {
        draining.start();
        tracing::info!(
            drain_delay_s = args.drain_delay.as_secs_f64(),
            "draining: /readyz answers 503 and responses say Connection: close"
        );
        accepting.until(tokio::time::sleep(args.drain_delay)).await;
    }
    tracing::info!("no longer accepting; finishing the requests in flight");
    let _ = stop_tx.send(true);
    let Accepting {
        listener,
        mut admitter,
        ..
    } = accepting;
    drop(listener);
    for stream in admitter.deferred.drain() {
        connection::refuse(stream);
    }
    // Every connection task holds a permit: all of them back means all connections are closed.
    let all_closed = admitter.permits.acquire_many(cap as u32);
    if tokio::time::timeout(args.shutdown_timeout, all_closed)
        .await
        .is_err()
    {
        tracing::warn!(
            still_open = cap - admitter.permits.available_permits(),
            shutdown_timeout_s = args.shutdown_timeout.as_secs_f64(),
            "connections still busy at the shutdown timeout are closed"
        );
    }
    Ok(())
}

/// The accept loop's state, kept across the serving and the draining phase.
struct Accepting {
    listener: TcpListener,
    backoff: AcceptBackoff,
    metrics: ListenerMetrics,
    admitter: Admitter,
}

impl Accepting {
    /// Accepts and admits connections until `until` resolves, and returns its output.
    async fn until<T>(&mut self, until: impl Future<Output = T>) -> T {
        let mut until = std::pin::pin!(until);
        // One timer for the whole loop: a sleep made afresh each turn would never fire while
        // connections arrive faster than it, and deferred ones would never be looked at again.
        let mut sweeps = tokio::time::interval(deferred::SWEEP_EVERY);
        sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let accepted = tokio::select! {
                output = &mut until => return output,
                accepted = self.listener.accept() => accepted,
                _ = sweeps.tick(), if !self.admitter.deferred.is_empty() => {
                    self.admitter.sweep_deferred();
                    continue;
                }
            };
            match accepted {
                Ok((stream, _peer)) => {
                    self.backoff.succeeded();
                    self.admitter.arrived(stream);
                }
                Err(err) => {
                    self.metrics.accept_errors.inc();
                    if let Some(pause) = self.backoff.failed(&err) {
                        tokio::select! {
                            output = &mut until => return output,
                            () = tokio::time::sleep(pause) => {}
                        }
                    }
                }
            }
        }
    }
}

/// Decides, for each accepted connection, whether it is served, takes a slow connection's
/// place, waits a moment for its request, or is refused.
struct Admitter {
    cap: usize,
    permits: Arc<Semaphore>,
    evictions: EvictionQueue,
    deferred: Deferred,
    refusals: RateLimitedLog,
    template: Connection,
}

impl Admitter {
    fn arrived(&mut self, stream: TcpStream) {
        let peeked = connection::peek_request(&stream);
        let min_age = if peeked == Peeked::CompleteHeader {
            Duration::ZERO
        } else {
            PATIENCE
        };
        match self.place(min_age) {
            Some(admission) => self.spawn(stream, admission),
            // At the cap with nobody old enough to evict: a normal client's request is often a
            // few microseconds behind its connection, so look again shortly before refusing.
            None if peeked == Peeked::Nothing => {
                if let Some(overflow) = self.deferred.push(stream) {
                    self.refuse(overflow);
                }
            }
            None => self.refuse(stream),
        }
    }

    /// Deferred connections whose request has arrived take a slow connection's place; those
    /// that waited too long are refused.
    fn sweep_deferred(&mut self) {
        let (ready, expired) = self.deferred.sweep();
        for stream in ready {
            match self.place(Duration::ZERO) {
                Some(admission) => self.spawn(stream, admission),
                None => self.refuse(stream),
            }
        }
        for stream in expired {
            self.refuse(stream);
        }
    }

    /// A free place, or the place of a connection slow for at least `min_age`.
    fn place(&mut self, min_age: Duration) -> Option<Admission> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Some(Admission::Now(permit));
        }
        if self.evictions.evict_oldest_slow(min_age) {
            self.template.metrics.evicted.inc();
            return Some(Admission::AfterEviction(self.permits.clone()));
        }
        None
    }

    fn spawn(&mut self, stream: TcpStream, admission: Admission) {
        let activity = Arc::new(Activity::new());
        self.evictions.admitted(&activity);
        let conn = self.template.clone();
        tokio::spawn(conn.run(stream, activity, admission));
    }

    fn refuse(&mut self, stream: TcpStream) {
        self.template.metrics.refused.inc();
        let cap = self.cap;
        self.refusals.log(|suppressed| {
            tracing::warn!(
                max_connections = cap,
                refused_since_last_log = suppressed + 1,
                "connection cap reached and no slow connection to evict: answering 503 and closing"
            );
        });
        connection::refuse(stream);
    }
}

/// How long a newcomer waits for the place of the connection it evicted (that connection's
/// task only has to notice and drop, well under a millisecond unless the runtime is stalled).
const EVICTION_WAIT: Duration = Duration::from_secs(1);
enum Admission {
    Now(OwnedSemaphorePermit),
    /// The place of a connection just evicted, free once that connection has closed.
    AfterEviction(Arc<Semaphore>),
}

/// What one connection's task needs from the listener.
#[derive(Clone)]
struct Connection {
    router: Router,
    builder: auto::Builder<TokioExecutor>,
    timeouts: Timeouts,
    metrics: ListenerMetrics,
    stop: watch::Receiver<bool>,
    draining: Draining,
}

impl Connection {
    /// Serves the connection until it closes, times out, is evicted or the listener stops.
    async fn run(mut self, stream: TcpStream, activity: Arc<Activity>, admission: Admission) {
        let _permit = match admission {
            Admission::Now(permit) => permit,
            Admission::AfterEviction(permits) => {
                match tokio::time::timeout(EVICTION_WAIT, permits.acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => {
                        self.metrics.refused.inc();
                        connection::refuse(stream);
                        return;
                    }
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let metrics = self.metrics;
        metrics.open.inc();
        let io = TokioIo::new(TrackedIo::new(stream, activity.clone()));
        let service = connection::tracked_service(self.router, activity.clone(), self.draining);
        let conn = self.builder.serve_connection_with_upgrades(io, service);
        let mut conn = std::pin::pin!(conn);
        let mut stopping = false;
        loop {
            tokio::select! {
                _ = conn.as_mut() => break,
                expired = connection::watchdog(&activity, self.timeouts) => {
                    match expired {
                        Expired::HeaderRead => metrics.header_timeouts.inc(),
                        Expired::Idle => metrics.idle_timeouts.inc(),
                        Expired::Evicted => {}
                    }
                    break; // dropping the connection closes the socket
                }
                changed = self.stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
        metrics.open.dec();
    }
}
