//! `metrics bench-send`: the load generator behind scripts/bench-metrics.sh.
//!
//! Sends `key:value` datagrams (about 1400 bytes, as the client library builds them) from one
//! thread at a fixed total rate, spread over `--apps` keys. Then it polls the query API until
//! the stored count equals the sent count (or `--settle` passes) and reports the loss, and it
//! measures query latency against `/healthz` as the same-run reference. With `--sink` it sends to
//! an in-process socket that only counts lines instead: the loopback ceiling of this machine.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use hdrhistogram::Histogram;

use crate::domain::UtcHour;

#[derive(Debug, Args)]
pub struct BenchSendArgs {
    /// UDP address of the collector under test.
    #[arg(long, env = "METRICS_UDP", default_value = "127.0.0.1:8125")]
    pub udp: SocketAddr,
    /// Base URL of the query API used to count stored messages and time queries.
    #[arg(long, env = "METRICS_URL", default_value = "http://127.0.0.1:5002")]
    pub url: String,
    /// Number of simulated app instances (distinct keys).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub apps: u32,
    /// Total messages per second over all apps; 0 sends as fast as one thread can.
    #[arg(long, default_value_t = 100_000)]
    pub rate: u64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// Most seconds to wait after sending for the stored count to catch up (flush interval+).
    #[arg(long, default_value_t = 15.0)]
    pub settle: f64,
    /// Queries timed after the ingest check (0 skips the query measurement).
    #[arg(long, default_value_t = 2000)]
    pub queries: u32,
    /// Send to an in-process socket that only counts lines (the reference), not to --udp.
    #[arg(long)]
    pub sink: bool,
}

pub async fn run(args: BenchSendArgs) -> anyhow::Result<()> {
    if !(args.duration > 0.0 && args.duration <= 600.0) {
        bail!(
            "--duration {} must be within (0, 600] seconds",
            args.duration
        );
    }
    let run_id = std::process::id();
    let keys: Vec<String> = (0..args.apps)
        .map(|app| format!("bench-{run_id}-{app}"))
        .collect();
    let sink = args.sink.then(Sink::start).transpose()?;
    let target = sink.as_ref().map_or(args.udp, |sink| sink.address);
    let first_hour = UtcHour::now();
    let (rate, duration) = (args.rate, Duration::from_secs_f64(args.duration));
    let send_keys = keys.clone();
    let sent =
        tokio::task::spawn_blocking(move || send(target, &send_keys, rate, duration)).await??;
    let last_hour = UtcHour::now();
    println!(
        "send: messages={} datagrams={} send_errors={} seconds={:.2} rate={:.0} msg/s",
        sent.messages,
        sent.datagrams,
        sent.errors,
        sent.elapsed.as_secs_f64(),
        sent.messages as f64 / sent.elapsed.as_secs_f64()
    );
    if let Some(sink) = sink {
        let received = sink.stop();
        println!(
            "sink: received={} lost={} (reference: loopback UDP with a receiver that only counts)",
            received,
            sent.messages.saturating_sub(received)
        );
        return Ok(());
    }

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("HTTP client")?;
    let deadline = Instant::now() + Duration::from_secs_f64(args.settle);
    let stored = loop {
        let stored = stored_count(&http, &args.url, &keys, first_hour, last_hour).await?;
        if stored >= sent.messages || Instant::now() > deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    println!(
        "ingest: sent={} stored={} lost={} loss_pct={:.3} offered_rate={:.0} msg/s zero_loss={}",
        sent.messages,
        stored,
        sent.messages.saturating_sub(stored),
        100.0 * sent.messages.saturating_sub(stored) as f64 / sent.messages.max(1) as f64,
        sent.messages as f64 / sent.elapsed.as_secs_f64(),
        stored == sent.messages
    );
    if args.queries > 0 {
        let (date, hour) = last_hour.date_and_hour();
        let date = format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        let stats = ["average", "min", "max", "median"];
        let query = time_requests(&http, args.queries, |i| {
            let key = &keys[i as usize % keys.len()];
            let stat = stats[i as usize % stats.len()];
            format!("{}/{key}/{stat}/{date}/{hour}", args.url)
        })
        .await?;
        let reference =
            time_requests(&http, args.queries, |_| format!("{}/healthz", args.url)).await?;
        print_latency("query", &query);
        print_latency("healthz (reference)", &reference);
        println!(
            "query_p99_over_healthz_p99={:.2}",
            query.value_at_quantile(0.99) as f64 / reference.value_at_quantile(0.99).max(1) as f64
        );
    }
    Ok(())
}

struct Sent {
    messages: u64,
    datagrams: u64,
    errors: u64,
    elapsed: Duration,
}

/// Prebuilt datagrams per key (values vary between them), sent round-robin over the keys and
/// paced in 1 ms steps so the offered rate is steady rather than one burst.
fn send(
    target: SocketAddr,
    keys: &[String],
    rate: u64,
    duration: Duration,
) -> anyhow::Result<Sent> {
    let socket = UdpSocket::bind(if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    })
    .context("bind the bench socket")?;
    socket
        .connect(target)
        .with_context(|| format!("connect to {target}"))?;
    let datagrams: Vec<Vec<(Vec<u8>, u64)>> =
        keys.iter().map(|key| build_datagrams(key, 8)).collect();
    let (mut messages, mut sent_datagrams, mut errors) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let mut turn = 0usize;
    while started.elapsed() < duration {
        let allowed = if rate == 0 {
            u64::MAX
        } else {
            (started.elapsed().as_secs_f64() * rate as f64) as u64
        };
        let mut burst = 0;
        while messages < allowed && burst < 10_000 {
            let (payload, lines) = &datagrams[turn % keys.len()][(turn / keys.len()) % 8];
            turn = turn.wrapping_add(1);
            match socket.send(payload) {
                Ok(_) => {
                    messages += lines;
                    sent_datagrams += 1;
                }
                Err(_) => errors += 1,
            }
            burst += 1;
        }
        if rate != 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(Sent {
        messages,
        datagrams: sent_datagrams,
        errors,
        elapsed: started.elapsed(),
    })
}

/// `variants` datagrams of `key:value` lines up to 1400 bytes, with log-spread values from
/// 0.5 ms to 500 ms (a deterministic xorshift, so runs are comparable).
fn build_datagrams(key: &str, variants: u32) -> Vec<(Vec<u8>, u64)> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ key.len() as u64;
    (0..variants)
        .map(|_| {
            let mut payload = Vec::with_capacity(metrics_client::MAX_DATAGRAM_BYTES);
            let mut lines = 0;
            loop {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
                let value = (0.5 * 1000f64.powf(unit) * 1000.0).round() / 1000.0;
                let line = format!("{key}:{value}");
                if payload.len() + line.len() + 1 > metrics_client::MAX_DATAGRAM_BYTES {
                    break;
                }
                if !payload.is_empty() {
                    payload.push(b'\n');
                }
                payload.extend_from_slice(line.as_bytes());
                lines += 1;
            }
            (payload, lines)
        })
        .collect()
}

