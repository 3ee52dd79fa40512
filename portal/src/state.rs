//! What every request handler shares.

use std::sync::Arc;

use service_kit::HttpMetrics;

use crate::domain::SnapshotStore;
use crate::render::PageCache;
use crate::sync::{HardwareClient, HistorySource};
use crate::telemetry::PortalMetrics;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<SnapshotStore>,
    pub pages: PageCache,
    pub http_metrics: HttpMetrics,
    pub metrics: PortalMetrics,
    /// How often the page's script polls `/version` (the sync interval: polling faster
    /// cannot see anything new).
    pub poll_ms: u64,
    /// Where profile pages get their history; `None`: they show the synced trend only.
    pub history: Option<HistorySource>,
}

impl AppState {
    /// State with an empty snapshot store, for the server and for router tests.
    pub fn new(
        store: Arc<SnapshotStore>,
        http_metrics: HttpMetrics,
        metrics: PortalMetrics,
        page_cache_bytes: u64,
        poll_ms: u64,
    ) -> Self {
        Self {
            store,
            pages: PageCache::new(page_cache_bytes),
            http_metrics,
            metrics,
            poll_ms,
            history: None,
        }
    }

    /// Profile pages fetch their history through `client`.
    pub fn with_history(mut self, client: HardwareClient) -> Self {
        self.history = Some(HistorySource::new(client));
        self
    }
}
