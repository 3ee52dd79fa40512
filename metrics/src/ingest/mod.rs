//! Getting messages in: the UDP receive loop and the line parser it shares with HTTP ingest.

pub mod drop_log;
pub mod lines;
pub mod udp;

pub use drop_log::DropLog;
pub use lines::{DropReason, Tally, ingest_lines};
pub use udp::{UdpIngest, bind_udp};
