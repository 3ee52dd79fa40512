//! The handle services hold: cheap to clone, `record` never waits.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::{ClientError, sender, validate_key};

/// How a client reports. Services parse `collectors` from `METRICS_UDP` with
/// `service_kit::config::parse_address_list`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Collector UDP addresses in failover order (the first healthy one gets every datagram).
    pub collectors: Vec<SocketAddr>,
    /// Names this app instance, e.g. `portal-<host>-<pid>`; see [`crate::validate_key`].
    pub key: String,
    /// Values waiting for the background sender. When it is full, new values are dropped
    /// (and counted) rather than making a request wait. 10,000 covers ~1 s at 10k req/s.
    pub queue_capacity: usize,
}

/// Counters since the client started; all only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Values accepted onto the queue.
    pub queued: u64,
    /// Values in datagrams the OS accepted. UDP has no acknowledgement: a datagram to a host
    /// that is down without answering is lost and still counted here, and so is the datagram
    /// whose ICMP refusal only surfaces on the next send (which then fails over).
    pub sent: u64,
    /// Values dropped: queue full, not a number from 0 to `MAX_VALUE_MS`, or no collector took
    /// them.
    pub dropped: u64,
    /// Failed datagram sends (each one triggers a failover to the next collector).
    pub send_errors: u64,
}

/// Shared between the handles and the background sender.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) queued: AtomicU64,
    pub(crate) sent: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) send_errors: AtomicU64,
}

/// Sends response times to the collectors without ever making the caller wait.
#[derive(Clone)]
pub struct MetricsClient {
    /// `None` for a disabled client.
    queue: Option<mpsc::Sender<f64>>,
    counters: Arc<Counters>,
}

impl MetricsClient {
    /// Validates the configuration and starts the background sender on the current tokio
    /// runtime; it stops after the last clone of this handle is dropped and the queue is sent.
    ///
    /// # Panics
    /// Only when called outside a tokio runtime.
    pub fn spawn(config: ClientConfig) -> Result<MetricsClient, ClientError> {
        validate_key(&config.key)?;
        if config.collectors.is_empty() {
            return Err(ClientError::NoCollectors);
        }
        if config.queue_capacity == 0 {
            return Err(ClientError::ZeroQueueCapacity);
        }
        let (queue, receiver) = mpsc::channel(config.queue_capacity);
        let counters = Arc::new(Counters::default());
        tokio::spawn(sender::run(
            receiver,
            config.key,
            config.collectors,
            counters.clone(),
        ));
        Ok(MetricsClient {
            queue: Some(queue),
            counters,
        })
    }

    /// A client whose `record` does nothing, for services started without collectors.
    pub fn disabled() -> MetricsClient {
        MetricsClient {
            queue: None,
            counters: Arc::new(Counters::default()),
        }
    }

    /// Queues one response time in milliseconds. Never blocks and never awaits.
    pub fn record(&self, value_ms: f64) {
        let Some(queue) = &self.queue else {
            return;
        };
        // The collector rejects these too; dropping here saves the datagram space.
        if !crate::is_valid_value(value_ms) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match queue.try_send(value_ms) {
            Ok(()) => self.counters.queued.fetch_add(1, Ordering::Relaxed),
            Err(TrySendError::Full(_) | TrySendError::Closed(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed)
            }
        };
    }

    /// A snapshot of the counters (zero for a disabled client).
    pub fn stats(&self) -> ClientStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ClientStats {
            queued: load(&self.counters.queued),
            sent: load(&self.counters.sent),
            dropped: load(&self.counters.dropped),
            send_errors: load(&self.counters.send_errors),
        }
    }
}

impl std::fmt::Debug for MetricsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsClient")
            .field("enabled", &self.queue.is_some())
            .field("stats", &self.stats())
            .finish()
    }
}
