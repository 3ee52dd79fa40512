//! `deployer`: see `deployer --help`. Errors print as one plain message chain (no backtrace);
//! exit codes: 0 success, 1 error, 2 bad command line, 3 rolled back / verify failed.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use deployer::cli::Cli;
use deployer::progress::Reporter;
use deployer::run::{Verdict, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs are for debugging the deployer itself (RUST_LOG=debug); progress and results are
    // printed, not logged.
    service_kit::init_tracing(service_kit::LogFormat::Text, "warn");
    match execute(cli) {
        Ok(Verdict::Success) => ExitCode::SUCCESS,
        Ok(Verdict::Unsuccessful) => ExitCode::from(3),
        Err(err) => {
            eprintln!("error: {}", service_kit::error_message(err.as_ref()));
            ExitCode::from(1)
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<Verdict> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = Reporter::for_terminal(cli.global.no_progress);
    let mut stdout = std::io::stdout();
    let verdict = runtime.block_on(run(cli, &reporter, &mut stdout));
    // Clear the live line before the error (or nothing) is printed below it.
    reporter.finish();
    Ok(verdict?)
}
