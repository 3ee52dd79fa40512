//! The summary printed when a run ends: one line per step, then the SLA verdicts.

use std::fmt::Write;

use super::build::{Report, Summary};

fn row(out: &mut String, label: &str, summary: &Summary) {
    let c = &summary.corrected;
    let _ = writeln!(
        out,
        "{label:<46} {:>9} {:>6} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} | {:>9.2} {:>9.2}",
        summary.count,
        summary.errors,
        summary.throughput,
        c.mean,
        c.stddev,
        c.p50,
        c.p99,
        c.p99_9,
        c.max,
        summary.uncorrected.p99,
        summary.uncorrected.max,
    );
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}~")
    }
}

pub fn render_terminal(report: &Report) -> String {
    let mut out = String::new();
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
    let _ = writeln!(
        out,
        "latency in ms; corrected = from the scheduled time, uncorrected = from the actual send\n"
    );
    let _ = writeln!(
        out,
        "{:<46} {:>9} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} | {:>9} {:>9}",
        "workflow / actor / step",
        "count",
        "errors",
        "req/s",
        "mean",
        "stddev",
        "p50",
        "p99",
        "p99.9",
        "max",
        "raw p99",
        "raw max"
    );
    for workflow in &report.workflows {
        row(
            &mut out,
            &truncate(&format!("{} (x{})", workflow.name, workflow.instances), 46),
            &workflow.summary,
        );
        for actor in &workflow.actors {
            for step in &actor.steps {
                let label = truncate(&format!("  {} / {}", actor.name, step.name), 46);
                row(&mut out, &label, &step.summary);
            }
        }
    }
    row(&mut out, "all requests", &report.total);
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
    if s.abandoned_iterations > 0 {
        let _ = writeln!(
            out,
            "\n{} iterations were still running after the grace period and are not counted",
            s.abandoned_iterations
        );
    }
    if !report.checks.is_empty() {
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
