//! Command-line interface. Every flag has an environment variable, so scripts/deploy.sh and CI
//! can configure the deployer without long command lines.

use std::path::PathBuf;
use std::time::Duration;

// Boolish: switches read from the environment accept 1/0, yes/no, on/off, true/false.
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use reqwest::Url;

use crate::duration::parse_duration;
use crate::image::ImageRef;
use crate::settings::Component;
use crate::smoke::parse_smoke_url;

#[derive(Debug, Parser)]
#[command(
    name = "deployer",
    version,
    about = "Release, roll back and inspect the dashboard's ECS services",
    long_about = "Release, roll back and inspect the dashboard's ECS services.\n\n\
        The cluster, service names, ECR repositories and alarms come from flags, environment \
        variables, or the outputs of infra/terraform (--terraform-dir). Exit codes: 0 success, \
        1 error (nothing or only part was done; the message says what), 2 bad command line, \
        3 the release was rolled back, a rollback failed, or verify found problems."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AWS region. Default: the terraform output aws_region, then your AWS profile.
    #[arg(long, env = "AWS_REGION", global = true)]
    pub region: Option<String>,

    /// Send every AWS API call to this URL instead of AWS (a moto server in tests).
    #[arg(long, env = "AWS_ENDPOINT_URL", global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// ECS cluster. Default: the terraform output cluster_name.
    #[arg(long, env = "DEPLOYER_CLUSTER", global = true)]
    pub cluster: Option<String>,

    /// ECS service name of the portal. Default: terraform output portal_service_name, else "portal".
    #[arg(
        long,
        env = "DEPLOYER_PORTAL_SERVICE",
        global = true,
        value_name = "NAME"
    )]
    pub portal_service: Option<String>,

    /// ECS service name of hardware. Default: terraform output hardware_service_name, else "hardware".
    #[arg(
        long,
        env = "DEPLOYER_HARDWARE_SERVICE",
        global = true,
        value_name = "NAME"
    )]
    pub hardware_service: Option<String>,

    /// Terraform root module to read outputs from with `terraform output -json` (e.g. infra/terraform).
    #[arg(
        long,
        env = "DEPLOYER_TERRAFORM_DIR",
        global = true,
        value_name = "DIR"
    )]
    pub terraform_dir: Option<PathBuf>,

    /// A file holding `terraform output -json`, instead of running terraform.
    #[arg(
        long,
        env = "DEPLOYER_TERRAFORM_OUTPUTS",
        global = true,
        value_name = "FILE",
        conflicts_with = "terraform_dir"
    )]
    pub terraform_outputs: Option<PathBuf>,

    /// Time limit for each AWS API call, retries included (e.g. 30s).
    #[arg(long, env = "DEPLOYER_CALL_TIMEOUT", global = true, default_value = "30s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub call_timeout: Duration,

    /// Print plain progress lines instead of a live progress display (automatic when stderr is
    /// not a terminal).
    #[arg(long, env = "DEPLOYER_NO_PROGRESS", global = true, value_parser = BoolishValueParser::new())]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Release a new image: register the next task definition revision (only the image changed),
    /// update the service so ECS runs its blue/green deployment, and follow it with smoke checks
    /// and alarms until the new version serves production traffic (exit 0) or was rolled back
    /// (exit 3). The revision it starts from is the latest ACTIVE one of the family when that is
    /// newer than the running one (terraform apply registered it), so infrastructure changes go
    /// live too; releasing the running image with no newer revision changes nothing.
    Release(ReleaseArgs),
    /// Roll back: stop the in-flight deployment with rollback, or, when none is in flight,
    /// return the service to the revision it ran before the last release.
    Rollback(RollbackArgs),
    /// Show a service's release history, newest first: when, revision, outcome, who released it
    /// and the image. `rollback` returns to the newest SUCCESSFUL entry that was never rolled back.
    History(HistoryArgs),
    /// Print the CloudWatch Logs of a service's log group (terraform output
    /// <service>_log_group_name), newest last.
    Logs(LogsArgs),
    /// Show what releasing an image would change in the service's task definition: the
    /// differences between the running revision and the one `release` would register.
    Diff(DiffArgs),
    /// Show each service: tasks running / desired, revision and image, current deployment,
    /// target health, scaling policy and requests per target.
    Status(StatusArgs),
    /// Pre-flight checks before a release: service, image in ECR, IAM roles, log group, secrets,
    /// alarms. Lists every failure; exit 3 if any.
    Verify(VerifyArgs),
    /// Wait until every named service (default: portal and hardware) is steady: its desired
    /// count (> 0) of tasks running, none UNHEALTHY, one deployment left and it COMPLETED.
    /// On timeout or a failed deployment exit 1 naming the service, why its recent tasks
    /// stopped and the last lines of its log group. scripts/deploy.sh runs it after
    /// `terraform apply`.
    Wait(WaitArgs),
}

