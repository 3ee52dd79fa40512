//! Which connection gives up its place at the connection cap: the oldest *slow* one, that has
//! not completed a request header (see [`Activity::evict_if_slow`]).
//!
//! Who may evict matters as much. A slow client re-opens each connection that is closed, so if
//! every newcomer could evict, each eviction would bring a newcomer that evicts the next: a
//! cascade that turns the slots over every few milliseconds and evicts normal clients before
//! their request is read too. So a newcomer whose request header is already complete when it
//! is accepted (what a normal client sends right after connecting) evicts the oldest slow
//! connection, whatever its age; any other newcomer only evicts one that has been slow for at
//! least [`PATIENCE`], and is refused with a 503 when there is none (or, if it has sent
//! nothing yet, deferred a moment: see `deferred`). A client whose request head spans several
//! TCP segments counts as slow at the cap: a price paid only while the cap is full.
//!
//! The queue is in order of arrival and owned by the accept loop alone (no lock). A
//! connection that is busy or kept alive is moved to the back, so the search is amortised over
//! arrivals; closed connections are dropped as they are met and in a compaction whenever the
//! queue holds twice the cap.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::listener::connection::Activity;

/// How long a connection may be slow before any newcomer may take its place.
pub const PATIENCE: Duration = Duration::from_secs(1);

/// How many connections one arrival looks at before giving up and refusing.
const SEARCH_LIMIT: usize = 256;

pub struct EvictionQueue {
    connections: VecDeque<Weak<Activity>>,
    cap: usize,
}

impl EvictionQueue {
    pub fn new(cap: usize) -> Self {
        Self {
            connections: VecDeque::new(),
            cap,
        }
    }

    pub fn admitted(&mut self, activity: &Arc<Activity>) {
        self.connections.push_back(Arc::downgrade(activity));
        if self.connections.len() > 2 * self.cap.max(SEARCH_LIMIT) {
            self.connections.retain(|weak| weak.strong_count() > 0);
        }
    }

    /// Evicts the oldest connection slow for at least `min_age`; `false` when none was found
    /// within the search limit.
    pub fn evict_oldest_slow(&mut self, min_age: Duration) -> bool {
        for _ in 0..SEARCH_LIMIT.min(self.connections.len()) {
            let Some(weak) = self.connections.pop_front() else {
                return false;
            };
            let Some(activity) = weak.upgrade() else {
                continue; // closed already
            };
            if activity.evict_if_slow(min_age) {
                return true;
            }
            self.connections.push_back(weak);
        }
        false
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.connections.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_slow_connection_is_evicted_and_busy_ones_are_skipped() {
        let mut queue = EvictionQueue::new(8);
        let busy = Arc::new(Activity::new());
        let _in_flight = busy.request_started();
        let oldest_slow = Arc::new(Activity::new());
        let newer_slow = Arc::new(Activity::new());
        queue.admitted(&busy);
        queue.admitted(&oldest_slow);
        queue.admitted(&newer_slow);
        assert!(queue.evict_oldest_slow(Duration::ZERO));
        assert!(
            !oldest_slow.is_slow(),
            "the oldest slow one is marked evicted"
        );
        assert!(newer_slow.is_slow(), "the newer one keeps its place");
        assert!(queue.evict_oldest_slow(Duration::ZERO));
        assert!(
            !queue.evict_oldest_slow(Duration::ZERO),
            "only a busy connection is left"
        );
    }

    #[test]
    fn a_kept_alive_connection_that_served_a_request_is_never_evicted() {
        let mut queue = EvictionQueue::new(8);
        let kept_alive = Arc::new(Activity::new());
        drop(kept_alive.request_started());
        queue.admitted(&kept_alive);
        assert!(!queue.evict_oldest_slow(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn a_newcomer_without_a_request_only_evicts_a_connection_slow_for_a_while() {
        let mut queue = EvictionQueue::new(8);
        let slow = Arc::new(Activity::new());
        queue.admitted(&slow);
        assert!(!queue.evict_oldest_slow(PATIENCE), "too young to evict");
        tokio::time::advance(PATIENCE).await;
        assert!(queue.evict_oldest_slow(PATIENCE));
    }

    #[test]
    fn closed_connections_do_not_pile_up() {
        let mut queue = EvictionQueue::new(4);
        for _ in 0..10_000 {
            queue.admitted(&Arc::new(Activity::new()));
        }
        assert!(
            queue.len() <= 2 * SEARCH_LIMIT + 1,
            "{} entries",
            queue.len()
        );
        assert!(
            !queue.evict_oldest_slow(Duration::ZERO),
            "every one of them is closed"
        );
    }
}
