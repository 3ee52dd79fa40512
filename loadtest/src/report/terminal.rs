//! The summary printed when a run ends: one line per step, then the SLA verdicts.

use std::fmt::Write;

use super::build::Report;
use super::table::LatencyTable;

/// Step names are cut to this many characters, so a line stays one line.
const LABEL_WIDTH: usize = 46;

pub fn render_terminal(report: &Report) -> String {
    let mut out = String::new();
    headline(&mut out, report);
    let _ = writeln!(
        out,
        "latency in ms; corrected = from the scheduled time, uncorrected = from the actual send\n"
    );
    let _ = writeln!(out, "{}", latency_table(report).table().terminal());
    delays(&mut out, report);
    checks(&mut out, report);
    let _ = writeln!(
        out,
        "\n{}",
        if report.passed {
            "result: PASS"
        } else {
            "result: FAIL (an SLA threshold was not met)"
        }
    );
    out
}

/// What ran, how long and how hard.
fn headline(out: &mut String, report: &Report) {
    let s = &report.settings;
    let _ = writeln!(
        out,
        "\n{}: {:.1}s of real time ({:.0}s workflow time, compress x{}, multiplier x{}), {} actors, {} iterations scheduled{}",
        report.workflow,
        s.run_seconds,
        s.workflow_seconds,
        s.compress,
        s.multiplier,
        s.actors,
        report.scheduled_iterations,
        if s.interrupted { ", INTERRUPTED" } else { "" }
    );
}

/// Each workflow's total and its steps (indented), then every request together.
fn latency_table(report: &Report) -> LatencyTable {
    let mut table = LatencyTable::narrow("workflow / actor / step", LABEL_WIDTH);
    for workflow in &report.workflows {
        table.row(
            format!("{} (x{})", workflow.name, workflow.instances),
            &workflow.summary,
        );
        for actor in &workflow.actors {
            for step in &actor.steps {
                table.row(format!("  {} / {}", actor.name, step.name), &step.summary);
            }
        }
    }
    table.row("all requests", &report.total);
    table
}

/// Errors by kind, then where the time before the send went, then unfinished iterations.
fn delays(out: &mut String, report: &Report) {
    if !report.total.errors_by_kind.is_empty() {
        let kinds: Vec<String> = report
            .total
            .errors_by_kind
            .iter()
            .map(|(kind, n)| format!("{kind}: {n}"))
            .collect();
        let _ = writeln!(out, "\nerrors: {}", kinds.join(", "));
    }
    let d = &report.delays;
    let _ = writeln!(
        out,
        "\nbefore the send: generator firing lag p99 {:.2} ms, max {:.2} ms; wait for a free connection p99 {:.2} ms, max {:.2} ms",
        d.firing_lag.p99, d.firing_lag.max, d.connection_wait.p99, d.connection_wait.max
    );
    let abandoned = report.settings.abandoned_iterations;
    if abandoned > 0 {
        let _ = writeln!(
            out,
            "\n{abandoned} iterations were still running after the grace period and are not counted"
        );
    }
}

/// The SLA verdicts, one line each.
fn checks(out: &mut String, report: &Report) {
    if report.checks.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nSLA");
    for check in &report.checks {
        let _ = writeln!(
            out,
            "  {} {}: {} (actual {})",
            if check.passed { "PASS" } else { "FAIL" },
            check.scope,
            check.threshold,
            check.actual
        );
    }
}
