//! Command line and environment. Every serve option is a flag and an environment variable;
//! the names follow ../shared/ARCHITECTURE.md so scripts and operators can rely on them.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use service_kit::LogFormat;
use service_kit::config::{AddressList, duration_between, parse_address_list, parse_socket_addr};

use crate::store::DatabaseUrl;

#[derive(Debug, Parser)]
#[command(
    name = "hardware",
    version,
    about = "Private JSON service: the hardware catalog and its precomputed availability.",
    long_about = "Serves GET /hardware/ (the catalog with each profile's availability) in \
milliseconds. A background refresher computes every profile's availability ahead of time on a \
bounded pool of compute workers, persists each result, and keeps values fresh; requests never \
wait for a computation.\n\nWithout a subcommand, `hardware` serves.",
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // Boxed: its flags dwarf the other subcommands' (clippy::large_enum_variant).
    /// Run the HTTP service and the background refresher (the default).
    Serve(Box<ServeArgs>),
    /// Grow the catalog with generated profiles for scale tests (creates the database if needed).
    Seed(SeedArgs),
    /// Exit 0 when the service answers /healthz, 1 otherwise (container health checks).
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// The real computation: 5 s per profile.
    Real,
    /// Instant random answers after `--fake-compute-ms` (tests, demos, benchmarks).
    Fake,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback by default: this service is internal.
    #[arg(long, env = "HARDWARE_BIND", default_value = "127.0.0.1:5001", value_parser = parse_socket_addr)]
    pub bind: SocketAddr,

    #[command(flatten)]
    pub listener: service_kit::ListenerArgs,

    /// SQLite file (PATH or sqlite://PATH, created and seeded from database.sql when missing;
    /// its directory must exist) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "DATABASE_URL", default_value = "hardware.db", value_parser = parse_database_url)]
    pub database: DatabaseUrl,

    /// Availability computations that run at once; each holds a core for 5 s. Default: CPUs.
    #[arg(long, env = "COMPUTE_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub compute_workers: Option<u16>,

    /// How long a computed value stays fresh before it is recomputed (seconds, or with a
    /// unit: 90s, 5m).
    #[arg(long, env = "REFRESH_INTERVAL", default_value = "60", value_parser = up_to_a_year(), allow_hyphen_values = true)]
    pub refresh_interval: Duration,

    /// Where availability comes from.
    #[arg(long, env = "AVAILABILITY_SOURCE", value_enum, default_value = "real")]
    pub availability_source: SourceKind,

    /// Delay of the fake source, in milliseconds.
    #[arg(long, env = "FAKE_COMPUTE_MS", default_value = "50")]
    pub fake_compute_ms: u64,

    /// How long a claim on a profile lasts (seconds, or with a unit); another process takes the profile over after that
    /// if this one died. Must be longer than one computation (5 s; with the fake source,
    /// `--fake-compute-ms`), or a profile could be computed twice at once.
    #[arg(long, env = "CLAIM_LEASE", default_value = "60", value_parser = up_to_a_year(), allow_hyphen_values = true)]
    pub claim_lease: Duration,

    /// On SIGTERM, how long to wait for computations in progress so their results are kept.
    #[arg(long, env = "SHUTDOWN_GRACE", default_value = "6", value_parser = up_to_a_year(), allow_hyphen_values = true)]
    pub shutdown_grace: Duration,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// Comma-separated `metrics` collector addresses (UDP) that receive every request's
    /// response time, fire-and-forget. Empty: disabled.
    #[arg(long, env = "METRICS_UDP", default_value = "", value_parser = parse_address_list)]
    pub metrics_udp: AddressList,

    /// Key this instance reports its response times under (default hardware-HOST-PID).
    #[arg(long, env = "METRICS_KEY")]
    pub metrics_key: Option<String>,

    /// CloudWatch namespace for the refresher backlog (DueProfiles, OldestValueAgeSeconds),
    /// written to stdout as embedded metric format lines; on ECS the awslogs driver turns
    /// them into metrics that autoscaling tracks. Empty: not written.
    #[arg(long, env = "BACKLOG_METRIC_NAMESPACE", default_value = "")]
    pub backlog_metric_namespace: String,

    /// History kept per profile (`GET /hardware/{provider}/{name}/history`): results older
    /// than this are pruned (seconds, or with a unit: 12h, 30d).
    #[arg(long, env = "HISTORY_MAX_AGE", default_value = "30d", value_parser = up_to_a_year(), allow_hyphen_values = true)]
    pub history_max_age: Duration,

    /// History kept per profile: at most this many of its latest results.
    #[arg(long, env = "HISTORY_MAX_PER_PROFILE", default_value = "200", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub history_max_per_profile: u32,

    /// Time between two backlog metric lines.
    #[arg(long, env = "BACKLOG_METRIC_INTERVAL", default_value = "60", value_parser = up_to_a_year(), allow_hyphen_values = true)]
    pub backlog_metric_interval: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// Database to grow (same forms as `serve --database`).
    #[arg(long, env = "DATABASE_URL", default_value = "hardware.db", value_parser = parse_database_url)]
    pub database: DatabaseUrl,

    /// Total number of profiles the catalog should have afterwards.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub profiles: u32,

    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// The service's address; 0.0.0.0 is checked on 127.0.0.1.
    #[arg(long, env = "HARDWARE_BIND", default_value = "127.0.0.1:5001", value_parser = parse_socket_addr)]
    pub bind: SocketAddr,

    /// How long to wait for the answer.
    #[arg(long, default_value = "2", value_parser = up_to_a_year(), allow_hyphen_values = true)]
    pub timeout: Duration,
}

