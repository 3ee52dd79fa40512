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

/// The largest response time accepted, in milliseconds (about 31.7 years): far beyond any real
/// response, and small enough that the sum of an hour's values stays finite. Without it two
/// values near `f64::MAX` summed to infinity, which the stored sketch cannot hold (found by
/// fuzzing `POST /ingest`, docs/reliability.md).
pub const MAX_VALUE_MS: f64 = 1e12;

/// Whether `value_ms` is a response time the collector accepts: finite, 0 to [`MAX_VALUE_MS`].
pub fn is_valid_value(value_ms: f64) -> bool {
    (0.0..=MAX_VALUE_MS).contains(&value_ms)
}

/// Largest datagram payload the client builds. Below the 1500-byte Ethernet MTU minus IP and
/// UDP headers, so datagrams are never fragmented (a lost fragment loses the whole datagram).
pub const MAX_DATAGRAM_BYTES: usize = 1400;
