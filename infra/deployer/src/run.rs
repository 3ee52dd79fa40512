//! Dispatch from a parsed command line to the commands, and what each prints.

use std::io::Write;

use crate::aws::AwsClients;
use crate::cli::{Cli, Command, FollowArgs};
use crate::deployment::FollowOptions;
use crate::error::DeployError;
use crate::logs::LogsRequest;
use crate::progress::Reporter;
use crate::release::{ReleaseRequest, release};
use crate::rollback::{RollbackRequest, rollback};
use crate::settings::{Component, Settings};
use crate::smoke::SmokeSettings;
use crate::wait::WaitRequest;
use crate::{diff, history, lock, logs, status, verify, wait};

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Success,
    /// A release was rolled back, a rollback failed, or verify found problems (exit code 3).
    Unsuccessful,
}

fn follow_options(
    args: &FollowArgs,
    smoke: Option<SmokeSettings>,
    alarms: Vec<String>,
) -> FollowOptions {
    FollowOptions {
        poll_interval: args.poll_interval,
        timeout: args.timeout,
        smoke,
        alarm_names: alarms,
        alarms_since: None,
    }
}

/// Runs `cli`; results go to `out`, progress to `reporter`.
pub async fn run(
    cli: Cli,
    reporter: &Reporter,
    out: &mut dyn Write,
) -> Result<Verdict, DeployError> {
    let settings = Settings::resolve(&cli.global)?;
    let clients = AwsClients::connect(&settings.connect).await?;
    run_with(&clients, &settings, cli.command, reporter, out).await
}

/// [`run`] with clients made elsewhere (tests pass moto- or mock-backed ones).
pub async fn run_with(
    clients: &AwsClients,
    settings: &Settings,
    command: Command,
    reporter: &Reporter,
    out: &mut dyn Write,
) -> Result<Verdict, DeployError> {
    let write_err = |e: std::io::Error| DeployError::Config(format!("cannot write output: {e}"));
    let verdict = match command {
        Command::Release(args) => {
            let target = settings.target(args.service, args.container.clone(), &args.alarms)?;
            let smoke_url = match (&args.smoke_url, args.smoke) {
                (Some(url), _) => Some(url.clone()),
                (None, false) => None,
                (None, true) => Some(target.test_listener_url.clone().ok_or_else(|| {
                    DeployError::Config(format!(
                        "--smoke needs the test listener of {}: pass --terraform-dir \
                         infra/terraform (outputs alb_dns_name, test_listener_port) or --smoke-url",
                        target.service
                    ))
                })?),
            };
            let smoke = smoke_url.map(|url| SmokeSettings {
                url,
                timeout: args.smoke_timeout,
                interval: args.smoke_interval,
                failures_to_rollback: args.smoke_failures,
                passes_to_continue: args.smoke_passes,
            });
            let request = ReleaseRequest {
                follow: follow_options(&args.follow, smoke, target.alarm_names.clone()),
                target,
                image: args.image,
                dry_run: args.dry_run,
                wait: !args.follow.no_wait,
                check_image: !args.skip_image_check,
                force: args.force,
            };
            let outcome = if request.dry_run {
                release(clients, reporter, &request).await?
            } else {
                let command = format!("release {}", request.target.service);
                lock::with_lock(
                    clients,
                    reporter,
                    &request.target,
                    &command,
                    args.lock.force_unlock,
                    release(clients, reporter, &request),
                )
                .await?
            };
            {
                reporter.finish();
                writeln!(out, "{outcome}")
            }
            .map_err(write_err)?;
            verdict(outcome.succeeded())
        }
        Command::Rollback(args) => {
            let target = settings.target(args.service, None, &[])?;
            let request = RollbackRequest {
                follow: follow_options(&args.follow, None, Vec::new()),
                target,
                to_task_definition: args.to_task_definition,
                wait: !args.follow.no_wait,
            };
            let command = format!("rollback {}", request.target.service);
            let outcome = lock::with_lock(
                clients,
                reporter,
                &request.target,
                &command,
                args.lock.force_unlock,
                rollback(clients, reporter, &request),
            )
            .await?;
            {
                reporter.finish();
                writeln!(out, "{outcome}")
            }
            .map_err(write_err)?;
            verdict(outcome.succeeded())
        }
        Command::Status(args) => {
            for component in selected(args.service) {
                let target = settings.target(component, None, &[])?;
                let report = status::status(clients, &target).await?;
                reporter.finish();
                writeln!(out, "{report}").map_err(write_err)?;
            }
            Verdict::Success
        }
        Command::History(args) => {
            let target = settings.target(args.service, None, &[])?;
            let history = history::read(clients, &target).await?;
            reporter.finish();
            writeln!(out, "{history}").map_err(write_err)?;
            Verdict::Success
        }
        Command::Logs(args) => {
            let target = settings.target(args.service, None, &[])?;
            let request = LogsRequest {
                target,
                since: args.since,
                follow: args.follow,
                lines: args.lines,
                poll_interval: std::time::Duration::from_secs(2),
            };
            reporter.finish();
            logs::logs(clients, &request, out).await?;
            Verdict::Success
        }
        Command::Diff(args) => {
            let target = settings.target(args.service, args.container.clone(), &[])?;
            let diff = diff::diff(clients, &target, &args.image).await?;
            reporter.finish();
            writeln!(out, "{diff}").map_err(write_err)?;
            Verdict::Success
        }
        Command::Wait(args) => {
            let components = if args.services.is_empty() {
                Component::ALL.to_vec()
            } else {
                args.services.clone()
            };
            let targets = components
                .into_iter()
                .map(|c| settings.target(c, None, &[]))
                .collect::<Result<Vec<_>, _>>()?;
            let request = WaitRequest {
                targets,
                timeout: args.timeout,
                poll_interval: args.poll_interval,
            };
            let summary = wait::wait(clients, reporter, &request).await?;
            reporter.finish();
            writeln!(out, "{summary}").map_err(write_err)?;
            Verdict::Success
        }
        Command::Verify(args) => {
            let mut passed = true;
            for component in selected(args.service) {
                let target = settings.target(component, args.container.clone(), &[])?;
                let report = verify::verify(clients, &target, args.image.as_ref()).await;
                reporter.finish();
                passed &= report.passed();
                writeln!(out, "{report}").map_err(write_err)?;
            }
            let summary = if passed {
                "all checks passed"
            } else {
                "some checks FAILED"
            };
            writeln!(out, "{summary}").map_err(write_err)?;
            verdict(passed)
        }
    };
    Ok(verdict)
}

fn verdict(succeeded: bool) -> Verdict {
    if succeeded {
        Verdict::Success
    } else {
        Verdict::Unsuccessful
    }
}

fn selected(service: Option<Component>) -> Vec<Component> {
    service.map_or_else(|| Component::ALL.to_vec(), |c| vec![c])
}
