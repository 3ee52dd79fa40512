//! Fire-and-forget response-time reporting to the `metrics` collectors over UDP.
//!
//! A service creates one [`MetricsClient`] at start-up and calls [`MetricsClient::record`] after
//! every request. `record` never blocks and never awaits: it puts the value on a bounded queue,
//! and when the queue is full the value is dropped and counted. A background task drains the
//! queue, packs many `key:value` lines into each datagram and sends them to the first healthy
//! collector, failing over to the next one when a send fails.
//!
//! What UDP can and cannot tell us: a collector whose port is closed answers with an ICMP
//! "port unreachable", which a connected UDP socket reports as `ECONNREFUSED` on a *later* send;
//! that send fails and the client fails over. A collector host that is down without answering
//! (powered off, packets black-holed) reports nothing: those datagrams are lost and still
//! counted as `sent`. The client never waits for the collector either way.

mod batch;
mod client;
mod error;
mod failover;
mod key;
mod sender;

pub use client::{ClientConfig, ClientStats, MetricsClient};
pub use error::ClientError;
pub use key::{MAX_HOST_PART, MAX_KEY_LEN, instance_key, validate_key};

/// Largest datagram payload the client builds. Below the 1500-byte Ethernet MTU minus IP and
/// UDP headers, so datagrams are never fragmented (a lost fragment loses the whole datagram).
pub const MAX_DATAGRAM_BYTES: usize = 1400;
