//! Builds the running service from a [`ServeConfig`]: binds the listener (port 0 works, for
//! tests), starts the sync task, and serves until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use metrics_client::{ClientConfig, MetricsClient};
use service_kit::{HttpMetrics, ListenerMetrics};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::ServeConfig;
use crate::domain::SnapshotStore;
use crate::routes::router;
use crate::state::AppState;
use crate::sync::{self, HardwareClient, Syncer};
use crate::telemetry::PortalMetrics;

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client for hardware")]
    HttpClient(#[source] reqwest::Error),
    #[error("cannot register the portal's metrics")]
    Metrics(#[source] prometheus::Error),
    #[error("cannot start sending response times to the metrics collectors")]
    MetricsClient(#[source] metrics_client::ClientError),
    #[error("server error")]
    Serve(#[source] std::io::Error),
}

pub struct Application {
    listener: TcpListener,
    listener_metrics: ListenerMetrics,
    state: AppState,
    syncer: Syncer,
    config: ServeConfig,
}

impl Application {
    /// Checks the configuration, binds the listener and prepares the state and the sync task
    /// (started by [`Application::run_until`]). Must run inside a tokio runtime.
    pub async fn build(config: ServeConfig) -> Result<Self, StartupError> {
        config.validate().map_err(StartupError::Config)?;
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.bind,
                    source,
                })?;
        let mut http_metrics = HttpMetrics::new("portal");
        if let Some(client) = response_time_reporter(&config)? {
            http_metrics = http_metrics
                .report_response_times(client)
                .map_err(StartupError::Metrics)?;
        }
        let metrics = PortalMetrics::register(&http_metrics).map_err(StartupError::Metrics)?;
        let listener_metrics =
            ListenerMetrics::register(&http_metrics.registry).map_err(StartupError::Metrics)?;
        let store = Arc::new(SnapshotStore::new(process_boot_id()));
        let state = AppState::new(
            store.clone(),
            http_metrics,
            metrics.clone(),
            config.page_cache_mb * 1024 * 1024,
            u64::try_from(config.sync_interval.as_millis()).unwrap_or(u64::MAX),
        );
        let client = HardwareClient::new(&config.hardware_url).map_err(StartupError::HttpClient)?;
        let state = state.with_history(client.clone());
        let syncer = Syncer::new(client, store, metrics);
        Ok(Self {
            listener,
            listener_metrics,
            state,
            syncer,
            config,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight requests
    /// and stops the sync task.
    /// Serves until `shutdown` resolves: `()` stops at once, [`service_kit::Stop::Drain`]
    /// (SIGTERM) drains first.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = impl Into<service_kit::Stop>> + Send + 'static,
    ) -> Result<(), StartupError> {
        let (stop_sync, stop_rx) = watch::channel(false);
        let sync_task: JoinHandle<()> = tokio::spawn(sync::run(
            self.syncer,
            self.config.sync_interval,
            self.config.sync_max_backoff,
            stop_rx,
        ));
        tracing::info!(
            addr = %self.listener.local_addr().map(|a| a.to_string()).unwrap_or_default(),
            hardware = %self.config.hardware_url,
            "portal listening"
        );
        let served = service_kit::serve(
            self.listener,
            router(self.state),
            &self.config.listener,
            self.listener_metrics,
            shutdown,
        )
        .await;
        let _ = stop_sync.send(true);
        let _ = sync_task.await;
        tracing::info!("portal stopped");
        served.map_err(StartupError::Serve)
    }
}

/// With `--metrics-udp` set, every response time goes to the collectors through
/// `metrics_client`, whose `record` only puts the value on a bounded queue: a slow or dead
/// collector never delays a response.
fn response_time_reporter(config: &ServeConfig) -> Result<Option<MetricsClient>, StartupError> {
    if config.metrics_udp.0.is_empty() {
        return Ok(None);
    }
    let key = config.metrics_key();
    let client = MetricsClient::spawn(ClientConfig {
        collectors: config.metrics_udp.0.clone(),
        key: key.clone(),
        queue_capacity: 10_000,
    })
    .map_err(StartupError::MetricsClient)?;
    tracing::info!(collectors = ?config.metrics_udp.0, %key, "sending response times to the metrics collectors");
    Ok(Some(client))
}

/// A per-process id for ETags; the clock's nanoseconds and the pid are unique enough
/// (two processes would have to start in the same nanosecond with the same pid).
fn process_boot_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    nanos ^ (u64::from(std::process::id()) << 40)
}
