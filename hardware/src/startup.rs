//! Building and running the service: open the store, load the last known values, bind, serve,
//! refresh in the background, and shut down without losing finished results.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use metrics_client::{ClientConfig, MetricsClient};
use service_kit::{HttpMetrics, ListenerArgs, ListenerMetrics, host_name};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app_metrics::AppMetrics;
use crate::availability::{AvailabilitySource, FakeSource, SlowProcess};
use crate::backlog::EmfConfig;
use crate::compute_pool::ComputePool;
use crate::config::{ServeArgs, SourceKind};
use crate::history_pruner::PruneConfig;
use crate::refresher::{RefreshConfig, Refresher};
use crate::snapshot::{Snapshot, SnapshotHandle};
use crate::state::{AppState, response_cache};
use crate::store::{Store, open_store};

pub struct Application {
    listener: TcpListener,
    listener_args: ListenerArgs,
    listener_metrics: ListenerMetrics,
    state: AppState,
    refresher: Refresher,
    backlog_metric: Option<EmfConfig>,
    history_pruning: PruneConfig,
}

impl Application {
    /// Validates `args`, binds the port, then opens (or creates) the database named by `args`
    /// and the availability source it selects. In this order, a failed start (a bad value, a
    /// busy port) creates nothing.
    pub async fn build(args: &ServeArgs) -> anyhow::Result<Self> {
        validate(args)?;
        let listener = bind(args).await?;
        let source: Arc<dyn AvailabilitySource> = match args.availability_source {
            SourceKind::Real => Arc::new(SlowProcess),
            SourceKind::Fake => Arc::new(FakeSource {
                delay: Duration::from_millis(args.fake_compute_ms),
            }),
        };
        let store = open_store(&args.database)
            .await
            .with_context(|| format!("opening database {}", args.database.redacted()))?;
        let http_metrics = HttpMetrics::new("hardware");
        let http_metrics = match response_time_reporter(args)? {
            Some(client) => http_metrics
                .report_response_times(client)
                .context("registering the metrics client's counters")?,
            None => http_metrics,
        };
        Self::assemble(args, listener, store, source, http_metrics).await
    }

    /// Like `build`, with the store, availability source and metrics given (tests inject a
    /// fast source here).
    pub async fn build_with(
        args: &ServeArgs,
        store: Arc<dyn Store>,
        source: Arc<dyn AvailabilitySource>,
        http_metrics: HttpMetrics,
    ) -> anyhow::Result<Self> {
        validate(args)?;
        let listener = bind(args).await?;
        Self::assemble(args, listener, store, source, http_metrics).await
    }

    /// Loads the last known values from `store` and wires the refresher and the routes.
    async fn assemble(
        args: &ServeArgs,
        listener: TcpListener,
        store: Arc<dyn Store>,
        source: Arc<dyn AvailabilitySource>,
        http_metrics: HttpMetrics,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        // Serve the last known values at once: one query for the whole catalog, nothing computed.
        let database_id = store
            .database_id()
            .await
            .context("reading the database id")?;
        let rows = store.load_rows(None).await.context("loading the catalog")?;
        let snapshot = Snapshot::new(database_id, rows);
        let computed = snapshot
            .rows
            .iter()
            .filter(|row| row.availability.is_some())
            .count();
        tracing::info!(
            profiles = snapshot.rows.len(),
            computed,
            version = %snapshot.version,
            load_ms = started.elapsed().as_millis() as u64,
            "loaded the last known availability"
        );
        let snapshot = SnapshotHandle::new(snapshot);
        let app_metrics = AppMetrics::register(&http_metrics.registry);
        app_metrics
            .corrupt_values
            .set(store.corrupt_values() as i64);
        let listener_metrics = ListenerMetrics::register(&http_metrics.registry)
            .context("registering the listener's metrics")?;
        let store_healthy = Arc::new(AtomicBool::new(true));
        let workers = args.workers();
        let refresher = Refresher::new(
            store.clone(),
            ComputePool::new(workers, source),
            snapshot.clone(),
            RefreshConfig {
                interval: args.refresh_interval,
                lease: args.claim_lease,
                owner: owner_id(),
                tick: Duration::from_millis(500),
                shutdown_grace: args.shutdown_grace,
            },
            app_metrics.clone(),
            store_healthy.clone(),
        );
        Ok(Self {
            listener,
            listener_args: args.listener.clone(),
            listener_metrics,
            state: AppState {
                snapshot,
                responses: response_cache(),
                http_metrics,
                app_metrics,
                store_healthy,
                refresh_interval: args.refresh_interval,
                compute_status: refresher.status(),
                store,
            },
            refresher,
            backlog_metric: args.backlog_metric(),
            history_pruning: args.history_pruning(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves: then stops accepting requests, lets those in flight
    /// finish, waits (up to the grace period) for computations in progress and writes every
    /// finished result before returning.
    /// Serves until `shutdown` resolves: `()` stops at once, [`service_kit::Stop::Drain`]
    /// (SIGTERM) drains first.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = impl Into<service_kit::Stop>> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        if let Some(emf) = self.backlog_metric {
            tokio::spawn(crate::backlog::publish_periodically(
                emf,
                self.state.snapshot.clone(),
                self.state.refresh_interval,
                stop_rx.clone(),
            ));
        }
        tokio::spawn(crate::history_pruner::run(
            self.state.store.clone(),
            self.history_pruning,
            stop_rx.clone(),
        ));
        let refresher = tokio::spawn(self.refresher.run(stop_rx));
        let app = crate::routes::router(self.state);
        tracing::info!(addr = %self.listener.local_addr()?, "hardware listening");
        let served = service_kit::serve(
            self.listener,
            app,
            &self.listener_args,
            self.listener_metrics,
            async move {
                let stop: service_kit::Stop = shutdown.await.into();
                let _ = stop_tx.send(true);
                stop
            },
        )
        .await;
        refresher.await.context("the refresher task panicked")?;
        served.context("serving HTTP")?;
        tracing::info!("hardware stopped");
        Ok(())
    }
}

fn validate(args: &ServeArgs) -> anyhow::Result<()> {
    args.validate()
        .map_err(|problem| anyhow::anyhow!("invalid configuration: {problem}"))
}

async fn bind(args: &ServeArgs) -> anyhow::Result<TcpListener> {
    TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding --bind {}", args.bind))
}

/// The fire-and-forget client that sends each response time to the `metrics` collectors, when
/// `--metrics-udp` names any.
fn response_time_reporter(args: &ServeArgs) -> anyhow::Result<Option<MetricsClient>> {
    if args.metrics_udp.is_empty() {
        return Ok(None);
    }
    let key = args.metrics_key.clone().unwrap_or_else(|| {
        metrics_client::instance_key("hardware", &host_name(), std::process::id())
    });
    let client = MetricsClient::spawn(ClientConfig {
        collectors: args.metrics_udp.0.clone(),
        key: key.clone(),
        queue_capacity: 10_000,
    })
    .with_context(|| format!("--metrics-key '{key}'"))?;
    tracing::info!(key, collectors = %args.metrics_udp, "reporting response times to metrics");
    Ok(Some(client))
}

/// Identifies this process in the database's lease columns.
fn owner_id() -> String {
    let host = host_name();
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}
