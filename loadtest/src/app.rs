//! The `run` and `check` commands as library functions, so tests drive them in-process.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::watch;

use crate::cli::ProgressMode;
use crate::error::LoadTestError;
use crate::plan::{Plan, RunSettings, plan};
use crate::report::{Report, RunFacts, build, render_markdown, write_charts};
use crate::runner::{LiveCounters, RunOptions, run};
use crate::workflow::load;

/// Where and how to write reports after a run.
#[derive(Debug, Clone, Default)]
pub struct ReportOutputs {
    pub directory: Option<PathBuf>,
    pub name: Option<String>,
    pub json: Option<PathBuf>,
}

/// Loads, plans and runs a workflow; returns the report (thresholds already checked).
pub async fn run_workflow(
    path: &Path,
    settings: &RunSettings,
    options: &RunOptions,
    progress: ProgressMode,
    stop: watch::Receiver<bool>,
) -> Result<Report, LoadTestError> {
    let workflow = load(path)?;
    let plan = plan(&workflow, settings)?;
    tracing::info!(
        workflow = %plan.root,
        actors = plan.actors.len(),
        iterations = plan.total_iterations(),
        run_seconds = plan.run_time.as_secs_f64(),
        "starting run"
    );
    let counters = Arc::new(LiveCounters::default());
    let bar = progress_bar(progress, plan.total_iterations());
    let ticker = spawn_progress(bar.clone(), counters.clone());
    let result = run(&plan, options, counters, stop).await;
    ticker.abort();
    bar.finish_and_clear();
    let facts = RunFacts {
        compress: plan.compress,
        multiplier: plan.multiplier,
        workflow_seconds: plan.workflow_time.as_secs_f64(),
        run_seconds: plan.run_time.as_secs_f64(),
        elapsed_seconds: result.elapsed.as_secs_f64(),
        workers: options.workers,
        connections: options.connections,
        timeout_seconds: options.timeout.as_secs_f64(),
        targets: plan
            .targets
            .iter()
            .map(|t| (t.name.clone(), t.base_url()))
            .collect(),
        actors: plan.actors.len(),
        scheduled_rate_per_second: plan.iteration_rate(),
        abandoned_iterations: result.abandoned,
        interrupted: result.interrupted,
    };
    Ok(build(&plan, &result, facts))
}

/// Writes the JSON, Markdown and SVG files asked for; returns the paths written.
pub fn write_reports(
    report: &Report,
    outputs: &ReportOutputs,
) -> Result<Vec<PathBuf>, LoadTestError> {
    let json = serde_json::to_string_pretty(report).expect("the report serialises to JSON");
    let write = |path: &Path, content: &str| {
        std::fs::write(path, content).map_err(|source| LoadTestError::WriteReport {
            path: path.to_owned(),
            source,
        })
    };
    let mut written = Vec::new();
    if let Some(path) = &outputs.json {
        if path.as_os_str() == "-" {
            println!("{json}");
        } else {
            write(path, &json)?;
            written.push(path.clone());
        }
    }
    if let Some(directory) = &outputs.directory {
        std::fs::create_dir_all(directory).map_err(|source| LoadTestError::WriteReport {
            path: directory.clone(),
            source,
        })?;
        let name = outputs
            .name
            .clone()
            .unwrap_or_else(|| report.workflow.clone());
        let charts = write_charts(report, directory, &name).map_err(LoadTestError::Chart)?;
        for file in [&charts.latency, &charts.throughput, &charts.percentiles] {
            written.push(directory.join(file));
        }
        let markdown_path = directory.join(format!("{name}.md"));
        write(&markdown_path, &render_markdown(report, Some(&charts)))?;
        written.push(markdown_path);
        let json_path = directory.join(format!("{name}.json"));
        write(&json_path, &json)?;
        written.push(json_path);
    }
    Ok(written)
}

/// What `loadtest check` prints: every actor with its real-time rate.
pub fn describe(path: &Path, settings: &RunSettings) -> Result<String, LoadTestError> {
    let workflow = load(path)?;
    let plan = plan(&workflow, settings)?;
    Ok(describe_plan(&plan))
}

pub fn describe_plan(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} actors, {:.1} s of real time ({:.0} s workflow time), {} iterations, {:.1} iterations/s",
        plan.root,
        plan.actors.len(),
        plan.run_time.as_secs_f64(),
        plan.workflow_time.as_secs_f64(),
        plan.total_iterations(),
        plan.iteration_rate()
    );
    // Actors of one program (one [[actor]] entry) are listed once with their count.
    let mut seen: Vec<(*const crate::plan::Program, usize, Duration, u64)> = Vec::new();
    for actor in &plan.actors {
        let key = Arc::as_ptr(&actor.program);
        match seen.iter_mut().find(|(program, ..)| *program == key) {
            Some(entry) => {
                entry.1 += 1;
                entry.3 += actor.iterations(plan.run_time);
            }
            None => seen.push((key, 1, actor.period, actor.iterations(plan.run_time))),
        }
    }
    for (program, count, period, iterations) in seen {
        let program = plan
            .actors
            .iter()
            .find(|a| Arc::as_ptr(&a.program) == program)
            .map(|a| &a.program)
            .expect("the program came from an actor");
        let first = &program.steps[0];
        let entry = &plan.stats[first.stat];
        let _ = writeln!(
            out,
            "  {} / {}: {} actors (all instances), one iteration every {} each, {} iterations, target {}",
            plan.workflows[entry.workflow].name,
            entry.actor,
            count,
            crate::duration::format_duration(period),
            iterations,
            first.target.base_url()
        );
        for step in &program.steps {
            let _ = writeln!(
                out,
                "      step `{}`{}",
                step.step.name,
                if step.step.paginate.is_some() {
                    " (follows pagination)"
                } else {
                    ""
                }
            );
        }
    }
    out
}

fn progress_bar(mode: ProgressMode, total: u64) -> ProgressBar {
    let visible = match mode {
        ProgressMode::Always => true,
        ProgressMode::Never => false,
        ProgressMode::Auto => std::io::stderr().is_terminal(),
    };
    if !visible {
        return ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(5));
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {pos}/{len} iterations started ({eta} left) {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn spawn_progress(bar: ProgressBar, counters: Arc<LiveCounters>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tick.tick().await;
            bar.set_position(counters.started_iterations.load(Ordering::Relaxed));
            bar.set_message(format!(
                "{} responses, {} errors",
                counters.requests.load(Ordering::Relaxed),
                counters.errors.load(Ordering::Relaxed)
            ));
        }
    })
}
