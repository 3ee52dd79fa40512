//! Command line and environment: every flag can also be set through the variable named in
//! its help, so containers are configured with environment variables only.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use reqwest::Url;
use service_kit::LogFormat;
use service_kit::config::{AddressList, duration_between, parse_address_list, parse_socket_addr};

#[derive(Debug, Parser)]
#[command(
    name = "portal",
    version,
    about = "Public hardware availability dashboard.",
    long_about = "Public hardware availability dashboard. Keeps a copy of the hardware \
                  service's snapshot in sync in the background and renders every page from \
                  memory, so a page view never waits on hardware. Without a subcommand it \
                  serves the dashboard.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Checks a running portal's /healthz and exits 0 when healthy, 1 otherwise (2 s
    /// timeout). For container health checks in images without a shell or curl.
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// Health endpoint to check (plain http://IP:PORT/PATH: the probe runs beside the portal).
    #[arg(long, env = "PORTAL_HEALTHCHECK_URL", default_value = "http://127.0.0.1:5000/healthz", value_parser = parse_probe_url)]
    pub url: Url,
}

impl HealthcheckArgs {
    /// The whole check, connect included, must answer within this.
    pub const TIMEOUT: Duration = Duration::from_secs(2);

    /// The address and path `service_kit::healthcheck::check` asks.
    pub fn target(&self) -> Result<(SocketAddr, String), String> {
        let addr = self
            .url
            .socket_addrs(|| None)
            .map_err(|err| format!("{}: {err}", self.url))?
            .into_iter()
            .next()
            .ok_or_else(|| format!("{} has no address", self.url))?;
        let mut path = self.url.path().to_owned();
        if let Some(query) = self.url.query() {
            path = format!("{path}?{query}");
        }
        Ok((addr, path))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address and port to serve the dashboard on (use 0.0.0.0:PORT in containers).
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:5000", value_parser = parse_socket_addr)]
    pub bind: SocketAddr,

    #[command(flatten)]
    pub listener: service_kit::ListenerArgs,

    /// Base URL of the hardware service; the portal polls its /hardware/changes.
    #[arg(long, env = "HARDWARE_URL", default_value = "http://127.0.0.1:5001", value_parser = parse_http_url)]
    pub hardware_url: Url,

    /// Time between two syncs with hardware while it answers: seconds (fractions such as 0.5
    /// are fine) or with a unit (500ms, 1m), 10ms to 1h. The page's script polls for changes
    /// at the same pace.
    #[arg(long, env = "SYNC_INTERVAL", default_value = "2", value_parser = interval(), allow_hyphen_values = true)]
    pub sync_interval: Duration,

    /// Longest wait between sync attempts while hardware is unreachable (the wait doubles per
    /// failure from the sync interval up to this); at least --sync-interval.
    #[arg(long, env = "SYNC_MAX_BACKOFF", default_value = "10", value_parser = interval(), allow_hyphen_values = true)]
    pub sync_max_backoff: Duration,

    /// Memory for rendered pages, in MiB (both plain and gzip variants count).
    #[arg(long, env = "PAGE_CACHE_MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub page_cache_mb: u64,

    /// Log line format on stderr: text (for people) or json (for log shippers).
    #[arg(long, env = "LOG_FORMAT", default_value = "text", value_parser = parse_log_format)]
    pub log_format: LogFormat,

    /// Response-time collectors (metrics service UDP addresses), comma separated, e.g.
    /// 127.0.0.1:8125. Empty disables sending. Sending never delays a response.
    #[arg(long, env = "METRICS_UDP", default_value = "", value_parser = parse_address_list)]
    pub metrics_udp: AddressList,

    /// Key the response times are recorded under in the metrics service
    /// [default: portal-<hostname>-<pid>].
    #[arg(long, env = "METRICS_KEY")]
    pub metrics_key: Option<String>,
}

fn parse_http_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|err| format!("'{value}' is not a URL: {err}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(format!(
            "'{value}' must be an http:// or https:// URL with a host"
        )),
    }
}

/// The healthcheck speaks plain HTTP to the process beside it: no TLS.
fn parse_probe_url(value: &str) -> Result<Url, String> {
    let url = parse_http_url(value)?;
    if url.scheme() != "http" {
        return Err(format!(
            "'{value}': the healthcheck asks the portal itself over plain http://"
        ));
    }
    Ok(url)
}

/// The portal's sync pace: 10 ms to one hour.
fn interval() -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    duration_between(Duration::from_millis(10), Duration::from_secs(3600))
}

fn parse_log_format(value: &str) -> Result<LogFormat, String> {
    value.parse()
}

impl ServeConfig {
    /// Checks what each flag cannot check alone, before anything is bound; the message names
    /// the flags and their values.
    pub fn validate(&self) -> Result<(), String> {
        if self.sync_max_backoff < self.sync_interval {
            return Err(format!(
                "--sync-max-backoff {:?} must be at least --sync-interval {:?}: the wait \
                 between failed syncs grows from the interval up to the maximum",
                self.sync_max_backoff, self.sync_interval
            ));
        }
        if let Some(key) = &self.metrics_key {
            metrics_client::validate_key(key).map_err(|err| format!("--metrics-key: {err}"))?;
        }
        Ok(())
    }

