//! The `loadtest` binary: parses flags, then hands over to the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use loadtest::app::{ReportOutputs, describe, run_workflow, write_reports};
use loadtest::cli::{CheckArgs, Cli, Command, RunArgs, ScheduleArgs, SeedArgs, ServeArgs};
use loadtest::plan::RunSettings;
use loadtest::report::render_terminal;
use loadtest::runner::RunOptions;
use loadtest::serve::{TrivialOptions, serve_trivial};

/// Exit code when the run worked but an SLA threshold failed.
const SLA_FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    service_kit::init_tracing(cli.log_format, "loadtest=info,warn");
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", service_kit::error_message(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(args) => run(args).await,
        Command::Check(args) => check(args),
        Command::Seed(args) => seed(args),
        Command::ServeTrivial(args) => serve(args).await,
    }
}

fn settings(
    schedule: &ScheduleArgs,
    extra_sla: Vec<loadtest::threshold::Threshold>,
) -> RunSettings {
    RunSettings {
        compress: schedule.compress,
        multiplier: schedule.multiplier,
        duration: schedule.duration.map(|d| d.0),
        targets: schedule
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.clone()))
            .collect(),
        extra_sla,
    }
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args.schedule, args.sla.clone());
    let options = RunOptions {
        workers: args
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        connections: args.connections,
        timeout: args.timeout.0,
    };
    let (stop_sender, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        service_kit::shutdown_signal().await;
        eprintln!("stopping: no new requests; waiting for those in flight");
        let _ = stop_sender.send(true);
    });
    let path = &args.schedule.workflow;
    let report = run_workflow(path, &settings, &options, args.progress, stop)
        .await
        .with_context(|| format!("running workflow {}", path.display()))?;
    print!("{}", render_terminal(&report));
    let outputs = ReportOutputs {
        directory: args.report_dir.clone(),
        name: args.report_name.clone(),
        json: args.json.clone(),
    };
    let written = write_reports(&report, &outputs).context("writing the reports")?;
    for file in written {
        eprintln!("wrote {}", file.display());
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(SLA_FAILED)
    })
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args.schedule, Vec::new());
    let description = describe(&args.schedule.workflow, &settings)
        .with_context(|| format!("checking workflow {}", args.schedule.workflow.display()))?;
    print!("{description}");
    Ok(ExitCode::SUCCESS)
}

fn seed(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args.schedule, Vec::new());
    let path = &args.schedule.workflow;
    let workflow = loadtest::workflow::load(path)
        .with_context(|| format!("loading workflow {}", path.display()))?;
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout);
    let started = std::time::Instant::now();
    let summary = loadtest::seed::seed(&workflow, &settings, args.scope, &mut out)
        .with_context(|| format!("seeding the history of {}", path.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "seed: {} events from {} writers in {seconds:.1} s ({:.0} events/s, paced by the reader of stdout){}",
        summary.events,
        summary.writers,
        summary.events as f64 / seconds.max(1e-9),
        if summary.writers_skipped > 0 {
            format!(
                "; {} writers skipped (--scope read: no reader of this run reads their keys)",
                summary.writers_skipped
            )
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("binding {}", args.bind))?;
    let address = listener.local_addr().context("reading the bound address")?;
    // Scripts read this line to find the port when --bind uses port 0.
    println!("listening on http://{address}");
    let options = TrivialOptions {
        delay: args.delay.0,
        stall: args
            .stall_after
            .zip(args.stall_for)
            .map(|(after, length)| (after.0, length.0)),
    };
    serve_trivial(listener, options, async {
        service_kit::shutdown_signal().await;
    })
    .await;
    Ok(ExitCode::SUCCESS)
}
