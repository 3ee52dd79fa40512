use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use metrics::domain::UtcHour;
use metrics::flush::Flusher;
use metrics::storage::Database;
use metrics::{Application, Role, ServeConfig};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub base: String,
    pub udp: Option<SocketAddr>,
    pub flusher: Option<Arc<Flusher>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    pub http: reqwest::Client,
}

pub async fn spawn_app(role: Role, database: &Path, sources: &[PathBuf]) -> TestApp {
    let sources = sources.iter().map(|path| path.clone().into()).collect();
    spawn_app_on(role, database.into(), sources).await
}

/// `spawn_app` for any kind of database (the PostgreSQL tests use it too).
pub async fn spawn_app_on(role: Role, database: Database, sources: Vec<Database>) -> TestApp {
    let mut config = ServeConfig::for_tests(role, database);
    config.sources = sources;
    spawn_config(config).await
}

/// Starts a process with exactly this configuration.
pub async fn spawn_config(config: ServeConfig) -> TestApp {
    let app = Application::build(config).await.expect("app builds");
    let base = format!("http://{}", app.http_addr());
    let udp = app.udp_addr();
    let flusher = app.flusher();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        udp,
        flusher,
        shutdown: Some(shutdown),
        task: Some(task),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    }
}

impl TestApp {
    pub async fn flush(&self) {
        self.flusher
            .as_ref()
            .expect("a collector")
            .flush_once()
            .await
            .expect("flush succeeds");
    }

    /// Graceful stop, as on SIGTERM; returns what `run_until` returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.shutdown.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn query(&self, key: &str, stat: &str, hour: UtcHour) -> (u16, Value) {
        self.get(&query_path(key, stat, hour)).await
    }

    pub async fn post(&self, body: &str, content_type: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/ingest", self.base))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// The value of one Prometheus series line, e.g. `metrics_udp_datagrams_total`.
    pub async fn metric(&self, series: &str) -> u64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("{series} missing from /metrics"))
            .parse::<f64>()
            .unwrap() as u64
    }

    /// Waits until the UDP receivers have handled `messages` good messages (UDP is async to
    /// the sender, so a flush right after sending could miss some).
    pub async fn wait_for_udp_ingested(&self, messages: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ingested = self
                .metric("metrics_messages_ingested_total{transport=\"udp\"}")
                .await;
            if ingested >= messages {
                assert_eq!(ingested, messages, "more messages than sent");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "only {ingested} of {messages} ingested"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn query_path(key: &str, stat: &str, hour: UtcHour) -> String {
    let (date, hour_of_day) = hour.date_and_hour();
    format!(
        "/{key}/{stat}/{:04}-{:02}-{:02}/{hour_of_day}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

pub fn send_udp(to: SocketAddr, payload: &[u8]) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(payload, to).unwrap();
}

/// Deterministic pseudo-random response times from 0.1 ms to ~2 s, log-spread (xorshift).
pub fn response_times(seed: u64, count: usize) -> Vec<f64> {
    let mut state = seed.max(1);
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            (0.1 * 20_000f64.powf(unit) * 1000.0).round() / 1000.0
        })
        .collect()
}

/// The median the service promises: the lower median (rank floor((n-1)/2)) of the raw values.
pub fn lower_median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[(sorted.len() - 1) / 2]
}

pub fn assert_within_one_percent(actual: f64, expected: f64, what: &str) {
    let error = (actual - expected).abs() / expected;
    assert!(
        error <= 0.01,
        "{what}: {actual} vs {expected} ({:.3}% off)",
        error * 100.0
    );
}

/// Tests that need all their messages in one hour wait out the last seconds of an hour instead
/// of failing once in a while at hh:59:59.
pub async fn avoid_hour_boundary() {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let left_in_hour = 3600.0 - seconds % 3600.0;
    if left_in_hour < 20.0 {
        tokio::time::sleep(Duration::from_secs_f64(left_in_hour + 0.1)).await;
    }
}
