//! Getting messages in: the UDP receive loop and the line parser it shares with HTTP ingest.

pub mod lines;
pub mod udp;

pub use lines::{DropReason, Tally, ingest_lines};
pub use udp::{UdpIngest, bind_udp};
