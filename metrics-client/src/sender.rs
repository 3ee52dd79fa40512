//! The background task: drains the queue into datagrams and sends them with failover.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::batch::Batch;
use crate::client::Counters;
use crate::failover::Failover;

/// How long a collector that failed a send is skipped before it is tried again.
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(5);

/// Values taken off the queue per wake-up; enough for several full datagrams.
const DRAIN_AT_ONCE: usize = 512;

/// Longest a value waits for more to share its datagram.
const LINGER: Duration = Duration::from_millis(5);

pub(crate) async fn run(
    mut queue: mpsc::Receiver<f64>,
    key: String,
    collectors: Vec<SocketAddr>,
    counters: Arc<Counters>,
) {
    let mut sender = Sender {
        sockets: collectors.iter().map(|_| None).collect(),
        failover: Failover::new(collectors.len(), RETRY_FAILED_AFTER),
        collectors,
        counters,
    };
    let mut batch = Batch::new(&key);
    let mut values = Vec::with_capacity(DRAIN_AT_ONCE);
    let mut open = true;
    while open && queue.recv_many(&mut values, DRAIN_AT_ONCE).await > 0 {
        sender.pack(&mut batch, &mut values).await;
        // Linger briefly so datagrams fill up at moderate load: one datagram per request would
        // cost the app a syscall and the collector a wake-up each. The delay is invisible in
        // hourly statistics.
        let deadline = tokio::time::Instant::now() + LINGER;
        while !batch.is_empty() {
            match tokio::time::timeout_at(deadline, queue.recv_many(&mut values, DRAIN_AT_ONCE))
                .await
            {
                Ok(0) => {
                    open = false;
                    break;
                }
                Ok(_) => sender.pack(&mut batch, &mut values).await,
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            sender.send(&batch).await;
            batch.clear();
        }
    }
    tracing::debug!(key, "metrics client stopped: every handle was dropped");
}

struct Sender {
    collectors: Vec<SocketAddr>,
    /// Connected sockets, created on first use; a connected socket is what surfaces ICMP
    /// "port unreachable" as an error on a later send.
    sockets: Vec<Option<UdpSocket>>,
    failover: Failover,
    counters: Arc<Counters>,
}

impl Sender {
    /// Appends `values` to `batch`, sending each datagram as it fills.
    async fn pack(&mut self, batch: &mut Batch, values: &mut Vec<f64>) {
        for value in values.drain(..) {
            if !batch.push(value) {
                self.send(batch).await;
                batch.clear();
                let fits = batch.push(value);
                debug_assert!(fits, "one line always fits in an empty datagram");
            }
        }
    }

    /// Tries each collector at most once; a datagram no collector accepted is dropped.
    async fn send(&mut self, batch: &Batch) {
        for _attempt in 0..self.collectors.len() {
            let index = self.failover.pick(Instant::now());
            match self.send_to(index, batch.payload()).await {
                Ok(()) => {
                    self.failover.succeeded(index);
                    self.counters
                        .sent
                        .fetch_add(batch.lines(), Ordering::Relaxed);
                    return;
                }
                Err(err) => {
                    tracing::debug!(collector = %self.collectors[index], %err, "metrics send failed, failing over");
                    self.counters.send_errors.fetch_add(1, Ordering::Relaxed);
                    self.failover.failed(index, Instant::now());
                    // A fresh socket next time: the old one may hold more stale ICMP errors.
                    self.sockets[index] = None;
                }
            }
        }
        self.counters
            .dropped
            .fetch_add(batch.lines(), Ordering::Relaxed);
    }

    async fn send_to(&mut self, index: usize, payload: &[u8]) -> std::io::Result<()> {
        if self.sockets[index].is_none() {
            self.sockets[index] = Some(connect(self.collectors[index]).await?);
        }
        let socket = self.sockets[index].as_ref().expect("socket created above");
        socket.send(payload).await.map(|_| ())
    }
}

async fn connect(collector: SocketAddr) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = match collector {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(collector).await?;
    Ok(socket)
}
