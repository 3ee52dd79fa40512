//! The listen backlog: connections the kernel has completed but the service has not accepted
//! yet. tokio listens with 1,024. When thousands of slow clients are closed at once (their
//! header timeouts fall together) they reconnect in a burst; past the backlog the kernel drops
//! SYNs, and a normal client caught in it waits for its SYN to be retransmitted, 1 s later. So
//! the listener asks for more (the kernel caps it at `net.core.somaxconn`, 4,096 here).
//! `listen` on a socket that already listens only changes its backlog.

use tokio::net::TcpListener;

pub const BACKLOG: i32 = 65_535;

pub fn widen(listener: &TcpListener) {
    if let Err(err) = rustix::net::listen(listener, BACKLOG) {
        tracing::warn!(%err, "cannot widen the listen backlog");
    }
}
