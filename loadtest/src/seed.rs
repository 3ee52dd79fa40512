//! `loadtest seed`: the events a workflow's writers would have sent before the run, so that
//! its readers find the history they read (a monthly partner reads 30 days of events).
//!
//! A writer is an actor whose steps POST a body (an app instance sending `key:value` lines to
//! `metrics`); each of its iterations is one body, each body line one event. The history of a
//! writer spans its workflow's `history` (`30m`, `30d`) up to the moment the line is written,
//! at the writer's planned rate (the multiplier included), one line per event on stdout:
//! `<received_at microseconds since the epoch>\t<body line>`, the input of
//! `metrics import-events`. Lines come out in time order, oldest first, and the history ends
//! at the wall-clock time each line is written, not at the start of the seeding: the pipe
//! holds the generator back to the loader's speed, so a long seeding leaves no gap before the
//! run that follows it.
//!
//! `--scope read` writes only the keys that a reader of this run reads (the `prefix` of a
//! `GET /events?prefix=` or the key of a `GET /events/{key}` that iterates during the run),
//! for histories too large for the machine (a month of workflow 2 at 10x is 432 million rows).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::io::Write;
use std::time::Duration;

use crate::plan::{Plan, PlannedActor, RunSettings, plan};
use crate::target::Target;
use crate::workflow::template::now_micros;
use crate::workflow::{Actor, Workflow};

/// Which writers' history to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SeedScope {
    /// Every writer of every workflow that has a `history`.
    All,
    /// Only the keys that this run's readers read.
    Read,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{0}")]
    Plan(#[from] crate::plan::PlanError),
    #[error(
        "--compress {0}: history is seeded in real time (readers ask for the last 10 minutes of the wall clock); seed with --compress 1"
    )]
    Compressed(f64),
    #[error(
        "no writer to seed: no workflow in the tree has a `history` and an actor that POSTs a body"
    )]
    NothingToSeed,
    #[error("writing the events: {0}")]
    Write(#[from] std::io::Error),
}

/// What was written, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    pub writers: u64,
    pub writers_skipped: u64,
    pub events: u64,
}

/// One writer's history: its body template rendered at each timestamp.
struct Writer<'a> {
    actor: &'a PlannedActor,
    step: usize,
    next: i64,
    period: i64,
    iteration: u64,
}

/// Plans `workflow` as `loadtest run` would and writes its writers' history to `out`.
pub fn seed(
    workflow: &Workflow,
    settings: &RunSettings,
    scope: SeedScope,
    out: &mut impl Write,
) -> Result<SeedSummary, SeedError> {
    if settings.compress != 1.0 {
        return Err(SeedError::Compressed(settings.compress));
    }
    let mut settings = settings.clone();
    for name in target_names(workflow) {
        settings.targets.entry(name.clone()).or_insert_with(|| {
            // Never contacted: planning only needs every target named.
            format!("{name}=http://127.0.0.1:9")
                .parse::<Target>()
                .expect("a loopback URL parses")
        });
    }
    let plan = plan(workflow, &settings)?;
    let start = now_micros();
    let read = (scope == SeedScope::Read).then(|| read_prefixes(&plan, start));
    let mut summary = SeedSummary::default();
    let mut writers = Vec::new();
    for actor in &plan.actors {
        let Some((step, history)) = writer_step(&plan, actor) else {
            continue;
        };
        if let Some(read) = &read
            && !writes_a_read_key(actor, step, read, start)
        {
            summary.writers_skipped += 1;
            continue;
        }
        let period = i64::try_from(actor.period.as_micros())
            .unwrap_or(i64::MAX)
            .max(1);
        let history = i64::try_from(history.as_micros()).unwrap_or(i64::MAX);
        // The writer's phase in its period, as in the run (`first` modulo the period).
        let phase = i64::try_from(actor.first.as_micros()).unwrap_or(0) % period;
        writers.push(Writer {
            actor,
            step,
            next: start - history + phase,
            period,
            iteration: 0,
        });
        summary.writers += 1;
    }
    if writers.is_empty() && summary.writers_skipped == 0 {
        return Err(SeedError::NothingToSeed);
    }
    summary.events = write_in_time_order(&mut writers, out)?;
    out.flush()?;
    Ok(summary)
}

