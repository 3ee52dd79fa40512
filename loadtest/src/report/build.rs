//! Builds the serialisable report from the plan and the merged statistics.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::plan::{Plan, StatKind};
use crate::runner::RunResult;
use crate::stats::{Bucket, StepStats, bucket_width};
use crate::threshold::Observed;

/// Percentiles listed in the distribution (and plotted), where the sample count supports
/// them: see [`MIN_SAMPLES_BEYOND`].
pub const DISTRIBUTION: [f64; 14] = [
    0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 99.999, 100.0,
];

/// A percentile p is listed only when at least this many samples lie beyond it
/// (`count * (1 - p/100) >= 10`): p99.99 needs 100,000 samples. From fewer it is just the
/// maximum under another name. The minimum (0) and maximum (100) are always listed.
pub const MIN_SAMPLES_BEYOND: f64 = 10.0;

/// Whether `count` samples support reporting percentile `p`.
pub fn percentile_supported(p: f64, count: u64) -> bool {
    p <= 0.0 || p >= 100.0 || count as f64 * (1.0 - p / 100.0) >= MIN_SAMPLES_BEYOND
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub workflow: String,
    pub generated_at: String,
    pub settings: RunFacts,
    pub scheduled_iterations: u64,
    pub passed: bool,
    pub checks: Vec<CheckResult>,
    /// Every request of the run together.
    pub total: Summary,
    pub workflows: Vec<WorkflowReport>,
    pub timeline_bucket_seconds: f64,
    /// Every request of the run together, over time.
    pub timeline: Vec<Bucket>,
    /// Where the time between a scheduled send and the actual send went.
    pub delays: Delays,
}

/// The corrected latency minus the uncorrected one, taken apart: when the corrected latency
/// is high and the uncorrected one is not, these say whether the generator fell behind its
/// own schedule (firing lag) or requests queued for one of `--connections` (connection
/// wait), which happens when the servers answer slower than requests arrive.
#[derive(Debug, Clone, Serialize)]
pub struct Delays {
    /// From an iteration's scheduled time to its start, one value per iteration.
    pub firing_lag: Latency,
    /// From wanting to send a request to having a free connection, one value per request.
    pub connection_wait: Latency,
}

/// How the run was set up and how it went, for the report header.
#[derive(Debug, Clone, Serialize)]
pub struct RunFacts {
    pub compress: f64,
    pub multiplier: f64,
    pub workflow_seconds: f64,
    pub run_seconds: f64,
    pub elapsed_seconds: f64,
    pub workers: usize,
    pub connections: usize,
    pub timeout_seconds: f64,
    pub targets: BTreeMap<String, String>,
    pub actors: usize,
    pub scheduled_rate_per_second: f64,
    pub abandoned_iterations: u64,
    pub interrupted: bool,
}

#[derive(Debug, Serialize)]
pub struct CheckResult {
    pub scope: String,
    pub threshold: String,
    pub actual: String,
    pub passed: bool,
    /// The limit of a latency threshold in milliseconds, drawn on the latency charts.
    pub latency_limit_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct WorkflowReport {
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<String>,
    pub instances: u64,
    pub summary: Summary,
    pub actors: Vec<ActorReport>,
}

#[derive(Debug, Serialize)]
pub struct ActorReport {
    pub name: String,
    pub summary: Summary,
    pub steps: Vec<StepReport>,
}

#[derive(Debug, Serialize)]
pub struct StepReport {
    pub name: String,
    pub kind: StatKind,
    pub summary: Summary,
    pub timeline: Vec<Bucket>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub count: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub statuses: BTreeMap<u16, u64>,
    /// Requests per second of real time over the scheduled run.
    pub throughput: f64,
    /// From the scheduled send time (corrected for coordinated omission).
    pub corrected: Latency,
    /// From the actual send time.
    pub uncorrected: Latency,
}

/// Latency figures in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub mean: f64,
    pub stddev: f64,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
    /// (percentile, milliseconds) pairs for the distribution chart, only the percentiles
    /// the sample count supports ([`percentile_supported`]).
    pub distribution: Vec<(f64, f64)>,
}

impl Latency {
    fn from_histogram(histogram: &Histogram<u32>) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        if histogram.is_empty() {
            return Latency {
                mean: 0.0,
                stddev: 0.0,
                min: 0.0,
                p50: 0.0,
                p90: 0.0,
                p99: 0.0,
                p99_9: 0.0,
                max: 0.0,
                distribution: Vec::new(),
            };
        }
        Latency {
            mean: histogram.mean() / 1000.0,
            stddev: histogram.stdev() / 1000.0,
            min: ms(histogram.min()),
            p50: ms(histogram.value_at_percentile(50.0)),
            p90: ms(histogram.value_at_percentile(90.0)),
            p99: ms(histogram.value_at_percentile(99.0)),
            p99_9: ms(histogram.value_at_percentile(99.9)),
            max: ms(histogram.max()),
            distribution: DISTRIBUTION
                .iter()
                .filter(|p| percentile_supported(**p, histogram.len()))
                .map(|p| (*p, ms(histogram.value_at_percentile(*p))))
                .collect(),
        }
    }
}

