//! The descriptor limit. Every client connection is a descriptor; the soft limit a process
//! inherits (often 1,024) is far below the hard one, so a service raises it at start.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Raises the soft descriptor limit to the hard one and returns the new soft limit.
pub fn raise_descriptor_limit() -> u64 {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(err) = setrlimit(Resource::Nofile, raised) {
            tracing::warn!(%err, "cannot raise the descriptor limit");
        }
    }
    current_descriptor_limit()
}

/// The soft descriptor limit (unlimited counts as 1 M).
pub fn current_descriptor_limit() -> u64 {
    getrlimit(Resource::Nofile).current.unwrap_or(1 << 20)
}