#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Services to wait for (default: portal and hardware).
    #[arg(value_enum, value_name = "SERVICE")]
    pub services: Vec<Component>,

    /// Give up after this long.
    #[arg(long, env = "DEPLOYER_WAIT_TIMEOUT", default_value = "15m", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub timeout: Duration,

    /// Time between two looks at the services.
    #[arg(long, env = "DEPLOYER_POLL_INTERVAL", default_value = "10s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub poll_interval: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct FollowArgs {
    /// Time between two looks at the deployment.
    #[arg(long, env = "DEPLOYER_POLL_INTERVAL", default_value = "10s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub poll_interval: Duration,

    /// Stop following after this long (the deployment itself carries on in ECS).
    #[arg(long, env = "DEPLOYER_TIMEOUT", default_value = "60m", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub timeout: Duration,

    /// Return as soon as ECS accepted the change instead of following it to the end.
    #[arg(long, env = "DEPLOYER_NO_WAIT", value_parser = BoolishValueParser::new())]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ReleaseArgs {
    /// Which service to release.
    #[arg(long, value_enum)]
    pub service: Component,

    /// The image to release, with an explicit tag or digest (e.g. <ecr repository url>:<git sha>).
    #[arg(long, value_parser = |s: &str| s.parse::<ImageRef>())]
    pub image: ImageRef,

    /// Container whose image changes. Default: the service name (portal or hardware).
    #[arg(long, env = "DEPLOYER_CONTAINER")]
    pub container: Option<String>,

    /// Print what would be registered and changed; call no mutating API.
    #[arg(long, env = "DEPLOYER_DRY_RUN", value_parser = BoolishValueParser::new())]
    pub dry_run: bool,

    /// Skip the check that the image exists in ECR.
    #[arg(long)]
    pub skip_image_check: bool,

    /// Deploy even if the service already runs this image (replaces every task, e.g. to pick
    /// up a rotated secret). Without it, releasing the running image changes nothing.
    #[arg(long, env = "DEPLOYER_FORCE", value_parser = BoolishValueParser::new())]
    pub force: bool,

    /// CloudWatch alarm that rolls the release back while it bakes (repeatable). Default: the
    /// terraform output <service>_alarm_names.
    #[arg(long = "alarm", value_name = "NAME")]
    pub alarms: Vec<String>,

    /// URL on the test listener to GET during the deployment (any 2xx passes); failures roll back.
    #[arg(long, env = "DEPLOYER_SMOKE_URL", value_parser = parse_smoke_url, value_name = "URL")]
    pub smoke_url: Option<Url>,

    /// Smoke-check portal on the test listener the terraform outputs name:
    /// http://<alb_dns_name>:<test_listener_port, 8443>/readyz. Off by default because that
    /// listener admits only test_listener_cidrs (none by default). --smoke-url wins.
    #[arg(long, env = "DEPLOYER_SMOKE", value_parser = BoolishValueParser::new())]
    pub smoke: bool,

    /// Time limit for one smoke check request.
    #[arg(long, env = "DEPLOYER_SMOKE_TIMEOUT", default_value = "5s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub smoke_timeout: Duration,

    /// Time between two smoke checks.
    #[arg(long, env = "DEPLOYER_SMOKE_INTERVAL", default_value = "10s", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub smoke_interval: Duration,

    /// Consecutive failed smoke checks that trigger a rollback.
    #[arg(long, env = "DEPLOYER_SMOKE_FAILURES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub smoke_failures: u32,

    /// Consecutive passed smoke checks at the PAUSE hook before production traffic may move.
    #[arg(long, env = "DEPLOYER_SMOKE_PASSES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub smoke_passes: u32,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub follow: FollowArgs,
}

