//! Loopback ports for processes that take their port from a flag. Tests that start a server
//! in-process bind port 0 themselves; these are for the binaries (and for "a port nothing
//! listens on"). Another process may grab such a port before it is used: rare, and the
//! PostgreSQL server retries.

use std::net::{TcpListener, UdpSocket};

/// A TCP port on 127.0.0.1 that was free a moment ago (and is closed now).
pub fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `N` distinct TCP ports: every one is held until all are picked, so none repeats.
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("binding a loopback port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .expect("binding a loopback UDP port")
        .local_addr()
        .unwrap()
        .port()
}