impl ServeArgs {
    /// How long one computation of the selected source takes.
    pub fn computation_time(&self) -> Duration {
        match self.availability_source {
            SourceKind::Real => crate::availability::REAL_COMPUTATION_TIME,
            SourceKind::Fake => Duration::from_millis(self.fake_compute_ms),
        }
    }

    /// Checks what each flag cannot check alone; the error names the flag and its value.
    /// Called before anything is opened, created or bound.
    pub fn validate(&self) -> Result<(), String> {
        self.database.check_directory("--database")?;
        if let Some(key) = &self.metrics_key {
            metrics_client::validate_key(key).map_err(|err| format!("--metrics-key: {err}"))?;
        }
        let computation = self.computation_time();
        if self.claim_lease <= computation {
            return Err(format!(
                "--claim-lease {}s must be longer than one computation ({}s with \
                 --availability-source {}{}), or another worker could take a profile over \
                 while it is still being computed",
                self.claim_lease.as_secs_f64(),
                computation.as_secs_f64(),
                match self.availability_source {
                    SourceKind::Real => "real",
                    SourceKind::Fake => "fake",
                },
                match self.availability_source {
                    SourceKind::Real => String::new(),
                    SourceKind::Fake => format!(" --fake-compute-ms {}", self.fake_compute_ms),
                },
            ));
        }
        if self.history_max_age.is_zero() {
            return Err("--history-max-age must be more than 0 seconds".into());
        }
        if !self.backlog_metric_namespace.is_empty() && self.backlog_metric_interval.is_zero() {
            return Err("--backlog-metric-interval must be more than 0 seconds".into());
        }
        Ok(())
    }

    /// Where the refresher backlog goes as EMF lines, if anywhere.
    pub fn backlog_metric(&self) -> Option<crate::backlog::EmfConfig> {
        (!self.backlog_metric_namespace.is_empty()).then(|| crate::backlog::EmfConfig {
            namespace: self.backlog_metric_namespace.clone(),
            service_name: "hardware".into(),
            interval: self.backlog_metric_interval,
        })
    }

    pub fn history_pruning(&self) -> crate::history_pruner::PruneConfig {
        crate::history_pruner::PruneConfig {
            max_age: self.history_max_age,
            max_per_profile: self.history_max_per_profile as usize,
        }
    }

    pub fn workers(&self) -> usize {
        self.compute_workers.map(usize::from).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }
}

impl SeedArgs {
    /// Like `ServeArgs::validate`: before the database is created.
    pub fn validate(&self) -> Result<(), String> {
        self.database.check_directory("--database")
    }
}

fn parse_database_url(raw: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(raw).map_err(|err| err.to_string())
}

