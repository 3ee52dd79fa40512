//! The Markdown report: settings, SLA verdicts, a table per workflow, errors and charts.

use std::fmt::Write;

use super::build::{Report, Summary};
use super::charts::ChartFiles;

fn latency_row(out: &mut String, label: &str, summary: &Summary) {
    let c = &summary.corrected;
    let u = &summary.uncorrected;
    let _ = writeln!(
        out,
        "| {label} | {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        summary.count,
        summary.errors,
        summary.throughput,
        c.mean,
        c.stddev,
        c.p50,
        c.p90,
        c.p99,
        c.p99_9,
        c.max,
        u.p99,
        u.max,
    );
}

pub fn render_markdown(report: &Report, charts: Option<&ChartFiles>) -> String {
    let mut out = String::new();
    let s = &report.settings;
    let _ = writeln!(out, "# Load test report: {}\n", report.workflow);
    let _ = writeln!(
        out,
        "Generated {} by `loadtest`. Result: **{}**.\n",
        report.generated_at,
        if report.passed { "PASS" } else { "FAIL" }
    );
    let _ = writeln!(out, "| setting | value |\n| --- | --- |");
    let _ = writeln!(out, "| workflow time | {:.0} s |", s.workflow_seconds);
    let _ = writeln!(out, "| time compression | x{} |", s.compress);
    let _ = writeln!(out, "| rate multiplier | x{} |", s.multiplier);
    let _ = writeln!(
        out,
        "| real run time | {:.1} s (elapsed {:.1} s) |",
        s.run_seconds, s.elapsed_seconds
    );
    let _ = writeln!(out, "| actors | {} |", s.actors);
    let _ = writeln!(
        out,
        "| scheduled iterations | {} ({:.1}/s) |",
        report.scheduled_iterations, s.scheduled_rate_per_second
    );
    let _ = writeln!(
        out,
        "| workers, connections, timeout | {}, {}, {:.1} s |",
        s.workers, s.connections, s.timeout_seconds
    );
    for (name, url) in &s.targets {
        let _ = writeln!(out, "| target `{name}` | {url} |");
    }
    let d = &report.delays;
    let _ = writeln!(
        out,
        "| generator firing lag (scheduled to started), p99 / max | {:.2} / {:.2} ms |",
        d.firing_lag.p99, d.firing_lag.max
    );
    let _ = writeln!(
        out,
        "| wait for a free connection, p99 / max | {:.2} / {:.2} ms |",
        d.connection_wait.p99, d.connection_wait.max
    );
    if s.abandoned_iterations > 0 {
        let _ = writeln!(
            out,
            "| unfinished iterations (not counted) | {} |",
            s.abandoned_iterations
        );
    }
    if s.interrupted {
        let _ = writeln!(out, "| interrupted | yes |");
    }

    if !report.checks.is_empty() {
        let _ = writeln!(
            out,
            "\n## SLA\n\n| scope | threshold | actual | verdict |\n| --- | --- | --- | --- |"
        );
        for check in &report.checks {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                check.scope,
                check.threshold,
                check.actual,
                if check.passed { "pass" } else { "**FAIL**" }
            );
        }
    }

    let _ = writeln!(
        out,
        "\n## Latency\n\nMilliseconds. *Corrected* latency counts from the time a request was scheduled \
         (so it includes time spent behind a stalled server or waiting for a connection); \
         *raw* counts from the moment it was sent. `(all pages)` rows time a whole paginated \
         retrieval, from its scheduled time to the last page.\n"
    );
    let header = "| step | count | errors | req/s | mean | stddev | p50 | p90 | p99 | p99.9 | max | raw p99 | raw max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
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
        let _ = writeln!(out, "{header}");
        latency_row(&mut out, "**all requests**", &workflow.summary);
        for actor in &workflow.actors {
            for step in &actor.steps {
                latency_row(
                    &mut out,
                    &format!("{} / {}", actor.name, step.name),
                    &step.summary,
                );
            }
        }
    }
    let _ = writeln!(out, "\n### Whole run\n\n{header}");
    latency_row(&mut out, "**all requests**", &report.total);

    let errors: Vec<String> = report
        .workflows
        .iter()
        .flat_map(|w| {
            w.actors.iter().flat_map(move |a| {
                a.steps.iter().flat_map(move |step| {
                    step.summary.errors_by_kind.iter().map(move |(kind, n)| {
                        format!("| {} / {} / {} | {kind} | {n} |", w.name, a.name, step.name)
                    })
                })
            })
        })
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "\n## Errors\n\n| step | kind | count |\n| --- | --- | ---: |"
        );
        for line in errors {
            let _ = writeln!(out, "{line}");
        }
    }

    if let Some(charts) = charts {
        let _ = writeln!(out, "\n## Charts\n");
        let _ = writeln!(out, "![latency over time]({})\n", charts.latency);
        let _ = writeln!(out, "![throughput over time]({})\n", charts.throughput);
        let _ = writeln!(out, "![latency by percentile]({})", charts.percentiles);
    }
    out
}
