//! `metrics import-events`: bulk-appends kept events read from stdin, so that a load test's
//! history (written by `loadtest seed`) is in the database before the run starts.
//!
//! One event per line, `<received_at_micros>\t<message>`; the message is parsed by
//! [`parse_line`], as the collector parses what clients send. A reading thread parses lines
//! into batches of `--batch` events and hands them over a bounded channel (so parsing overlaps
//! appending and memory stays at a few batches); each batch goes through
//! [`Store::append_events`], which creates PostgreSQL day partitions and records new keys
//! exactly as a flush does. Neither the series admission nor the hourly aggregates are
//! involved: this writes events only.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::{Args, ValueEnum};
use tokio::sync::mpsc;

use crate::domain::{Event, MessageError, Micros, parse_line};
use crate::storage::{Database, Store};

/// Events per append unless `--batch` says otherwise.
pub const DEFAULT_BATCH: u32 = 50_000;
/// The largest `--batch` (about 80 MB of parsed events; a few are held at once).
pub const MAX_BATCH: u32 = 1_000_000;
/// The latest `received_at` accepted: 9999-12-31T23:59:59.999999Z (partition names and
/// RFC 3339 times have four-digit years).
pub const MAX_MICROS: Micros = 253_402_300_799_999_999;
/// Batches parsed ahead of the one being appended.
const BATCHES_AHEAD: usize = 2;
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// Bytes of a refused field quoted in an error.
const QUOTED_BYTES: usize = 80;

#[derive(Debug, Args)]
pub struct ImportEventsArgs {
    /// Database to append to, as the service's --database: a SQLite file (created when
    /// missing; a `sqlite://` prefix is accepted) or a `postgres://user:pass@host/db` URL.
    // hide_env_values: a PostgreSQL URL in the variable may hold a password.
    #[arg(long, env = "METRICS_DATABASE", hide_env_values = true, default_value = "metrics.db", value_parser = Database::parse)]
    pub database: Database,

    /// Events per append, 1 to 1,000,000 (PostgreSQL commits at most 100,000 per
    /// transaction). A few batches are held in memory at once, about 80 bytes per event.
    #[arg(long, default_value_t = DEFAULT_BATCH, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_BATCH)))]
    pub batch: u32,

    /// Progress lines on stderr every 2 s (events committed, events/s): auto (when stderr is
    /// a terminal), always or never.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    Auto,
    Always,
    Never,
}

impl Progress {
    fn visible(self) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => std::io::stderr().is_terminal(),
        }
    }
}

/// Why one input line was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("no tab: expected '<received_at_micros>\\t<message>'")]
    NoTab,
    #[error(
        "received_at '{0}': expected microseconds since the Unix epoch (UTC), 0 to {MAX_MICROS}"
    )]
    BadTime(String),
    #[error("message '{text}': {reason}")]
    BadMessage { text: String, reason: MessageError },
}

/// The input stopped at this line (1-based, counting empty lines).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct InputError {
    pub line: u64,
    pub reason: String,
}

/// One line without its line ending: (received_at, key, value). The key borrows from the line.
pub fn parse_event(line: &[u8]) -> Result<(Micros, &str, f64), LineError> {
    let tab = line
        .iter()
        .position(|&byte| byte == b'\t')
        .ok_or(LineError::NoTab)?;
    let (time, message) = (&line[..tab], &line[tab + 1..]);
    let received_at = parse_micros(time).ok_or_else(|| LineError::BadTime(quote(time)))?;
    let (key, value) = parse_line(message).map_err(|reason| LineError::BadMessage {
        text: quote(message),
        reason,
    })?;
    Ok((received_at, key, value))
}

/// Decimal digits only (no sign, no spaces), at most [`MAX_MICROS`].
fn parse_micros(text: &[u8]) -> Option<Micros> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text)
        .ok()?
        .parse::<Micros>()
        .ok()
        .filter(|micros| *micros <= MAX_MICROS)
}

fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(QUOTED_BYTES) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.into_owned(),
    }
}