/// Merges the writers' timelines oldest first, until each reaches the wall clock.
fn write_in_time_order(writers: &mut [Writer<'_>], out: &mut impl Write) -> std::io::Result<u64> {
    let mut heap: BinaryHeap<Reverse<(i64, usize)>> = writers
        .iter()
        .enumerate()
        .map(|(index, writer)| Reverse((writer.next, index)))
        .collect();
    let mut now = now_micros();
    let mut events = 0u64;
    let mut body = String::new();
    while let Some(Reverse((at, index))) = heap.pop() {
        if at >= now {
            // Re-read the clock: the loader may have held us back for minutes.
            now = now_micros();
            if at >= now {
                continue;
            }
        }
        let writer = &mut writers[index];
        body.clear();
        let actor = writer.actor;
        let step = &actor.program.steps[writer.step].step;
        let seed = actor.seed ^ writer.iteration.wrapping_mul(0x9E37_79B9) ^ 0x5EED;
        let values = actor.values(writer.iteration, seed, at);
        if let Some(template) = &step.body {
            template.render(&values, &mut body);
        }
        for line in body.lines().filter(|line| !line.is_empty()) {
            writeln!(out, "{at}\t{line}")?;
            events += 1;
        }
        writer.iteration += 1;
        writer.next = at.saturating_add(writer.period);
        heap.push(Reverse((writer.next, index)));
    }
    Ok(events)
}

/// The first step of `actor` that POSTs a body, if its workflow has a `history`.
fn writer_step(plan: &Plan, actor: &PlannedActor) -> Option<(usize, Duration)> {
    let (position, step) =
        actor.program.steps.iter().enumerate().find(|(_, step)| {
            step.step.method == hyper::Method::POST && step.step.body.is_some()
        })?;
    let workflow = plan.stats[step.stat].workflow;
    plan.workflows[workflow]
        .history
        .filter(|history| !history.is_zero())
        .map(|history| (position, history))
}

/// The key prefixes that readers read during the run: a `prefix=` of `/events?...`, or the
/// key of `/events/{key}` (a key is a prefix of itself).
fn read_prefixes(plan: &Plan, start: i64) -> Vec<String> {
    let mut prefixes = BTreeSet::new();
    for actor in &plan.actors {
        if actor.iterations(plan.run_time) == 0 {
            continue;
        }
        for step in &actor.program.steps {
            if step.step.method != hyper::Method::GET {
                continue;
            }
            let path = step
                .step
                .path
                .render_to_string(&actor.values(0, actor.seed, start));
            if let Some(prefix) = events_prefix(&path) {
                prefixes.insert(prefix);
            }
        }
    }
    prefixes.into_iter().collect()
}

/// `/events/KEY?...` -> KEY; `/events?prefix=P&...` -> P; anything else -> None.
fn events_prefix(path: &str) -> Option<String> {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    if let Some(key) = route.strip_prefix("/events/") {
        return (!key.is_empty()).then(|| key.to_owned());
    }
    if route != "/events" {
        return None;
    }
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("prefix="))
        .filter(|prefix| !prefix.is_empty())
        .map(str::to_owned)
}

/// Whether any line of the writer's body has a key (the text before `:`) that a reader reads.
fn writes_a_read_key(actor: &PlannedActor, step: usize, read: &[String], start: i64) -> bool {
    let Some(template) = &actor.program.steps[step].step.body else {
        return false;
    };
    let body = template.render_to_string(&actor.values(0, actor.seed, start));
    body.lines()
        .filter_map(|line| line.split_once(':').map(|(key, _)| key))
        .any(|key| read.iter().any(|prefix| key.starts_with(prefix.as_str())))
}

/// Every target name an actor of the tree uses.
fn target_names(workflow: &Workflow) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack: Vec<&Workflow> = vec![workflow];
    while let Some(workflow) = stack.pop() {
        names.extend(
            workflow
                .actors
                .iter()
                .map(|actor: &Actor| actor.target.clone()),
        );
        stack.extend(
            workflow
                .includes
                .iter()
                .map(|include| include.workflow.as_ref()),
        );
    }
    names
}

#[cfg(test)]
mod tests {
    use super::events_prefix;

    #[test]
    fn the_read_prefix_comes_from_the_key_path_or_the_prefix_parameter() {
        assert_eq!(
            events_prefix("/events/pa.c1.e2.req?from=x&limit=50").as_deref(),
            Some("pa.c1.e2.req")
        );
        assert_eq!(
            events_prefix("/events?from=x&prefix=pa.c1.&limit=50").as_deref(),
            Some("pa.c1.")
        );
        assert_eq!(events_prefix("/events?limit=50"), None);
        assert_eq!(events_prefix("/hardware/?page=1"), None);
        assert_eq!(events_prefix("/events/"), None);
    }
}
