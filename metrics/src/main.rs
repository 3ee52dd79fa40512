use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use metrics::{Application, Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    service_kit::init_tracing(cli.serve.log_format, "info");
    let result = match cli.command {
        Some(Command::BenchSend(args)) => metrics::bench::run(args).await,
        Some(Command::ImportEvents(args)) => metrics::import::run(args).await,
        None => serve(cli).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", service_kit::error_message(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let app = Application::build(cli.serve.into())
        .await
        .context("cannot start metrics")?;
    app.run_until(service_kit::shutdown_signal()).await
}