/// Reads every line of `input`, handing each full batch of `batch_size` events to `deliver`
/// (which returns false when nobody takes batches any more: reading stops). Returns the number
/// of distinct keys. On a bad line, the events of the lines before it are delivered first,
/// then the line's error is returned.
pub fn read_events(
    mut input: impl BufRead,
    batch_size: usize,
    mut deliver: impl FnMut(Vec<Event>) -> bool,
) -> Result<usize, InputError> {
    let batch_size = batch_size.max(1);
    let mut keys: foldhash::HashSet<Box<str>> = foldhash::HashSet::default();
    let mut batch = Vec::with_capacity(batch_size);
    let mut line = Vec::with_capacity(256);
    let mut number = 0u64;
    loop {
        line.clear();
        let read = input.read_until(b'\n', &mut line);
        number += 1;
        let failure = match read {
            Ok(0) => break,
            Ok(_) => {
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                if text.is_empty() {
                    continue;
                }
                match parse_event(text) {
                    Ok((received_at, key, value)) => {
                        if !keys.contains(key) {
                            keys.insert(key.into());
                        }
                        batch.push(Event {
                            key: key.into(),
                            value,
                            received_at,
                        });
                        if batch.len() == batch_size {
                            let full =
                                std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                            if !deliver(full) {
                                return Ok(keys.len());
                            }
                        }
                        continue;
                    }
                    Err(err) => err.to_string(),
                }
            }
            Err(err) => format!("cannot read stdin: {err}"),
        };
        if !batch.is_empty() {
            deliver(batch);
        }
        return Err(InputError {
            line: number,
            reason: failure,
        });
    }
    if !batch.is_empty() {
        deliver(batch);
    }
    Ok(keys.len())
}

pub async fn run(args: ImportEventsArgs) -> anyhow::Result<()> {
    args.database
        .check_directory("--database")
        .map_err(|problem| anyhow!("invalid configuration: {problem}"))?;
    let store = Store::open(&args.database)
        .await
        .context("cannot open --database")?;
    let started = Instant::now();
    let (sender, mut receiver) = mpsc::channel::<Vec<Event>>(BATCHES_AHEAD);
    let batch_size = args.batch as usize;
    // A thread of its own, not a blocking task: after a failed append the process exits
    // without waiting for a read that may never return.
    let reader = std::thread::Builder::new()
        .name("import-read".into())
        .spawn(move || {
            let input = std::io::BufReader::with_capacity(1 << 20, std::io::stdin().lock());
            read_events(input, batch_size, |batch| {
                sender.blocking_send(batch).is_ok()
            })
        })
        .context("cannot start the reading thread")?;

    let committed = Arc::new(AtomicU64::new(0));
    let progress = args
        .progress
        .visible()
        .then(|| spawn_progress(committed.clone(), started));
    let stop_progress = || {
        if let Some(task) = &progress {
            task.abort();
        }
    };
    while let Some(batch) = receiver.recv().await {
        let offered = batch.len();
        let (rest, result) = store.append_events(batch).await;
        let done = committed.fetch_add((offered - rest.len()) as u64, Ordering::Relaxed)
            + (offered - rest.len()) as u64;
        if let Err(err) = result {
            stop_progress();
            return Err(anyhow::Error::new(err).context(format!(
                "appending events failed; {} committed before it",
                events(done)
            )));
        }
    }
    stop_progress();
    let done = committed.load(Ordering::Relaxed);
    // The channel closed: the reader has returned (or is about to).
    let keys = match reader.join() {
        Ok(Ok(keys)) => keys,
        Ok(Err(err)) => bail!(
            "{err}; {} from the lines before it committed (fix that line and resume with \
             `tail -n +{}`)",
            events(done),
            err.line
        ),
        Err(_) => bail!("the reading thread panicked; {} committed", events(done)),
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "imported {done} events ({keys} keys) in {seconds:.2} s: {:.0} events/s",
        done as f64 / seconds
    );
    Ok(())
}

fn events(count: u64) -> String {
    if count == 1 {
        "1 event".into()
    } else {
        format!("{count} events")
    }
}

