//! Builds the service from its configuration: binds the sockets (so tests can use port 0 and
//! read the real addresses), opens the databases, starts the receive threads and the flusher.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use service_kit::{HttpMetrics, ListenerArgs, ListenerMetrics};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admission::{AdmissionLimits, SeriesAdmission};
use crate::aggregate::Shards;
use crate::config::{Role, ServeArgs};
use crate::flush::Flusher;
use crate::ingest::{UdpIngest, bind_udp};
use crate::retention::{RetentionMetrics, RetentionPolicy};
use crate::routes::{AppState, router};
use crate::storage::{Database, Sources, Store};
use crate::telemetry::ServiceMetrics;

/// Everything `Application::build` needs; `ServeArgs` converts into it.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub bind: SocketAddr,
    pub listener: ListenerArgs,
    pub udp: SocketAddr,
    pub role: Role,
    pub database: Database,
    pub sources: Vec<Database>,
    pub flush_interval: Duration,
    pub udp_workers: usize,
    pub udp_recv_buffer: usize,
    pub max_series: usize,
    pub max_new_series: usize,
    pub max_new_series_per_source: usize,
    pub retention: RetentionPolicy,
    /// Events buffered between flushes, over all shards (and kept while appends fail).
    pub max_buffered_events: usize,
}

impl From<ServeArgs> for ServeConfig {
    fn from(args: ServeArgs) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            bind: args.bind,
            listener: args.listener,
            udp: args.udp,
            role: args.role,
            database: args.database,
            sources: args.sources,
            flush_interval: args.flush_interval,
            udp_workers: args.udp_workers.map_or(cpus, usize::from),
            udp_recv_buffer: args.udp_recv_buffer,
            max_series: usize::try_from(args.max_series).unwrap_or(usize::MAX),
            max_new_series: args.max_new_series.map_or(
                usize::try_from(args.max_series / 10)
                    .unwrap_or(usize::MAX)
                    .max(1),
                |n| usize::try_from(n).unwrap_or(usize::MAX),
            ),
            max_new_series_per_source: usize::try_from(args.max_new_series_per_source)
                .unwrap_or(usize::MAX),
            retention: RetentionPolicy {
                max_age_hours: i64::from(args.retention_days) * 24,
                max_rows: args.max_stored_series,
                event_max_age: i64::from(args.event_retention_days)
                    * crate::domain::event::MICROS_PER_DAY,
                ..RetentionPolicy::default()
            },
            max_buffered_events: usize::try_from(args.max_buffered_events).unwrap_or(usize::MAX),
        }
    }
}

impl ServeConfig {
    /// Ephemeral loopback ports, for tests.
    pub fn for_tests(role: Role, database: impl Into<Database>) -> Self {
        Self {
            bind: "127.0.0.1:0".parse().expect("valid address"),
            listener: ListenerArgs::default(),
            udp: "127.0.0.1:0".parse().expect("valid address"),
            role,
            database: database.into(),
            sources: Vec::new(),
            flush_interval: Duration::from_secs(3600),
            udp_workers: 2,
            udp_recv_buffer: 4 * 1024 * 1024,
            max_series: 100_000,
            max_new_series: 10_000,
            max_new_series_per_source: 1_000,
            retention: RetentionPolicy::default(),
            max_buffered_events: 1_000_000,
        }
    }
}

pub struct Application {
    listener: TcpListener,
    listener_args: ListenerArgs,
    listener_metrics: ListenerMetrics,
    http_addr: SocketAddr,
    udp: Option<(UdpIngest, SocketAddr)>,
    flusher: Option<Arc<Flusher>>,
    flush_interval: Duration,
    state: AppState,
}

