//! Figures for kept events on PostgreSQL (driven by scripts/bench-events.sh; prints, asserts
//! nothing):
//! 1. ingest: StatsD timings over loopback UDP into an in-process collector at `--rate`
//!    events/s for `--seconds`, flushed every second into PostgreSQL; the stored rate and every
//!    loss (kernel/UDP, buffer, backlog) are reported;
//! 2. a deep retrieval: `--deep-events` events of one partner (2 customers x 1 endpoint, spread
//!    over 30 days, bulk-appended with COPY at the reported rate) paged to the last page over
//!    HTTP once (every page timed), then the first, middle and last page repeated for p50/p99,
//!    both for the partner prefix and for one key;
//! 3. bytes per stored event (table + indexes of every partition);
//! 4. the time to drop one day's partition holding `--day-events` events.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use metrics::domain::Event;
use metrics::domain::event::{MICROS_PER_DAY, now_micros};
use metrics::storage::{Database, Store};
use metrics::{Application, Role, ServeConfig};

#[derive(Debug, Parser)]
struct Args {
    /// PostgreSQL URL (a scratch database: tables are created, filled and partly dropped).
    #[arg(long)]
    database: String,
    /// Offered ingest rate, events/s.
    #[arg(long, default_value_t = 100_000)]
    rate: u64,
    /// Sending time.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Events of the deep retrieval (a workflow 2 monthly partner: 432,000).
    #[arg(long, default_value_t = 432_000)]
    deep_events: usize,
    /// Repeats of each of the first, middle and last page.
    #[arg(long, default_value_t = 300)]
    repeats: usize,
    /// Events in the day partition whose drop is timed.
    #[arg(long, default_value_t = 1_000_000)]
    day_events: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let database = Database::parse(&args.database).map_err(anyhow::Error::msg)?;
    let mut config = ServeConfig::for_tests(Role::All, database.clone());
    config.flush_interval = Duration::from_secs(1);
    config.max_buffered_events = 4_000_000;
    // The kernel caps it at net.core.rmem_max (printed by the script).
    config.udp_recv_buffer = 64 * 1024 * 1024;
    let app = Application::build(config)
        .await
        .context("starting metrics")?;
    let base = format!("http://{}", app.http_addr());
    let udp = app.udp_addr().context("no UDP address")?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;

    ingest(&http, &base, udp, args.rate, args.seconds).await?;
    let store = Store::open(&database).await?;
    deep_retrieval(
        &http,
        &base,
        &store,
        &args.database,
        args.deep_events,
        args.repeats,
    )
    .await?;
    storage_figures(&store, &args.database, args.day_events).await?;

    let _ = stop.send(());
    server.await??;
    Ok(())
}

async fn metric(http: &reqwest::Client, base: &str, series: &str) -> anyhow::Result<u64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    Ok(text
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse::<f64>().ok())
        .unwrap_or(0.0) as u64)
}

