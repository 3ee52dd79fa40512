use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use hardware::Application;
use hardware::config::{Cli, Command, ServeArgs};
use service_kit::{LogFormat, init_tracing, shutdown_signal};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Seed(args)) => seed(args).await,
        Some(Command::Healthcheck(args)) => {
            return match service_kit::healthcheck::check(args.bind, "/healthz", args.timeout).await
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(reason) => {
                    eprintln!("unhealthy: {reason}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", service_kit::error_message(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing(args.log_format, "info,hardware=info");
    Application::build(&args)
        .await?
        .run_until(shutdown_signal())
        .await
}

async fn seed(args: hardware::config::SeedArgs) -> anyhow::Result<()> {
    init_tracing(LogFormat::Text, "warn");
    args.validate()
        .map_err(|problem| anyhow::anyhow!("invalid configuration: {problem}"))?;
    let store = hardware::store::open_store(&args.database)
        .await
        .with_context(|| format!("opening database {}", args.database.redacted()))?;
    let added =
        hardware::seed::grow_catalog(Arc::clone(&store), args.profiles as usize, !args.quiet)
            .await
            .context("adding profiles")?;
    let total = store.count_profiles().await?;
    println!("added {added} profiles; the catalog now has {total}");
    Ok(())
}