fn summarize(stats: &StepStats, run_time: Duration) -> Summary {
    Summary {
        count: stats.count,
        errors: stats.errors,
        errors_by_kind: stats.errors_by_kind.clone(),
        statuses: stats.statuses.clone(),
        throughput: stats.count as f64 / run_time.as_secs_f64().max(1e-9),
        corrected: Latency::from_histogram(&stats.corrected),
        uncorrected: Latency::from_histogram(&stats.uncorrected),
    }
}

fn merged<'a>(parts: impl Iterator<Item = &'a StepStats>) -> StepStats {
    let mut total = StepStats::default();
    for part in parts {
        total.merge(part);
    }
    total
}

pub fn build(plan: &Plan, result: &RunResult, facts: RunFacts) -> Report {
    let steps = &result.stats.steps;
    let is_request = |index: &usize| plan.stats[*index].kind == StatKind::Request;

    let checks: Vec<CheckResult> = plan
        .checks
        .iter()
        .map(|check| {
            let total = merged(check.stats.iter().map(|i| &steps[*i]));
            let observed = Observed {
                count: total.count,
                errors: total.errors,
                successful_latency: &total.successful_corrected,
            };
            let verdict = check.threshold.judge(observed);
            CheckResult {
                scope: check.scope.clone(),
                threshold: check.threshold.text.clone(),
                actual: check.threshold.describe(verdict, observed),
                passed: verdict.passed,
                latency_limit_ms: check.threshold.latency_limit_ms(),
            }
        })
        .collect();

    let workflows = plan
        .workflows
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let own: Vec<usize> = (0..plan.stats.len())
                .filter(|i| plan.stats[*i].workflow == index)
                .collect();
            let mut actor_names: Vec<&str> = Vec::new();
            for i in &own {
                if !actor_names.contains(&plan.stats[*i].actor.as_str()) {
                    actor_names.push(&plan.stats[*i].actor);
                }
            }
            let actors = actor_names
                .iter()
                .map(|name| {
                    let mine: Vec<usize> = own
                        .iter()
                        .copied()
                        .filter(|i| plan.stats[*i].actor == *name)
                        .collect();
                    ActorReport {
                        name: (*name).to_owned(),
                        summary: summarize(
                            &merged(mine.iter().filter(|i| is_request(i)).map(|i| &steps[*i])),
                            plan.run_time,
                        ),
                        steps: mine
                            .iter()
                            .map(|i| StepReport {
                                name: match plan.stats[*i].kind {
                                    StatKind::Request => plan.stats[*i].step.clone(),
                                    StatKind::AllPages => {
                                        format!("{} (all pages)", plan.stats[*i].step)
                                    }
                                },
                                kind: plan.stats[*i].kind,
                                summary: summarize(&steps[*i], plan.run_time),
                                timeline: steps[*i].timeline.clone(),
                            })
                            .collect(),
                    }
                })
                .collect();
            let descendants = descendants(plan, index);
            let all = merged(
                (0..plan.stats.len())
                    .filter(|i| is_request(i) && descendants.contains(&plan.stats[*i].workflow))
                    .map(|i| &steps[i]),
            );
            WorkflowReport {
                name: entry.name.clone(),
                description: entry.description.clone(),
                parent: entry.parent.map(|p| plan.workflows[p].name.clone()),
                instances: entry.instances,
                summary: summarize(&all, plan.run_time),
                actors,
            }
        })
        .collect();

    let total = merged((0..plan.stats.len()).filter(is_request).map(|i| &steps[i]));
    let generated_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Report {
        workflow: plan.root.clone(),
        generated_at,
        scheduled_iterations: plan.total_iterations(),
        passed: checks.iter().all(|c| c.passed),
        checks,
        total: summarize(&total, plan.run_time),
        workflows,
        timeline_bucket_seconds: bucket_width(plan.run_time).as_secs_f64(),
        timeline: total.timeline.clone(),
        delays: Delays {
            firing_lag: Latency::from_histogram(&result.stats.firing_lag),
            connection_wait: Latency::from_histogram(&result.stats.connection_wait),
        },
        settings: facts,
    }
}

fn descendants(plan: &Plan, index: usize) -> Vec<usize> {
    let mut found = vec![index];
    let mut grew = true;
    while grew {
        grew = false;
        for (candidate, entry) in plan.workflows.iter().enumerate() {
            if let Some(parent) = entry.parent
                && found.contains(&parent)
                && !found.contains(&candidate)
            {
                found.push(candidate);
                grew = true;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_percentiles_are_listed_only_when_enough_samples_lie_beyond_them() {
        let mut histogram = crate::stats::new_histogram();
        for value in 1..=150u64 {
            histogram.record(value * 100).unwrap();
        }
        let listed: Vec<f64> = Latency::from_histogram(&histogram)
            .distribution
            .iter()
            .map(|(p, _)| *p)
            .collect();
        // 150 samples: 15 beyond p90, only 7.5 beyond p95, so p95 and beyond are left
        // out; the max is kept.
        assert_eq!(listed, [0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 100.0]);
        assert!(percentile_supported(99.99, 100_000));
        assert!(!percentile_supported(99.99, 99_999));
    }
}