#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// Remove the service's release lock first (after a deployer was killed and left it; the
    /// refusal names who holds it and since when).
    #[arg(long)]
    pub force_unlock: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// Which service to roll back.
    #[arg(long, value_enum)]
    pub service: Component,

    /// Return to this revision (a number of the running family, FAMILY:REVISION or an ARN)
    /// instead of the last known good release; skips the in-flight check.
    #[arg(long = "to", alias = "to-task-definition", value_name = "REVISION")]
    pub to_task_definition: Option<String>,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub follow: FollowArgs,
}

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    #[arg(value_enum, value_name = "SERVICE")]
    pub service: Component,
}

#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    #[arg(value_enum, value_name = "SERVICE")]
    pub service: Component,

    /// Only events newer than this (e.g. 10m, 2h).
    #[arg(long, default_value = "10m", value_parser = parse_duration, allow_hyphen_values = true, value_name = "DURATION")]
    pub since: Duration,

    /// Keep printing new events until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,

    /// At most this many lines before following.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i32).range(1..=10000))]
    pub lines: i32,
}

#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    #[arg(value_enum, value_name = "SERVICE")]
    pub service: Component,

    /// The image the release would deploy.
    #[arg(long, value_parser = |s: &str| s.parse::<ImageRef>())]
    pub image: ImageRef,

    /// Container whose image changes. Default: the service name.
    #[arg(long, env = "DEPLOYER_CONTAINER")]
    pub container: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Only this service (default: portal and hardware).
    #[arg(long, value_enum)]
    pub service: Option<Component>,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Only this service (default: portal and hardware).
    #[arg(long, value_enum)]
    pub service: Option<Component>,

    /// The image about to be released (default: the image the service runs now). Needs --service.
    #[arg(long, requires = "service", value_parser = |s: &str| s.parse::<ImageRef>())]
    pub image: Option<ImageRef>,

    /// Container to check. Default: the service name.
    #[arg(long, env = "DEPLOYER_CONTAINER")]
    pub container: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_bad_image_is_a_usage_error_naming_it() {
        let err = Cli::try_parse_from([
            "deployer",
            "release",
            "--service",
            "portal",
            "--image",
            "portal",
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"portal\" has no tag"), "{err}");
    }

    #[test]
    fn an_unknown_service_lists_the_real_ones() {
        let err = Cli::try_parse_from(["deployer", "status", "--service", "portl"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("portl") && err.contains("portal") && err.contains("hardware"),
            "{err}"
        );
    }

    #[test]
    fn release_flags_parse_into_durations_and_urls() {
        let cli = Cli::try_parse_from([
            "deployer",
            "--cluster",
            "c",
            "release",
            "--service",
            "hardware",
            "--image",
            "repo/hardware:v1",
            "--smoke-url",
            "http://127.0.0.1:9/readyz",
            "--poll-interval",
            "250ms",
            "--dry-run",
            "--alarm",
            "a1",
            "--alarm",
            "a2",
        ])
        .unwrap();
        let Command::Release(args) = cli.command else {
            panic!("not a release")
        };
        assert_eq!(args.service, Component::Hardware);
        assert_eq!(args.follow.poll_interval, Duration::from_millis(250));
        assert_eq!(args.alarms, vec!["a1", "a2"]);
        assert!(args.dry_run);
        assert_eq!(cli.global.cluster.as_deref(), Some("c"));
    }

    #[test]
    fn switches_still_work_as_bare_flags() {
        let cli = Cli::try_parse_from(["deployer", "--no-progress", "status"]).unwrap();
        assert!(cli.global.no_progress);
        let cli = Cli::try_parse_from(["deployer", "status"]).unwrap();
        assert_eq!(
            cli.global.no_progress,
            std::env::var_os("DEPLOYER_NO_PROGRESS").is_some()
        );
    }
}
