//! Command line and environment configuration. Every flag has an environment variable.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use service_kit::LogFormat;
use service_kit::config::{at_least_one, duration_between, parse_socket_addr};

use crate::storage::Database;

#[derive(Debug, Parser)]
#[command(
    name = "metrics",
    version,
    about = "Collects response times (key:value or StatsD key:value|ms over UDP or HTTP), \
             aggregates them per key and UTC hour, and answers \
             GET /<key>/<average|min|max|median>/<YYYY-MM-DD>/<hour>; keeps each event for \
             GET /events/<key> and GET /events?prefix=<tenant>.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load generator for scripts/bench-metrics.sh: sends key:value datagrams at a fixed rate,
    /// then checks that the service stored every message and measures query latency.
    BenchSend(crate::bench::BenchSendArgs),
    /// Bulk-appends kept events read from stdin: a load test's history (`loadtest seed`),
    /// written before the run so that its retrievals find it.
    ///
    /// Input: one event per line, `<received_at_micros>\t<message>`: the time received in
    /// microseconds since the Unix epoch (UTC), a tab, and a message line as a client sends
    /// it (native `key:value` or StatsD `key:value|ms`), e.g.
    /// `1764815641000000\tpw2i0p7.c1.e0.req:412`. Lines need not be sorted; empty lines are
    /// skipped. A malformed line stops the import with an error naming its number and a
    /// non-zero exit; the events of the lines before it are committed (the error says how
    /// many), so a fixed input can resume with `tail -n +LINE`.
    ///
    /// It writes events only, through the collector's own append (PostgreSQL day partitions
    /// and the distinct-keys table as a flush creates them): it bypasses the series admission
    /// and writes no hourly aggregates, so GET /events sees these events and
    /// GET /<key>/<stat>/<date>/<hour> does not. A running collector's retention
    /// (--event-retention-days) removes days older than it keeps.
    ///
    /// Prints `imported N events (K keys) in S s: R events/s` on stdout at the end.
    ImportEvents(crate::import::ImportEventsArgs),
}

/// Which parts of the service this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Collection (UDP + POST /ingest), flushing, and the query API.
    All,
    /// Collection and flushing only (plus /healthz, /readyz, /metrics).
    Collector,
    /// The query API only; reads --database and every --source.
    Query,
}

impl Role {
    pub fn collects(self) -> bool {
        matches!(self, Self::All | Self::Collector)
    }