async fn stored_count(
    http: &reqwest::Client,
    url: &str,
    keys: &[String],
    first: UtcHour,
    last: UtcHour,
) -> anyhow::Result<u64> {
    let mut total = 0;
    for key in keys {
        for hour in first.0..=last.0 {
            let (date, hour_of_day) = UtcHour(hour).date_and_hour();
            let address = format!(
                "{url}/{key}/average/{:04}-{:02}-{:02}/{hour_of_day}",
                date.year(),
                u8::from(date.month()),
                date.day()
            );
            let response = http
                .get(&address)
                .send()
                .await
                .with_context(|| format!("GET {address}"))?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                continue;
            }
            let body: serde_json::Value = response
                .error_for_status()
                .with_context(|| format!("GET {address}"))?
                .json()
                .await?;
            total += body["count"].as_u64().unwrap_or(0);
        }
    }
    Ok(total)
}

async fn time_requests(
    http: &reqwest::Client,
    count: u32,
    address: impl Fn(u32) -> String,
) -> anyhow::Result<Histogram<u64>> {
    let mut histogram = Histogram::<u64>::new(3).expect("valid precision");
    for i in 0..count {
        let address = address(i);
        let started = Instant::now();
        let response = http
            .get(&address)
            .send()
            .await
            .with_context(|| format!("GET {address}"))?;
        let _ = response.bytes().await?;
        histogram
            .record(started.elapsed().as_micros() as u64)
            .expect("latency fits the histogram");
    }
    Ok(histogram)
}

fn print_latency(name: &str, histogram: &Histogram<u64>) {
    println!(
        "{name}: n={} p50_us={} p99_us={} max_us={}",
        histogram.len(),
        histogram.value_at_quantile(0.5),
        histogram.value_at_quantile(0.99),
        histogram.max()
    );
}

/// The reference receiver: reads datagrams and counts lines, nothing else.
struct Sink {
    address: SocketAddr,
    received: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Sink {
    fn start() -> anyhow::Result<Self> {
        let socket = crate::ingest::bind_udp("127.0.0.1:0".parse()?, 8 * 1024 * 1024)?;
        socket.set_read_timeout(Some(Duration::from_millis(200)))?;
        let address = socket.local_addr()?;
        let received = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, stopping) = (received.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buffer = vec![0u8; 65_536];
            loop {
                match socket.recv(&mut buffer) {
                    Ok(len) => {
                        let lines =
                            buffer[..len].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                        counter.fetch_add(lines, Ordering::Relaxed);
                    }
                    Err(_) if stopping.load(Ordering::Relaxed) => return,
                    Err(_) => {}
                }
            }
        });
        Ok(Self {
            address,
            received,
            stop,
            thread,
        })
    }

    /// Stops after the socket has been quiet for one read timeout.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.received.load(Ordering::Relaxed)
    }
}