/// This service's durations: from 0 to a year.
fn up_to_a_year() -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    duration_between(Duration::ZERO, Duration::from_secs(365 * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_architecture_contract() {
        let cli = Cli::try_parse_from(["hardware"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.bind, "127.0.0.1:5001".parse().unwrap());
        assert_eq!(cli.serve.refresh_interval, Duration::from_secs(60));
        assert_eq!(
            cli.serve.database,
            DatabaseUrl::Sqlite("hardware.db".into())
        );
        assert!(cli.serve.workers() >= 1);
        assert_eq!(cli.serve.history_max_age, Duration::from_secs(30 * 86_400));
        assert_eq!(cli.serve.history_max_per_profile, 200);
    }

    #[test]
    fn bad_values_are_named_in_the_error() {
        let err = Cli::try_parse_from(["hardware", "--refresh-interval", "soon"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("soon"), "{err}");
        let err = Cli::try_parse_from(["hardware", "--compute-workers", "0"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--compute-workers") && err.contains("'0'"),
            "the error names the flag and the value: {err}"
        );
    }

    fn serve(args: &[&str]) -> ServeArgs {
        let mut argv = vec!["hardware"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).unwrap().serve
    }

    #[test]
    fn a_lease_not_longer_than_one_computation_is_refused_with_its_value() {
        assert_eq!(serve(&[]).validate(), Ok(()), "defaults are valid");
        assert_eq!(serve(&["--claim-lease", "5.5"]).validate(), Ok(()));
        for lease in ["5", "2", "0"] {
            let err = serve(&["--claim-lease", lease]).validate().unwrap_err();
            assert!(
                err.contains(&format!("--claim-lease {lease}s")) && err.contains("5s"),
                "{err}"
            );
        }
        // With the fake source the computation is --fake-compute-ms long.
        let fake = ["--availability-source", "fake", "--fake-compute-ms", "200"];
        assert_eq!(
            serve(&[&fake[..], &["--claim-lease", "0.3"]].concat()).validate(),
            Ok(())
        );
        let err = serve(&[&fake[..], &["--claim-lease", "0.2"]].concat())
            .validate()
            .unwrap_err();
        assert!(
            err.contains("--claim-lease 0.2s") && err.contains("--fake-compute-ms 200"),
            "{err}"
        );
    }

    #[test]
    fn durations_take_a_unit_or_bare_seconds_and_refuse_negatives_naming_the_flag() {
        assert_eq!(
            serve(&["--refresh-interval", "5m"]).refresh_interval,
            Duration::from_secs(300)
        );
        assert_eq!(
            serve(&["--shutdown-grace", "10"]).shutdown_grace,
            Duration::from_secs(10)
        );
        for flag in ["--refresh-interval", "--claim-lease", "--shutdown-grace"] {
            let err = Cli::try_parse_from(["hardware", flag, "-5"])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(flag) && err.contains("'-5'") && err.contains("non-negative"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_bind_address_error_says_the_accepted_form() {
        for value in ["localhost", "127.0.0.1:99999"] {
            let err = Cli::try_parse_from(["hardware", "--bind", value])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("--bind") && err.contains(value) && err.contains("IP:PORT"),
                "{err}"
            );
            assert!(err.contains("0 to 65535"), "{err}");
        }
    }

    #[test]
    fn a_database_in_a_missing_directory_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nonexistent/dir");
        let db = missing.join("hw.db");
        let db = db.to_str().unwrap();
        let err = serve(&["--database", db]).validate().unwrap_err();
        assert!(
            err.contains("--database")
                && err.contains(&format!("{} does not exist", missing.display())),
            "{err}"
        );
        let seed =
            Cli::try_parse_from(["hardware", "seed", "--profiles", "1", "--database", db]).unwrap();
        let Some(Command::Seed(seed)) = seed.command else {
            panic!("expected seed");
        };
        assert!(seed.validate().unwrap_err().contains("does not exist"));
        assert_eq!(
            serve(&["--database", "postgres://u@h/db"]).validate(),
            Ok(())
        );
    }

    #[test]
    fn a_bad_collector_or_metrics_key_is_refused_before_start() {
        let err = Cli::try_parse_from(["hardware", "--metrics-udp", "127.0.0.1"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--metrics-udp") && err.contains("has no port"),
            "{err}"
        );
        let err = serve(&["--metrics-key", "a/b"]).validate().unwrap_err();
        assert!(
            err.contains("--metrics-key") && err.contains("a/b"),
            "{err}"
        );
    }

    #[test]
    fn seed_takes_a_profile_count() {
        let cli = Cli::try_parse_from(["hardware", "seed", "--profiles", "100000"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Seed(SeedArgs {
                profiles: 100_000,
                ..
            }))
        ));
    }
}
