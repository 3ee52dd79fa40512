//! The UDP receive loop: dedicated OS threads (not async tasks) blocking in `recv` on clones of
//! one socket, each with a reused 64 KiB buffer and its own shard. Per datagram: one clock read,
//! one uncontended lock, no allocation unless a key is new in this flush interval.

use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::{DropLog, Tally, ingest_lines};
use crate::admission::Source;
use crate::aggregate::{Shard, Shards};
use crate::domain::UtcHour;
use crate::domain::event::now_micros;
use crate::telemetry::ServiceMetrics;

/// How often a blocked receiver wakes up to check for shutdown.
const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(100);
/// At most one log line about dropped messages per this interval (all threads together).
const DROP_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Binds the UDP socket with a larger receive buffer: bursts then queue in the kernel while a
/// receiver is busy instead of being dropped. The kernel caps the size at `net.core.rmem_max`.
pub fn bind_udp(address: SocketAddr, recv_buffer_bytes: usize) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    if let Err(err) = socket.set_recv_buffer_size(recv_buffer_bytes) {
        tracing::warn!(%err, recv_buffer_bytes, "cannot raise the UDP receive buffer");
    }
    socket.bind(&address.into())?;
    let effective = socket.recv_buffer_size().unwrap_or(0);
    if effective < recv_buffer_bytes {
        tracing::info!(
            requested = recv_buffer_bytes,
            effective,
            "UDP receive buffer capped by the kernel (raise net.core.rmem_max for bursty load)"
        );
    }
    Ok(socket.into())
}

/// The running receive threads.
pub struct UdpIngest {
    threads: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

impl UdpIngest {
    pub fn start(
        socket: UdpSocket,
        workers: usize,
        shards: &Shards,
        metrics: ServiceMetrics,
    ) -> std::io::Result<Self> {
        socket.set_read_timeout(Some(STOP_CHECK_INTERVAL))?;
        let stop = Arc::new(AtomicBool::new(false));
        let drop_log = Arc::new(DropLog::new(DROP_LOG_INTERVAL));
        let mut threads = Vec::new();
        for index in 0..workers.max(1) {
            let receiver = Receiver {
                socket: socket.try_clone()?,
                shard: shards.new_shard(),
                metrics: metrics.clone(),
                stop: stop.clone(),
                drop_log: drop_log.clone(),
            };
            threads.push(
                std::thread::Builder::new()
                    .name(format!("udp-recv-{index}"))
                    .spawn(move || receiver.run())?,
            );
        }
        Ok(Self { threads, stop })
    }

    /// Stops the receivers after they have read what is already queued in the kernel, so a
    /// graceful shutdown loses nothing that had arrived.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a UDP receive thread panicked");
            }
        }
    }
}

struct Receiver {
    socket: UdpSocket,
    shard: Arc<Mutex<Shard>>,
    metrics: ServiceMetrics,
    stop: Arc<AtomicBool>,
    drop_log: Arc<DropLog>,
}

impl Receiver {
    fn run(self) {
        // The largest possible UDP payload, allocated once.
        let mut buffer = vec![0u8; 65_536];
        let mut draining = false;
        loop {
            match self.socket.recv_from(&mut buffer) {
                Ok((len, sender)) => self.ingest(&buffer[..len], sender),
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if draining {
                        return;
                    }
                }
                // ECONNREFUSED and friends can surface on an unconnected socket too; they
                // concern some earlier peer, never this loop.
                Err(err) => {
                    tracing::debug!(%err, "UDP receive error");
                    // Never spin on an error that repeats.
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            if !draining && self.stop.load(Ordering::Relaxed) {
                draining = true;
                // Read what is queued without waiting, then exit on the first WouldBlock.
                if let Err(err) = self.socket.set_nonblocking(true) {
                    tracing::warn!(%err, "cannot drain the UDP socket before stopping");
                    return;
                }
            }
        }
    }

    fn ingest(&self, datagram: &[u8], sender: SocketAddr) {
        let mut tally = Tally::default();
        let received_at = now_micros();
        let hour = UtcHour::of_unix_seconds(received_at.div_euclid(1_000_000));
        {
            let mut shard = self.shard.lock().expect("shard lock poisoned");
            ingest_lines(
                &mut shard,
                hour,
                received_at,
                datagram,
                Source::Udp(sender),
                &mut tally,
            );
        }
        self.metrics.datagrams.inc();
        tally.publish(&self.metrics, "udp");
        self.drop_log.record(&tally, sender);
    }
}
