use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use metrics::domain::{Event, EventPageQuery, EventSelector, UtcHour};
use metrics::flush::Flusher;
use metrics::storage::{Database, Store};
use metrics::{Application, Role, ServeConfig};
use serde_json::Value;
use test_support::{prometheus, wait};
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
        prometheus::metric(&self.http, &self.base, series).await as u64
    }

    /// Waits until the UDP receivers have handled `messages` good messages (UDP is async to
    /// the sender, so a flush right after sending could miss some).
    pub async fn wait_for_udp_ingested(&self, messages: u64) {
        let ingested = wait::until(
            Duration::from_secs(10),
            Duration::from_millis(20),
            async || {
                let ingested = self
                    .metric("metrics_messages_ingested_total{transport=\"udp\"}")
                    .await;
                if ingested >= messages {
                    return Ok(ingested);
                }
                Err(format!("only {ingested} of {messages} ingested"))
            },
        )
        .await;
        assert_eq!(ingested, messages, "more messages than sent");
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

/// Posts `key:value` lines as one batch (one `received_at` for all; ids keep their order).
pub async fn post_lines(app: &TestApp, lines: &[String]) {
    let (status, body) = app.post(&lines.join("\n"), "text/plain").await;
    assert_eq!(status, 200, "{body}");
}

/// Follows `Link: <...>; rel="next"` from `path` to the last page. Returns every event and the
/// size of each page; asserts that the last page, and only it, has no Link and `next: null`.
pub async fn page_to_the_end(app: &TestApp, path: &str) -> (Vec<Value>, Vec<usize>) {
    let mut events = Vec::new();
    let mut sizes = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next.take() {
        let response = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let link = response
            .headers()
            .get("link")
            .map(|value| value.to_str().unwrap().to_owned());
        let body: Value = response.json().await.unwrap();
        let page = body["events"].as_array().unwrap().clone();
        assert_eq!(body["max_limit"], 1000);
        sizes.push(page.len());
        events.extend(page);
        next = link.map(|link| {
            assert!(!body["next"].is_null(), "Link without next: {body}");
            let target = link
                .strip_prefix('<')
                .and_then(|rest| rest.split_once(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("not a next link: {link}"))
                .0;
            target.to_owned()
        });
        if next.is_none() {
            assert!(body["next"].is_null(), "last page with a cursor: {body}");
        }
        assert!(sizes.len() < 10_000, "paging does not end");
    }
    (events, sizes)
}

/// The `value` of every event, in order.
pub fn values(events: &[Value]) -> Vec<f64> {
    events
        .iter()
        .map(|event| event["value"].as_f64().unwrap())
        .collect()
}

/// The key scheme of docs/metrics.md: partner p1 has customers c1 (endpoints e1, e2) and c2
/// (e1); partner p2 has one endpoint. (key, values) in the order they are sent.
pub fn tenant_events() -> Vec<(String, Vec<f64>)> {
    [
        ("p1.c1.e1.req", 23),
        ("p1.c1.e2.req", 17),
        ("p1.c2.e1.req", 5),
        ("p2.c1.e1.req", 3),
    ]
    .iter()
    .enumerate()
    .map(|(index, (key, count))| {
        let values = (0..*count).map(|i| (index * 1000 + i) as f64).collect();
        (key.to_string(), values)
    })
    .collect()
}

/// Sends [`tenant_events`] (in three batches per key, interleaved between keys, so received
/// times and ids interleave too), flushes, then pages every key and prefix to its last page.
pub async fn events_are_paged_to_the_last_page(app: &TestApp) {
    let sent = tenant_events();
    for round in 0..3 {
        for (key, values) in &sent {
            let third = values.len().div_ceil(3);
            let lines: Vec<String> = values
                .iter()
                .skip(round * third)
                .take(third)
                .map(|value| format!("{key}:{value}"))
                .collect();
            if !lines.is_empty() {
                post_lines(app, &lines).await;
            }
        }
    }
    app.flush().await;
    // Every event is counted as stored once it is committed (the counter once counted what
    // the store handed back, which is nothing on success).
    let total: usize = sent.iter().map(|(_, values)| values.len()).sum();
    assert_eq!(
        app.metric("metrics_events_stored_total").await,
        total as u64
    );

    // One key, pages of 7: 7 + 7 + 7 + 2, in the order sent (time, then id).
    let (events, sizes) = page_to_the_end(app, "/events/p1.c1.e1.req?limit=7").await;
    assert_eq!(sizes, [7, 7, 7, 2]);
    assert_eq!(values(&events), sent[0].1);
    let times: Vec<&str> = events
        .iter()
        .map(|event| event["received_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");

    // A customer: both endpoints, key by key; 40 events in pages of 10 end on a full page
    // without a Link (no empty page to ask for).
    let (events, sizes) = page_to_the_end(app, "/events?prefix=p1.c1.&limit=10").await;
    assert_eq!(sizes, [10, 10, 10, 10]);
    let expected: Vec<f64> = sent[0].1.iter().chain(&sent[1].1).copied().collect();
    assert_eq!(values(&events), expected);

    // A partner: its three endpoints; the default limit (50) fits them in one page.
    let (events, sizes) = page_to_the_end(app, "/events?prefix=p1.").await;
    assert_eq!(sizes, [45]);
    let keys: Vec<&str> = events.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert!(keys.iter().all(|key| key.starts_with("p1.")), "{keys:?}");

    // A page size that crosses keys in the middle of a page.
    let (events, sizes) = page_to_the_end(app, "/events?prefix=p1.&limit=4").await;
    assert_eq!(sizes.iter().sum::<usize>(), 45);
    assert_eq!(sizes.len(), 12);
    let expected: Vec<f64> = sent[..3].iter().flat_map(|(_, v)| v.clone()).collect();
    assert_eq!(values(&events), expected);

    // A time range before anything was sent, and a key with no events: one empty last page.
    let (events, sizes) =
        page_to_the_end(app, "/events/p1.c1.e1.req?to=2000-01-01T00:00:00Z").await;
    assert!(events.is_empty());
    assert_eq!(sizes, [0]);
    let (_, sizes) = page_to_the_end(app, "/events?prefix=p9.").await;
    assert_eq!(sizes, [0]);
}

/// 2026-11-30T00:00:00Z, the first day of [`import_input`].
pub const IMPORT_FIRST_DAY: i64 = 20_787;

/// `count` lines for `metrics import-events` over three UTC days from [`IMPORT_FIRST_DAY`] and
/// three keys under `pimp.`, out of time order, native and StatsD, with empty lines; and the
/// events they hold.
pub fn import_input(count: usize) -> (String, Vec<Event>) {
    use metrics::domain::event::MICROS_PER_DAY;
    const KEYS: [&str; 3] = ["pimp.c1.e0.req", "pimp.c1.e1.req", "pimp.c2.e0.req"];
    let mut text = String::new();
    let mut events = Vec::new();
    for i in 0..count {
        // A permutation of 60 slots, each a twentieth of a day: three days, unsorted.
        let slot = (i * 37) % 60;
        let received_at =
            IMPORT_FIRST_DAY * MICROS_PER_DAY + slot as i64 * (MICROS_PER_DAY / 20) + i as i64;
        let key = KEYS[i % KEYS.len()];
        let value = i as f64 * 1.25;
        let message = if i % 2 == 0 {
            format!("{key}:{value}")
        } else {
            format!("{key}:{value}|ms|#env:load")
        };
        text.push_str(&format!("{received_at}\t{message}\n"));
        if i % 10 == 9 {
            text.push('\n');
        }
        events.push(Event {
            key: key.into(),
            value,
            received_at,
        });
    }
    (text, events)
}

/// Runs `metrics import-events --database DATABASE ARGS` with `input` on stdin.
pub fn import_events(database: &str, input: &str, args: &[&str]) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_metrics"))
        .args(["import-events", "--database", database])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("metrics binary starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    // A refused line ends the process before it reads the rest: the pipe may break.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let output = test_support::process::output_within(
        child,
        Duration::from_secs(20),
        "metrics import-events",
    );
    writer.join().unwrap();
    output
}

/// The `imported N events (K keys) in S s: R events/s` line, checked: (N, K).
pub fn imported_counts(output: &std::process::Output) -> (u64, u64) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let line = stdout.trim_end();
    assert_eq!(line.lines().count(), 1, "one line on stdout: {stdout}");
    let rest = line
        .strip_prefix("imported ")
        .unwrap_or_else(|| panic!("{line}"));
    let (events, rest) = rest
        .split_once(" events (")
        .unwrap_or_else(|| panic!("{line}"));
    let (keys, rest) = rest
        .split_once(" keys) in ")
        .unwrap_or_else(|| panic!("{line}"));
    let (seconds, rate) = rest.split_once(" s: ").unwrap_or_else(|| panic!("{line}"));
    assert!(seconds.parse::<f64>().is_ok(), "{line}");
    let rate = rate
        .strip_suffix(" events/s")
        .unwrap_or_else(|| panic!("{line}"));
    assert!(rate.parse::<f64>().is_ok(), "{line}");
    (events.parse().unwrap(), keys.parse().unwrap())
}

/// Every kept event under `prefix` (paged through the prefix walk, so through the distinct
/// keys too), sorted by key and time.
pub async fn stored_events(store: &Store, prefix: &str) -> Vec<Event> {
    let mut events = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .page_events(&EventPageQuery {
                selector: EventSelector::Prefix(prefix.into()),
                from: i64::MIN,
                to: i64::MAX,
                after: after.take(),
                limit: 1000,
            })
            .await
            .unwrap();
        events.extend(page.events.into_iter().map(|event| Event {
            key: event.key.into(),
            value: event.value,
            received_at: event.received_at,
        }));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    sort_events(&mut events);
    events
}

pub fn sort_events(events: &mut [Event]) {
    events.sort_by(|a, b| (&a.key, a.received_at).cmp(&(&b.key, b.received_at)));
}
