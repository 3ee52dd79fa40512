//! `portal`: serve the dashboard, or `portal healthcheck` for container health checks.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use portal::config::HealthcheckArgs;
use portal::{Application, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::Healthcheck(args)) => {
            let check = async {
                let (addr, path) = args.target()?;
                service_kit::healthcheck::check(addr, &path, HealthcheckArgs::TIMEOUT).await
            };
            match runtime.block_on(check) {
                Ok(()) => ExitCode::SUCCESS,
                Err(reason) => {
                    eprintln!("unhealthy: {reason}");
                    ExitCode::FAILURE
                }
            }
        }
        None => match runtime.block_on(serve(cli.serve)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: {}", service_kit::error_message(err.as_ref()));
                ExitCode::FAILURE
            }
        },
    }
}

async fn serve(config: portal::ServeConfig) -> anyhow::Result<()> {
    service_kit::init_tracing(config.log_format, "portal=info,tower_http=warn,info");
    let app = Application::build(config)
        .await
        .context("starting the portal")?;
    app.run_until(service_kit::shutdown_signal())
        .await
        .context("serving the portal")
}