/// Every [`PROGRESS_EVERY`]: events committed so far, the rate overall and over the last
/// interval. Plain lines, so they read the same in a terminal and in a log.
fn spawn_progress(committed: Arc<AtomicU64>, started: Instant) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
        let (mut last_count, mut last_at) = (0, started);
        loop {
            tick.tick().await;
            let count = committed.load(Ordering::Relaxed);
            let now = Instant::now();
            let overall = count as f64 / now.duration_since(started).as_secs_f64();
            let recent = (count - last_count) as f64 / now.duration_since(last_at).as_secs_f64();
            eprintln!(
                "import-events: {count} events committed in {:.0} s, {overall:.0} events/s \
                 ({recent:.0} events/s over the last {:.0} s)",
                now.duration_since(started).as_secs_f64(),
                now.duration_since(last_at).as_secs_f64()
            );
            (last_count, last_at) = (count, now);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &str, batch: usize) -> (Vec<Vec<Event>>, Result<usize, InputError>) {
        let mut batches = Vec::new();
        let result = read_events(input.as_bytes(), batch, |events| {
            batches.push(events);
            true
        });
        (batches, result)
    }

    #[test]
    fn native_and_statsd_lines_become_events_in_batches_and_empty_lines_are_skipped() {
        let input = "1764815641000000\tpw2i0p7.c1.e0.req:412\n\
                     \n\
                     1764815641000001\tpw2i0p7.c1.e1.req:1.5|ms|@0.5|#env:prod\r\n\
                     \r\n\
                     5\tpw2i0p7.c1.e0.req:0";
        let (batches, keys) = read_all(input, 2);
        assert_eq!(keys, Ok(2));
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 1]);
        assert_eq!(
            batches[0][1],
            Event {
                key: "pw2i0p7.c1.e1.req".into(),
                value: 1.5,
                received_at: 1_764_815_641_000_001,
            }
        );
        assert_eq!(batches[1][0].received_at, 5);
        let (batches, keys) = read_all("", 10);
        assert_eq!((batches.len(), keys), (0, Ok(0)));
    }

    #[test]
    fn a_bad_line_is_named_by_number_after_the_events_before_it_are_delivered() {
        for (bad, needle) in [
            ("no tab here:1", "no tab"),
            ("-5\tk:1", "received_at '-5'"),
            ("+5\tk:1", "received_at '+5'"),
            ("12a\tk:1", "received_at '12a'"),
            ("\tk:1", "received_at ''"),
            ("253402300800000000\tk:1", "0 to 253402300799999999"),
            ("99999999999999999999\tk:1", "received_at"),
            ("5\tk:1|c", "counters"),
            ("5\tbad key:1", "key must be"),
            ("5\tk:-1", "value must be"),
            ("5\tk:1\textra", "value must be"),
        ] {
            let input = format!("1\ta:1\n\n2\tb:2\n{bad}\n3\tc:3\n");
            let (batches, result) = read_all(&input, 10);
            let err = result.unwrap_err();
            assert_eq!(err.line, 4, "{bad}");
            assert!(err.to_string().starts_with("line 4: "), "{err}");
            assert!(err.reason.contains(needle), "{bad}: {err}");
            let delivered: Vec<&str> = batches.iter().flatten().map(|e| &*e.key).collect();
            assert_eq!(delivered, ["a", "b"], "{bad}");
        }
    }

    #[test]
    fn a_long_refused_field_is_quoted_shortened() {
        let line = format!("1\t{}", "k".repeat(300));
        let err = parse_event(line.as_bytes()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("'{}...'", "k".repeat(QUOTED_BYTES))),
            "{err}"
        );
        assert!(err.len() < 250, "{err}");
    }

    #[test]
    fn reading_stops_when_nobody_takes_batches() {
        let input = "1\ta:1\n2\ta:2\n3\ta:3\n";
        let mut calls = 0;
        let result = read_events(input.as_bytes(), 1, |_| {
            calls += 1;
            false
        });
        assert_eq!((calls, result), (1, Ok(1)));
    }

    #[test]
    fn the_batch_size_is_bounded_and_progress_is_a_mode() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: ImportEventsArgs,
        }
        let cli = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(cli.args.batch, DEFAULT_BATCH);
        assert_eq!(cli.args.progress, Progress::Auto);
        for bad in ["0", "1000001"] {
            let err = Cli::try_parse_from(["x", "--batch", bad])
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains("--batch"), "{err}");
        }
        let cli = Cli::try_parse_from(["x", "--batch", "1000000", "--progress", "never"]).unwrap();
        assert_eq!(
            (cli.args.batch, cli.args.progress),
            (MAX_BATCH, Progress::Never)
        );
    }
}