impl Application {
    /// Checks the configuration, binds both sockets, then opens (or creates) the databases:
    /// in this order a failed start (a bad value, a busy port) creates nothing.
    pub async fn build(config: ServeConfig) -> anyhow::Result<Self> {
        crate::config::check_database_dirs(&config.database, &config.sources)
            .map_err(|problem| anyhow::anyhow!("invalid configuration: {problem}"))?;
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot bind HTTP --bind {}", config.bind))?;
        let udp_socket = if config.role.collects() {
            Some(
                bind_udp(config.udp, config.udp_recv_buffer)
                    .with_context(|| format!("cannot bind UDP --udp {}", config.udp))?,
            )
        } else {
            None
        };
        let http_metrics = HttpMetrics::new("metrics");
        let service_metrics = ServiceMetrics::register(&http_metrics.registry);
        let workers = config.udp_workers.max(1);
        // +1: the POST /ingest shard.
        let admission = Arc::new(SeriesAdmission::new(AdmissionLimits {
            known_keys: config.max_series,
            new_per_window: config.max_new_series,
            new_per_source: config.max_new_series_per_source,
        }));
        let shards = Shards::with_admission((config.max_series / (workers + 1)).max(1), admission)
            .with_event_buffer((config.max_buffered_events / (workers + 1)).max(1));
        let retention_metrics = RetentionMetrics::register(&http_metrics.registry)
            .context("registering the retention metrics")?;

        let (udp, flusher, http_shard) = if let Some(socket) = udp_socket {
            let store = open_store(&config.database).await?;
            let flusher = Arc::new(
                Flusher::new(
                    shards.clone(),
                    store,
                    config.max_series,
                    service_metrics.clone(),
                )
                .with_retention(config.retention, retention_metrics)
                .with_event_backlog(config.max_buffered_events),
            );
            let udp_addr = socket.local_addr().context("UDP socket address")?;
            let ingest = UdpIngest::start(socket, workers, &shards, service_metrics.clone())
                .context("cannot start the UDP receive threads")?;
            (
                Some((ingest, udp_addr)),
                Some(flusher),
                Some(shards.new_shard()),
            )
        } else {
            (None, None, None)
        };

        let sources = if config.role.queries() {
            let mut stores = vec![(&config.database, open_store(&config.database).await?)];
            for source in &config.sources {
                stores.push((source, open_store(source).await?));
            }
            Some(Sources::named(stores))
        } else {
            None
        };

        let http_addr = listener.local_addr().context("HTTP listener address")?;
        let listener_metrics = ListenerMetrics::register(&http_metrics.registry)
            .context("registering the listener's metrics")?;
        Ok(Self {
            listener,
            listener_args: config.listener.clone(),
            listener_metrics,
            http_addr,
            udp,
            flusher: flusher.clone(),
            flush_interval: config.flush_interval,
            state: AppState {
                role: config.role,
                sources,
                http_shard,
                flusher,
                service_metrics,
                http_metrics,
            },
        })
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// `None` for a query-only process.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.udp.as_ref().map(|(_, address)| *address)
    }

    /// Lets tests flush on demand instead of sleeping through an interval.
    pub fn flusher(&self) -> Option<Arc<Flusher>> {
        self.flusher.clone()
    }

    /// Serves until `shutdown` resolves, then stops HTTP, drains the UDP socket and flushes
    /// once more, so a graceful stop loses nothing that had arrived.
    /// Serves until `shutdown` resolves: `()` stops at once, [`service_kit::Stop::Drain`]
    /// (SIGTERM) drains first.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = impl Into<service_kit::Stop>> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_flusher, stop) = watch::channel(false);
        let flusher_task = self
            .flusher
            .clone()
            .map(|flusher| tokio::spawn(flusher.run(self.flush_interval, stop)));
        tracing::info!(http = %self.http_addr, udp = ?self.udp_addr(), role = ?self.state.role, "metrics serving");
        service_kit::serve(
            self.listener,
            router(self.state),
            &self.listener_args,
            self.listener_metrics,
            shutdown,
        )
        .await
        .context("HTTP server failed")?;

        if let Some((udp, _)) = self.udp {
            tokio::task::spawn_blocking(move || udp.stop())
                .await
                .context("stopping the UDP receivers")?;
        }
        let _ = stop_flusher.send(true);
        if let Some(task) = flusher_task {
            task.await.context("flusher task")?;
        }
        if let Some(flusher) = self.flusher {
            flusher
                .flush_once()
                .await
                .context("final flush failed; the last interval is lost")?;
        }
        tracing::info!("metrics stopped");
        Ok(())
    }
}

async fn open_store(database: &Database) -> anyhow::Result<Store> {
    Store::open(database)
        .await
        .with_context(|| format!("cannot open database {}", database.redacted()))
}