    /// `--metrics-key`, or `portal-<hostname>-<pid>` so every instance is its own series. The
    /// host name is sanitised into a valid key (`metrics_client::instance_key`, the rule
    /// `hardware` uses), so an unusual host name (dots, underscores, non-ASCII, very long)
    /// never stops the portal at start-up.
    pub fn metrics_key(&self) -> String {
        self.metrics_key.clone().unwrap_or_else(|| {
            metrics_client::instance_key("portal", &service_kit::host_name(), std::process::id())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_architecture_table() {
        let cli = Cli::try_parse_from(["portal"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.bind, "127.0.0.1:5000".parse().unwrap());
        assert_eq!(cli.serve.hardware_url.as_str(), "http://127.0.0.1:5001/");
        assert_eq!(cli.serve.sync_interval, Duration::from_secs(2));
        assert_eq!(cli.serve.metrics_udp, AddressList::default());
    }

    #[test]
    fn accepts_fractional_intervals_and_collector_lists() {
        let cli = Cli::try_parse_from([
            "portal",
            "--sync-interval",
            "0.5",
            "--metrics-udp",
            "127.0.0.1:8125, 127.0.0.2:8125",
        ])
        .unwrap();
        assert_eq!(cli.serve.sync_interval, Duration::from_millis(500));
        assert_eq!(cli.serve.metrics_udp.0.len(), 2);
    }

    #[test]
    fn bad_values_are_errors_naming_the_value() {
        for (flag, value) in [
            ("--sync-interval", "soon"),
            ("--sync-interval", "0"),
            ("--hardware-url", "ftp://x"),
            ("--bind", "localhost"),
            ("--metrics-udp", "127.0.0.1"),
            ("--log-format", "xml"),
        ] {
            let err = Cli::try_parse_from(["portal", flag, value])
                .unwrap_err()
                .to_string();
            assert!(err.contains(value), "{flag} {value}: {err}");
        }
    }

    #[test]
    fn durations_take_units_and_refuse_negatives_naming_the_flag() {
        let cli = Cli::try_parse_from(["portal", "--sync-max-backoff", "1m"]).unwrap();
        assert_eq!(cli.serve.sync_max_backoff, Duration::from_secs(60));
        let err = Cli::try_parse_from(["portal", "--sync-interval", "-5"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--sync-interval") && err.contains("non-negative"),
            "{err}"
        );
        let err = Cli::try_parse_from(["portal", "--bind", "127.0.0.1:99999"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("0 to 65535"), "{err}");
    }

    #[test]
    fn a_max_backoff_below_the_interval_is_refused_naming_both() {
        let serve = |args: &[&str]| {
            let argv = [&["portal"][..], args].concat();
            Cli::try_parse_from(argv).unwrap().serve.validate()
        };
        assert_eq!(serve(&[]), Ok(()));
        assert_eq!(
            serve(&["--sync-interval", "5", "--sync-max-backoff", "5"]),
            Ok(())
        );
        let err = serve(&["--sync-max-backoff", "1", "--sync-interval", "5"]).unwrap_err();
        assert!(
            err.contains("--sync-max-backoff 1s must be at least --sync-interval 5s"),
            "{err}"
        );
        let err = serve(&["--metrics-key", "a b"]).unwrap_err();
        assert!(err.contains("--metrics-key"), "{err}");
    }

    #[test]
    fn the_healthcheck_asks_the_address_and_path_of_its_url() {
        let cli = Cli::try_parse_from([
            "portal",
            "healthcheck",
            "--url",
            "http://127.0.0.1:9/readyz?x=1",
        ])
        .unwrap();
        let Some(Command::Healthcheck(args)) = cli.command else {
            panic!("expected the healthcheck subcommand");
        };
        assert_eq!(
            args.target(),
            Ok(("127.0.0.1:9".parse().unwrap(), "/readyz?x=1".to_owned()))
        );
        let err = Cli::try_parse_from(["portal", "healthcheck", "--url", "https://127.0.0.1/"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("plain http://"), "{err}");
    }

    #[test]
    fn healthcheck_is_a_subcommand_with_its_own_url() {
        let cli = Cli::try_parse_from([
            "portal",
            "healthcheck",
            "--url",
            "http://127.0.0.1:9/healthz",
        ])
        .unwrap();
        let Some(Command::Healthcheck(args)) = cli.command else {
            panic!("expected the healthcheck subcommand");
        };
        assert_eq!(args.url.port(), Some(9));
    }

    #[test]
    fn default_metrics_key_names_the_process() {
        let cli = Cli::try_parse_from(["portal"]).unwrap();
        let key = cli.serve.metrics_key();
        assert!(key.starts_with("portal-") && key.ends_with(&std::process::id().to_string()));
        metrics_client::validate_key(&key).unwrap();
    }

    #[test]
    fn an_unusual_host_name_still_gives_a_valid_metrics_key() {
        // What used to stop the portal at start-up: the raw host name went into the key.
        let key =
            metrics_client::instance_key("portal", "web_01.eu-west-1.compute.internal\n", 4242);
        assert_eq!(key, "portal-web_01_eu-west-1_compute_internal-4242");
        metrics_client::validate_key(&key).unwrap();
        let explicit = Cli::try_parse_from(["portal", "--metrics-key", "portal-a"]).unwrap();
        assert_eq!(explicit.serve.metrics_key(), "portal-a");
    }
}
