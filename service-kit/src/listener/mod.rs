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
//! * A **connection cap** below the descriptor limit: beyond it a connection gets a plain
//!   `503` and is closed, instead of the process running out of descriptors.
//! * **Accept errors back off** (5 ms doubling to 1 s) and are logged at most every 10 s with
//!   a count, instead of a busy loop writing `Too many open files` every second.

mod accept;
mod connection;
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
use tokio::sync::{Semaphore, watch};

pub use fd_limit::raise_descriptor_limit;
pub use listener_metrics::ListenerMetrics;

use crate::listener::accept::AcceptBackoff;
use crate::listener::connection::{Activity, Expired, TrackedIo};
use crate::listener::rate_limited_log::RateLimitedLog;

/// Descriptors kept free for everything that is not a client connection (database files and
/// sockets, outgoing HTTP, UDP, logs).
const RESERVED_DESCRIPTORS: u64 = 128;

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
    /// Default: the descriptor limit minus 128 kept for files, sockets and the database.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
}

impl Default for ListenerArgs {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: None,
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

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets every
/// connection finish its request in flight and returns when all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    args: &ListenerArgs,
    metrics: ListenerMetrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let descriptor_limit = raise_descriptor_limit();
    let cap = args.connection_cap();
    let permits = Arc::new(Semaphore::new(cap));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = AcceptBackoff::default();
    let mut refusals = RateLimitedLog::every(Duration::from_secs(10));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // hyper's header timer would also cut idle keep-alive connections; ours does both jobs.
    builder.http1().timer(hyper_util::rt::TokioTimer::new());
    builder.http1().header_read_timeout(None);
    let timeouts = connection::Timeouts {
        header_read: args.header_read_timeout,
        idle: args.idle_timeout,
    };
    tracing::info!(
        max_connections = cap,
        descriptor_limit,
        header_read_timeout_s = timeouts.header_read.as_secs_f64(),
        idle_timeout_s = timeouts.idle.as_secs_f64(),
        "accepting connections"
    );
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => {
                backoff.succeeded();
                stream
            }
            Err(err) => {
                metrics.accept_errors.inc();
                if let Some(pause) = backoff.failed(&err) {
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(pause) => {}
                    }
                }
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            metrics.refused.inc();
            refusals.log(|suppressed| {
                tracing::warn!(
                    max_connections = cap,
                    refused_since_last_log = suppressed + 1,
                    "connection cap reached: answering 503 and closing"
                );
            });
            connection::refuse(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(TrackedIo::new(stream, activity.clone()));
        let service = connection::tracked_service(router.clone(), activity.clone());
        let builder = builder.clone();
        let mut stop_rx = stop_rx.clone();
        let metrics = metrics.clone();
        metrics.open.inc();
        tokio::spawn(async move {
            let conn = builder.serve_connection_with_upgrades(io, service);
            let mut conn = std::pin::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    _ = conn.as_mut() => break,
                    expired = connection::watchdog(&activity, timeouts) => {
                        match expired {
                            Expired::HeaderRead => metrics.header_timeouts.inc(),
                            Expired::Idle => metrics.idle_timeouts.inc(),
                        }
                        break; // dropping the connection closes the socket
                    }
                    changed = stop_rx.changed(), if !stopping => {
                        stopping = true;
                        if changed.is_ok() {
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            metrics.open.dec();
            drop(permit);
        });
    }
    let _ = stop_tx.send(true);
    drop(listener);
    // Every connection task holds a permit: all of them back means all connections are closed.
    let _ = permits.acquire_many(cap as u32).await;
    Ok(())
}