    pub fn queries(self) -> bool {
        matches!(self, Self::All | Self::Query)
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// HTTP address for the query API, POST /ingest, /healthz, /readyz and /metrics.
    #[arg(long, env = "METRICS_BIND", default_value = "127.0.0.1:5002", value_parser = parse_socket_addr)]
    pub bind: SocketAddr,

    #[command(flatten)]
    pub listener: service_kit::ListenerArgs,

    /// UDP address receiving `key:value` lines (several per datagram, newline-separated).
    /// (`METRICS_UDP` is the senders' list of collectors, in hardware and portal.)
    #[arg(long, env = "METRICS_UDP_BIND", default_value = "127.0.0.1:8125", value_parser = parse_socket_addr)]
    pub udp: SocketAddr,

    /// What this process runs: all (default), collector (ingest + flush) or query (API only).
    #[arg(long, env = "METRICS_ROLE", value_enum, default_value_t = Role::All)]
    pub role: Role,

    /// Database the collector flushes into and the query API reads: a SQLite file (created
    /// when missing; a `sqlite://` prefix is accepted) or a `postgres://user:pass@host/db`
    /// URL (table created when missing). Several collectors may share either; use PostgreSQL
    /// when they run on different hosts. A SQLite file's directory must exist.
    // hide_env_values: a PostgreSQL URL in the variable may hold a password.
    #[arg(long, env = "METRICS_DATABASE", hide_env_values = true, default_value = "metrics.db", value_parser = Database::parse)]
    pub database: Database,

    /// More databases (SQLite paths or PostgreSQL URLs) for the query API to read and merge
    /// with --database (for collectors that each have their own). Repeat the flag, or
    /// comma-separate in the variable.
    #[arg(long = "source", env = "METRICS_SOURCES", hide_env_values = true, value_delimiter = ',', value_parser = Database::parse)]
    pub sources: Vec<Database>,

    /// Time between flushes of the in-memory aggregates to the database: seconds (fractions
    /// allowed) or with a unit (500ms, 1m), 10ms to 1h. Also the most a crashed collector
    /// loses.
    #[arg(long, env = "METRICS_FLUSH_INTERVAL", default_value = "5", value_parser = duration_between(Duration::from_millis(10), Duration::from_secs(3600)), allow_hyphen_values = true)]
    pub flush_interval: Duration,

    /// Threads receiving UDP datagrams, each aggregating into its own shard (default: CPUs).
    #[arg(long, env = "METRICS_UDP_WORKERS", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub udp_workers: Option<u16>,

    /// Requested SO_RCVBUF in bytes for the UDP socket; the kernel caps it at net.core.rmem_max.
    #[arg(long, env = "METRICS_UDP_RECV_BUFFER", default_value_t = 8 * 1024 * 1024)]
    pub udp_recv_buffer: usize,

    /// Most distinct (key, hour) series held in memory between two flushes; messages for new
    /// keys beyond it are dropped (reason series_limit) so random keys cannot exhaust memory.
    /// It also caps the backlog kept while flushes fail (oldest hours dropped first).
    #[arg(long, env = "METRICS_MAX_SERIES", default_value_t = 100_000, value_parser = at_least_one::<u64>)]
    pub max_series: u64,

    /// New keys (never flushed before) admitted per flush window over all senders; known keys
    /// are always admitted first. Default: a tenth of --max-series.
    #[arg(long, env = "METRICS_MAX_NEW_SERIES", value_parser = at_least_one::<u64>)]
    pub max_new_series: Option<u64>,

    /// New keys admitted per flush window from one sender (UDP address; all of POST /ingest
    /// is one sender), so a flood from one sender cannot crowd out another's new key.
    #[arg(long, env = "METRICS_MAX_NEW_SERIES_PER_SOURCE", default_value_t = 1_000, value_parser = at_least_one::<u64>)]
    pub max_new_series_per_source: u64,

    /// Days of hourly statistics kept; older hours are deleted.
    #[arg(long, env = "METRICS_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retention_days: u32,

    /// Days each event (key, value, time received) is kept for GET /events; older days are
    /// dropped whole (PostgreSQL day partitions) or deleted in batches (SQLite).
    #[arg(long, env = "METRICS_EVENT_RETENTION_DAYS", default_value_t = crate::retention::DEFAULT_EVENT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=3_650))]
    pub event_retention_days: u32,

    /// Most events held in memory between flushes (and while appends fail); beyond it
    /// events are dropped (metrics_events_dropped_total), their values still aggregated.
    #[arg(long, env = "METRICS_MAX_BUFFERED_EVENTS", default_value_t = 2_000_000, value_parser = at_least_one::<u64>)]
    pub max_buffered_events: u64,

    /// Most (key, hour) rows kept in the database (about 1 KiB each); beyond it the rows
    /// with the fewest values are deleted first.
    #[arg(long, env = "METRICS_MAX_STORED_SERIES", default_value_t = 1_000_000, value_parser = at_least_one::<u64>)]
    pub max_stored_series: u64,

    /// Log format on stderr: text or json.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// A SQLite database may be created, its directory not: a mistyped path is refused before
/// anything is bound or created. The message names the flag.
pub fn check_database_dirs(database: &Database, sources: &[Database]) -> Result<(), String> {
    let flags = std::iter::once(("--database", database))
        .chain(sources.iter().map(|source| ("--source", source)));
    for (flag, database) in flags {
        database.check_directory(flag)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn defaults_match_the_architecture_document() {
        let cli = Cli::try_parse_from(["metrics"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.bind.to_string(), "127.0.0.1:5002");
        assert_eq!(cli.serve.udp.to_string(), "127.0.0.1:8125");
        assert_eq!(cli.serve.role, Role::All);
        assert_eq!(cli.serve.database, Database::Sqlite("metrics.db".into()));
        assert_eq!(cli.serve.flush_interval, Duration::from_secs(5));
        assert_eq!(cli.serve.event_retention_days, 35);
    }

    #[test]
    fn bad_values_are_errors_naming_them() {
        for (args, needle) in [
            (&["metrics", "--flush-interval", "0"][..], "'0'"),
            (&["metrics", "--flush-interval", "soon"], "'soon'"),
            (&["metrics", "--database", "mysql://x/y"], "'mysql'"),
            (&["metrics", "--role", "both"], "both"),
            (&["metrics", "--bind", "localhost"], "localhost"),
        ] {
            let err = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }

    #[test]
    fn counts_say_at_least_1_and_durations_refuse_negatives_naming_the_flag() {
        let err = Cli::try_parse_from(["metrics", "--max-series", "0"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--max-series") && err.contains("at least 1"),
            "{err}"
        );
        assert!(!err.contains("18446744073709551615"), "{err}");
        let err = Cli::try_parse_from(["metrics", "--flush-interval", "-5"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--flush-interval") && err.contains("non-negative"),
            "{err}"
        );
        let cli = Cli::try_parse_from(["metrics", "--flush-interval", "500ms"]).unwrap();
        assert_eq!(cli.serve.flush_interval, Duration::from_millis(500));
    }

    #[test]
    fn the_udp_listen_address_has_its_own_variable() {
        let cli = Cli::try_parse_from(["metrics", "--udp", "0.0.0.0:9125"]).unwrap();
        assert_eq!(cli.serve.udp.to_string(), "0.0.0.0:9125");
        let err = Cli::try_parse_from(["metrics", "--udp", "127.0.0.1:99999"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--udp") && err.contains("0 to 65535"), "{err}");
        let help = <Cli as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        assert!(help.contains("METRICS_UDP_BIND"), "{help}");
    }

    #[test]
    fn a_database_in_a_missing_directory_is_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nonexistent");
        let err = check_database_dirs(&Database::Sqlite(missing.join("m.db")), &[]).unwrap_err();
        assert!(
            err.contains("--database") && err.contains("does not exist"),
            "{err}"
        );
        let err = check_database_dirs(
            &Database::Sqlite(dir.path().join("m.db")),
            &[Database::Sqlite(missing.join("s.db"))],
        )
        .unwrap_err();
        assert!(err.contains("--source"), "{err}");
    }

    #[test]
    fn import_events_takes_the_database_flag_and_its_help_says_what_it_bypasses() {
        let cli = Cli::try_parse_from([
            "metrics",
            "import-events",
            "--database",
            "postgres://u:p@db/m",
            "--batch",
            "1000",
        ])
        .unwrap();
        let Some(Command::ImportEvents(args)) = cli.command else {
            panic!("expected import-events");
        };
        assert_eq!(
            args.database,
            Database::Postgres("postgres://u:p@db/m".into())
        );
        assert_eq!(args.batch, 1000);
        let err = Cli::try_parse_from(["metrics", "import-events", "--database", "mysql://x/y"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("'mysql'"), "{err}");
        let mut command = <Cli as clap::CommandFactory>::command();
        let help = command
            .find_subcommand_mut("import-events")
            .unwrap()
            .render_long_help()
            .to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            "`<received_at_micros>\\t<message>`",
            "bypasses the series admission and writes no hourly aggregates",
            "METRICS_DATABASE",
            "--batch",
            "--progress",
        ] {
            assert!(help.contains(needle), "{needle}: {help}");
        }
    }

    #[test]
    fn sources_accept_a_list_and_the_sqlite_prefix() {
        let cli = Cli::try_parse_from([
            "metrics",
            "--database",
            "sqlite://a.db",
            "--source",
            "b.db,postgres://u:p@db/m",
        ])
        .unwrap();
        assert_eq!(cli.serve.database, Database::Sqlite("a.db".into()));
        assert_eq!(
            cli.serve.sources,
            vec![
                Database::from(PathBuf::from("b.db")),
                Database::Postgres("postgres://u:p@db/m".into())
            ]
        );
    }
}
