//! Command-line interface. Every flag can also come from the environment variable named in
//! its help, so CI jobs and scripts can set them without long command lines.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use service_kit::config::{at_least_one, parse_socket_addr};

use crate::duration::HumanDuration;
use crate::target::Target;
use crate::threshold::Threshold;

#[derive(Debug, Parser)]
#[command(
    name = "loadtest",
    version,
    about = "Open-model load generator driven by workflow files, with SLA thresholds and reports",
    long_about = "Runs the actors of a workflow file at their scheduled times whether or not \
                  earlier requests have returned (open model), measures latency both from the \
                  scheduled time (corrected for coordinated omission) and from the actual send, \
                  checks the SLA thresholds in the file and writes terminal, JSON and Markdown \
                  reports. Exit code: 0 all thresholds met, 1 the run could not be done, 2 a \
                  threshold failed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log format on stderr: `text` or `json`.
    #[arg(
        long,
        env = "LOADTEST_LOG_FORMAT",
        default_value = "text",
        global = true
    )]
    pub log_format: service_kit::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workflow against the given targets and report.
    Run(RunArgs),
    /// Check a workflow file and print what it would run, without sending anything.
    Check(CheckArgs),
    /// Write the events a workflow's writers would have sent before the run (its `history`),
    /// one `<micros>\t<line>` per event on stdout, for `metrics import-events`: readers then
    /// find the history they read. Plan it with the run's --multiplier and --duration.
    Seed(SeedArgs),
    /// Serve `ok` on every path: a trivial endpoint to benchmark the load generator itself.
    ServeTrivial(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Workflow file (TOML); see docs/loadtest.md for the format.
    pub workflow: PathBuf,

    /// Time compression: workflow time runs this many times faster (`1000` turns the
    /// workflow's 2 minutes into 120 ms, and its rates 1000 times higher).
    #[arg(
        long,
        env = "LOADTEST_COMPRESS",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub compress: f64,

    /// Growth multiplier: this many times as many actors, each copy a new customer with its
    /// own keys and phase (10 for "10x the traffic"). Fractions run ceil(M) copies at
    /// M / ceil(M) of the rate each.
    #[arg(
        long,
        env = "LOADTEST_MULTIPLIER",
        default_value_t = 1.0,
        allow_negative_numbers = true
    )]
    pub multiplier: f64,

    /// Run length in workflow time (e.g. `30m`); real time is this divided by --compress.
    /// Default: the workflow file's `duration`, else 1m.
    #[arg(long, env = "LOADTEST_DURATION", allow_hyphen_values = true)]
    pub duration: Option<HumanDuration>,

    /// A named base URL, NAME=URL (repeatable; comma-separated in the environment), e.g.
    /// `--target hardware=http://127.0.0.1:5001`. Actors name their target in the file.
    #[arg(long = "target", env = "LOADTEST_TARGETS", value_delimiter = ',')]
    pub targets: Vec<Target>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    /// Extra SLA threshold for every request of the run, e.g. `--sla 'max < 1s'`
    /// (repeatable; `;`-separated in the environment).
    #[arg(long = "sla", env = "LOADTEST_SLA", value_delimiter = ';')]
    pub sla: Vec<Threshold>,

    /// Per-request timeout, from connect to the last body byte; a request that takes longer
    /// counts as a `timeout` error.
    #[arg(
        long,
        env = "LOADTEST_TIMEOUT",
        default_value = "10s",
        allow_hyphen_values = true
    )]
    pub timeout: HumanDuration,

    /// Worker threads that schedule, send and record requests (default: number of CPUs).
    #[arg(long, env = "LOADTEST_WORKERS", value_parser = at_least_one::<usize>)]
    pub workers: Option<usize>,

    /// Most requests in flight at once (open connections) to each target, shared by the
    /// workers. A request that finds none free waits, and the wait shows in the corrected
    /// latency. Each target has its own budget, so a slow one does not hold back the others.
    #[arg(long, env = "LOADTEST_CONNECTIONS", default_value_t = 512, value_parser = at_least_one::<usize>)]
    pub connections: usize,

    /// Directory for the Markdown report, JSON and SVG charts (created if missing).
    #[arg(long, env = "LOADTEST_REPORT_DIR")]
    pub report_dir: Option<PathBuf>,

    /// Base name of the report files in --report-dir (default: the workflow name).
    #[arg(long, env = "LOADTEST_REPORT_NAME")]
    pub report_name: Option<String>,

    /// Also write the JSON report to this file (`-` for stdout).
    #[arg(long, env = "LOADTEST_JSON")]
    pub json: Option<PathBuf>,

    /// Progress bar on stderr: `auto` (when stderr is a terminal), `always` or `never`.
    #[arg(long, env = "LOADTEST_PROGRESS", default_value = "auto")]
    pub progress: ProgressMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub schedule: ScheduleArgs,

    /// `all`: every writer's history; `read`: only the keys this run's readers read (the
    /// readers whose first iteration falls within --duration), for histories too large to
    /// load whole (a month of workflow 2 at 10x is 432 million events).
    #[arg(long, env = "LOADTEST_SEED_SCOPE", default_value = "all")]
    pub scope: crate::seed::SeedScope,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed on stdout).
    #[arg(long, env = "LOADTEST_SERVE_BIND", default_value = "127.0.0.1:8089", value_parser = parse_socket_addr)]
    pub bind: std::net::SocketAddr,

    /// Delay added to every response.
    #[arg(
        long,
        env = "LOADTEST_SERVE_DELAY",
        default_value = "0ms",
        allow_hyphen_values = true
    )]
    pub delay: HumanDuration,

    /// Inject one stall this long after the first request: every response is held until the
    /// stall is over (use with --stall-for).
    #[arg(
        long,
        env = "LOADTEST_SERVE_STALL_AFTER",
        requires = "stall_for",
        allow_hyphen_values = true
    )]
    pub stall_after: Option<HumanDuration>,

    /// Length of the injected stall.
    #[arg(
        long,
        env = "LOADTEST_SERVE_STALL_FOR",
        requires = "stall_after",
        allow_hyphen_values = true
    )]
    pub stall_for: Option<HumanDuration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(args: &[&str]) -> String {
        let argv = [&["loadtest"][..], args].concat();
        Cli::try_parse_from(argv).unwrap_err().to_string()
    }

    #[test]
    fn zero_connections_or_workers_are_refused_saying_at_least_1() {
        for flag in ["--connections", "--workers"] {
            let err = error(&["run", "w.toml", flag, "0"]);
            assert!(
                err.contains(flag) && err.contains("'0'") && err.contains("at least 1"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_negative_compress_reaches_the_check_that_names_it() {
        // Not "unexpected argument '-1'": the plan's check says it must be positive.
        let cli = Cli::try_parse_from(["loadtest", "check", "w.toml", "--compress", "-1"]).unwrap();
        let Command::Check(check) = cli.command else {
            panic!("expected check");
        };
        assert_eq!(check.schedule.compress, -1.0);
    }

    #[test]
    fn durations_take_bare_seconds_and_refuse_negatives_naming_the_flag() {
        let cli = Cli::try_parse_from(["loadtest", "run", "w.toml", "--timeout", "3"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!("expected run");
        };
        assert_eq!(run.timeout.0, std::time::Duration::from_secs(3));
        let err = error(&["run", "w.toml", "--timeout", "-5"]);
        assert!(
            err.contains("--timeout") && err.contains("non-negative"),
            "{err}"
        );
        let err = error(&["serve-trivial", "--bind", "localhost"]);
        assert!(err.contains("IP:PORT"), "{err}");
    }
}
