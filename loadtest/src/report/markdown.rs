//! The Markdown report: settings, SLA verdicts, a table per workflow, errors and charts.

use std::fmt::Write;

use super::build::Report;
use super::charts::ChartFiles;
use super::table::{Align, LatencyTable, Table};

const LATENCY_INTRO: &str = "Milliseconds. *Corrected* latency counts from the time a request \
    was scheduled (so it includes time spent behind a stalled server or waiting for a \
    connection); *raw* counts from the moment it was sent. `(all pages)` rows time a whole \
    paginated retrieval, from its scheduled time to the last page.";

pub fn render_markdown(report: &Report, charts: Option<&ChartFiles>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Load test report: {}\n", report.workflow);
    let _ = writeln!(
        out,
        "Generated {} by `loadtest`. Result: **{}**.\n",
        report.generated_at,
        if report.passed { "PASS" } else { "FAIL" }
    );
    let _ = writeln!(out, "{}", settings(report).markdown());
    let checks = checks(report);
    if !checks.is_empty() {
        let _ = writeln!(out, "\n## SLA\n\n{}", checks.markdown());
    }
    let _ = writeln!(out, "\n## Latency\n\n{LATENCY_INTRO}\n");
    workflows(&mut out, report);
    let errors = errors(report);
    if !errors.is_empty() {
        let _ = writeln!(out, "\n## Errors\n\n{}", errors.markdown());
    }
    if let Some(charts) = charts {
        let _ = writeln!(out, "\n## Charts\n");
        let _ = writeln!(out, "![latency over time]({})\n", charts.latency);
        let _ = writeln!(out, "![throughput over time]({})\n", charts.throughput);
        let _ = writeln!(out, "![latency by percentile]({})", charts.percentiles);
    }
    out
}

/// How the run was set up and what delayed requests before they were sent.
fn settings(report: &Report) -> Table {
    let s = &report.settings;
    let d = &report.delays;
    let mut table = Table::new(&[("setting", Align::Left), ("value", Align::Left)]);
    table.push([
        "workflow time".into(),
        format!("{:.0} s", s.workflow_seconds),
    ]);
    table.push(["time compression".into(), format!("x{}", s.compress)]);
    table.push(["rate multiplier".into(), format!("x{}", s.multiplier)]);
    table.push([
        "real run time".into(),
        format!(
            "{:.1} s (elapsed {:.1} s)",
            s.run_seconds, s.elapsed_seconds
        ),
    ]);
    table.push(["actors".into(), s.actors.to_string()]);
    table.push([
        "scheduled iterations".into(),
        format!(
            "{} ({:.1}/s)",
            report.scheduled_iterations, s.scheduled_rate_per_second
        ),
    ]);
    table.push([
        "workers, connections, timeout".into(),
        format!(
            "{}, {}, {:.1} s",
            s.workers, s.connections, s.timeout_seconds
        ),
    ]);
    for (name, url) in &s.targets {
        table.push([format!("target `{name}`"), url.clone()]);
    }
    table.push([
        "generator firing lag (scheduled to started), p99 / max".into(),
        format!("{:.2} / {:.2} ms", d.firing_lag.p99, d.firing_lag.max),
    ]);
    table.push([
        "wait for a free connection, p99 / max".into(),
        format!(
            "{:.2} / {:.2} ms",
            d.connection_wait.p99, d.connection_wait.max
        ),
    ]);
    if s.abandoned_iterations > 0 {
        table.push([
            "unfinished iterations (not counted)".into(),
            s.abandoned_iterations.to_string(),
        ]);
    }
    if s.interrupted {
        table.push(["interrupted", "yes"]);
    }
    table
}

/// One row per SLA threshold and its verdict.
fn checks(report: &Report) -> Table {
    let mut table = Table::new(&[
        ("scope", Align::Left),
        ("threshold", Align::Left),
        ("actual", Align::Left),
        ("verdict", Align::Left),
    ]);
    for check in &report.checks {
        table.push([
            check.scope.clone(),
            format!("`{}`", check.threshold),
            check.actual.clone(),
            if check.passed { "pass" } else { "**FAIL**" }.to_owned(),
        ]);
    }
    table
}

/// A latency table per workflow (its total, then each step), then the whole run's total.
fn workflows(out: &mut String, report: &Report) {
    for workflow in &report.workflows {
        let _ = writeln!(
            out,
            "\n### {} (x{} instance{})\n",
            workflow.name,
            workflow.instances,
            if workflow.instances == 1 { "" } else { "s" }
        );
        if let Some(description) = &workflow.description {
            let _ = writeln!(out, "{description}\n");
        }
        let mut table = LatencyTable::full("step");
        table.row("**all requests**", &workflow.summary);
        for actor in &workflow.actors {
            for step in &actor.steps {
                table.row(format!("{} / {}", actor.name, step.name), &step.summary);
            }
        }
        let _ = writeln!(out, "{}", table.table().markdown());
    }
    let mut total = LatencyTable::full("step");
    total.row("**all requests**", &report.total);
    let _ = writeln!(out, "\n### Whole run\n\n{}", total.table().markdown());
}

/// Errors by step and kind.
fn errors(report: &Report) -> Table {
    let mut table = Table::new(&[
        ("step", Align::Left),
        ("kind", Align::Left),
        ("count", Align::Right),
    ]);
    for workflow in &report.workflows {
        for actor in &workflow.actors {
            for step in &actor.steps {
                for (kind, n) in &step.summary.errors_by_kind {
                    table.push([
                        format!("{} / {} / {}", workflow.name, actor.name, step.name),
                        kind.clone(),
                        n.to_string(),
                    ]);
                }
            }
        }
    }
    table
}