/// Sends `rate` events/s for `seconds` from one thread (datagrams of 40 StatsD lines, paced
/// every millisecond), then waits until every ingested event is stored.
async fn ingest(
    http: &reqwest::Client,
    base: &str,
    udp: SocketAddr,
    rate: u64,
    seconds: u64,
) -> anyhow::Result<()> {
    // Warm-up: every key once, flushed, so the run measures known keys (a key new to a flush
    // window counts against the sender's new-key quota, 1,000 per window, once per shard).
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    for key in 0..1000 {
        socket.send_to(
            format!("pbench.c{}.e{}.req:1|ms", key / 10, key % 10).as_bytes(),
            udp,
        )?;
        if key % 200 == 199 {
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = Counts::read(http, base).await?;
    let started = Instant::now();
    let sender = std::thread::spawn(move || -> std::io::Result<u64> {
        let total = rate * seconds;
        let mut sent = 0u64;
        let mut datagram = String::with_capacity(1400);
        while sent < total {
            let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
            while sent < due.min(total) {
                datagram.clear();
                for _ in 0..40.min(total - sent) {
                    let key = sent % 1000;
                    let line = format!(
                        "pbench.c{}.e{}.req:{}|ms\n",
                        key / 10,
                        key % 10,
                        sent % 900 + 1
                    );
                    datagram.push_str(&line);
                    sent += 1;
                }
                socket.send_to(datagram.as_bytes(), udp)?;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(sent)
    });
    let sent = tokio::task::spawn_blocking(move || sender.join())
        .await?
        .map_err(|_| anyhow::anyhow!("sender panicked"))??;
    let send_seconds = started.elapsed().as_secs_f64();
    let ingested_series = "metrics_messages_ingested_total{transport=\"udp\"}";
    let deadline = Instant::now() + Duration::from_secs(120);
    let (mut ingested, mut stored);
    let mut last_ingested = u64::MAX;
    loop {
        ingested = metric(http, base, ingested_series).await?;
        stored = metric(http, base, "metrics_events_stored_total").await?;
        if (stored >= ingested && ingested == last_ingested) || Instant::now() > deadline {
            break;
        }
        last_ingested = ingested;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let total_seconds = started.elapsed().as_secs_f64();
    let after = Counts::read(http, base).await?;
    let (ingested, stored) = (ingested - before.ingested, stored - before.stored);
    let buffer_full = after.buffer_full - before.buffer_full;
    let backlog_full = after.backlog_full - before.backlog_full;
    let refused = after.refused - before.refused;
    let flush_errors = after.flush_errors;
    println!("== ingest: StatsD over loopback UDP -> collector -> PostgreSQL (COPY every 1 s)");
    println!(
        "offered   {rate} events/s for {seconds} s: sent {sent} in {send_seconds:.2} s ({:.0}/s)",
        sent as f64 / send_seconds
    );
    println!(
        "stored    {stored} events, all stored {total_seconds:.2} s after the first send: {:.0} events/s sustained",
        stored as f64 / total_seconds
    );
    println!(
        "lost      {} in UDP (sent - ingested - refused), {refused} refused by the collector (any reason), {buffer_full} buffer_full, {backlog_full} backlog_full; flush errors {flush_errors}",
        sent.saturating_sub(ingested + refused)
    );
    Ok(())
}

/// The collector's counters that the ingest figures are differences of.
struct Counts {
    ingested: u64,
    stored: u64,
    refused: u64,
    buffer_full: u64,
    backlog_full: u64,
    flush_errors: u64,
}

impl Counts {
    async fn read(http: &reqwest::Client, base: &str) -> anyhow::Result<Self> {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let sum = |prefix: &str| -> u64 {
            text.lines()
                .filter(|line| line.starts_with(prefix))
                .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>() as u64
        };
        Ok(Self {
            ingested: sum("metrics_messages_ingested_total{transport=\"udp\"}"),
            stored: sum("metrics_events_stored_total"),
            refused: sum("metrics_messages_dropped_total{"),
            buffer_full: sum("metrics_events_dropped_total{reason=\"buffer_full\"}"),
            backlog_full: sum("metrics_events_dropped_total{reason=\"backlog_full\"}"),
            flush_errors: sum("metrics_flush_errors_total"),
        })
    }
}

/// Seeds the deep partner and times its pages.
async fn deep_retrieval(
    http: &reqwest::Client,
    base: &str,
    store: &Store,
    store_url: &str,
    events: usize,
    repeats: usize,
) -> anyhow::Result<()> {
    let now = now_micros();
    let span = 30 * MICROS_PER_DAY;
    let step = span / events as i64;
    let seeded = Instant::now();
    for chunk in (0..events).collect::<Vec<_>>().chunks(50_000) {
        let batch: Vec<Event> = chunk
            .iter()
            .map(|i| Event {
                key: format!("pdeep.c{}.e0.req", i % 2).into(),
                value: (i % 900) as f64,
                received_at: now - span + *i as i64 * step,
            })
            .collect();
        let (_, appended) = store.append_events(batch).await;
        appended?;
    }
    let seed_seconds = seeded.elapsed().as_secs_f64();
    let plain_seconds = plain_copy_seconds(store_url, events).await?;
    println!("\n== deep retrieval: {events} events of partner pdeep (2 keys) over 30 days");
    println!(
        "seeded    with COPY in {seed_seconds:.2} s: {:.0} events/s; same-run reference, the same rows COPYed into a plain table without index, sequence or partitions: {:.0} events/s (ratio {:.2})",
        events as f64 / seed_seconds,
        events as f64 / plain_seconds,
        plain_seconds / seed_seconds
    );
    for first in [
        "/events?prefix=pdeep.".to_owned(),
        "/events/pdeep.c0.e0.req".to_owned(),
    ] {
        let walk = walk(http, base, &first).await?;
        let mut sorted = walk.times.clone();
        sorted.sort();
        println!(
            "{first}: whole retrieval {} pages, {} events in {:.1} s; page p50 {:.2} ms p99 {:.2} ms max {:.2} ms",
            walk.times.len(),
            walk.events,
            walk.times.iter().sum::<Duration>().as_secs_f64(),
            ms(percentile(&sorted, 0.50)),
            ms(percentile(&sorted, 0.99)),
            ms(*sorted.last().unwrap_or(&Duration::ZERO)),
        );
        let middle = &walk.links[walk.links.len() / 2];
        let last = walk.links.last().unwrap_or(&first);
        for (name, path) in [("first", &first), ("middle", middle), ("last", last)] {
            let mut times = Vec::with_capacity(repeats);
            for _ in 0..repeats {
                let started = Instant::now();
                let response = http.get(format!("{base}{path}")).send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "{path}: {}",
                    response.status()
                );
                response.bytes().await?;
                times.push(started.elapsed());
            }
            times.sort();
            println!(
                "  {name:<6} page x{repeats}: p50 {:.2} ms  p99 {:.2} ms",
                ms(percentile(&times, 0.50)),
                ms(percentile(&times, 0.99))
            );
        }
    }
    Ok(())
}

/// The machine's COPY floor in this run: the same rows into a table with nothing to maintain.
async fn plain_copy_seconds(url: &str, events: usize) -> anyhow::Result<f64> {
    use tokio_postgres::binary_copy::BinaryCopyInWriter;
    use tokio_postgres::types::{ToSql, Type};
    let (mut client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(
            "DROP TABLE IF EXISTS bench_plain_copy;
             CREATE TABLE bench_plain_copy (key text, received_at bigint, value float8)",
        )
        .await?;
    let now = now_micros();
    let started = Instant::now();
    for chunk in (0..events).collect::<Vec<_>>().chunks(50_000) {
        let transaction = client.transaction().await?;
        let sink = transaction
            .copy_in("COPY bench_plain_copy (key, received_at, value) FROM STDIN BINARY")
            .await?;
        let mut writer = std::pin::pin!(BinaryCopyInWriter::new(
            sink,
            &[Type::TEXT, Type::INT8, Type::FLOAT8]
        ));
        for i in chunk {
            let key = format!("pdeep.c{}.e0.req", i % 2);
            let (at, value) = (now + *i as i64, (i % 900) as f64);
            let row: [&(dyn ToSql + Sync); 3] = [&key.as_str(), &at, &value];
            writer.as_mut().write(&row).await?;
        }
        writer.finish().await?;
        transaction.commit().await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    client.batch_execute("DROP TABLE bench_plain_copy").await?;
    Ok(seconds)
}

struct Walk {
    times: Vec<Duration>,
    /// The path of every page, in order.
    links: Vec<String>,
    events: usize,
}

async fn walk(http: &reqwest::Client, base: &str, first: &str) -> anyhow::Result<Walk> {
    let mut walk = Walk {
        times: Vec::new(),
        links: Vec::new(),
        events: 0,
    };
    let mut next = Some(first.to_owned());
    while let Some(path) = next.take() {
        let started = Instant::now();
        let response = http.get(format!("{base}{path}")).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        next = response
            .headers()
            .get("link")
            .and_then(|link| link.to_str().ok())
            .and_then(|link| Some(link.strip_prefix('<')?.split_once('>')?.0.to_owned()));
        let body: serde_json::Value = response.json().await?;
        walk.times.push(started.elapsed());
        walk.events += body["events"].as_array().map_or(0, Vec::len);
        walk.links.push(path);
    }
    Ok(walk)
}

/// Bytes per event over every partition, and the time to drop one day.
async fn storage_figures(store: &Store, url: &str, day_events: usize) -> anyhow::Result<()> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT COALESCE(sum(pg_total_relation_size(inhrelid)), 0)::bigint,
                    COALESCE(sum(pg_indexes_size(inhrelid)), 0)::bigint,
                    (SELECT count(*) FROM metrics_events)
             FROM pg_inherits WHERE inhparent = 'metrics_events'::regclass",
            &[],
        )
        .await?;
    let (bytes, index_bytes, rows): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    println!("\n== storage");
    println!(
        "{rows} events in {:.1} MiB ({:.1} MiB indexes): {:.1} bytes per event incl. indexes",
        bytes as f64 / 1048576.0,
        index_bytes as f64 / 1048576.0,
        bytes as f64 / rows.max(1) as f64
    );

    // One day 33 days ago, alone in its partition (the deep retrieval spans 30 days).
    let day_start = (now_micros() / MICROS_PER_DAY - 33) * MICROS_PER_DAY;
    let step = MICROS_PER_DAY / day_events as i64;
    for chunk in (0..day_events).collect::<Vec<_>>().chunks(100_000) {
        let batch: Vec<Event> = chunk
            .iter()
            .map(|i| Event {
                key: format!("pday.c{}.e{}.req", i % 100, i % 7).into(),
                value: 1.0,
                received_at: day_start + *i as i64 * step,
            })
            .collect();
        let (_, appended) = store.append_events(batch).await;
        appended?;
    }
    let day_bytes: i64 = client
        .query_one(
            &format!(
                "SELECT pg_total_relation_size('{}')",
                metrics::storage::postgres::partition_name(day_start / MICROS_PER_DAY)
            ),
            &[],
        )
        .await?
        .get(0);
    let started = Instant::now();
    let dropped = store.expire_events(day_start + MICROS_PER_DAY).await?;
    println!(
        "dropped {dropped} day partition ({day_events} events, {:.1} MiB) in {:.1} ms",
        day_bytes as f64 / 1048576.0,
        ms(started.elapsed())
    );
    Ok(())
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
