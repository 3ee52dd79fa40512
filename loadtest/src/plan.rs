//! Turns a workflow tree and the run settings into a flat list of actors with real-time
//! schedules, and the table of statistics they report into.
//!
//! Time compression and the multiplier are applied here, once. Compression speeds workflow
//! time up: a schedule of `requests` per `every` becomes one iteration every
//! `every / requests / compress` of real time, and the run lasts `duration / compress`.
//! The multiplier M stands for growth, M times as many customers: every actor is planned
//! `ceil(M)` times, each copy with its own phase and identity (`{instance}` gets an `xN`
//! suffix), at `M / ceil(M)` of the file's rate. So a reader that retrieves once a week
//! still retrieves M times as often in total, even in a run much shorter than a week,
//! where a faster rate per actor would not add a single retrieval.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::target::Target;
use crate::threshold::Threshold;
use crate::workflow::template::Values;
use crate::workflow::{Actor, StartMode, Step, Workflow};

/// Default run length when neither the file nor `--duration` gives one (workflow time).
const DEFAULT_DURATION: Duration = Duration::from_secs(60);

/// More planned actors than this is a typo in `--multiplier` or a count, not a load test one
/// machine can drive; refusing it beats running out of memory while planning.
const MAX_ACTORS: usize = 2_000_000;

#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Workflow time runs this many times faster than real time.
    pub compress: f64,
    /// Growth factor: this many times as many actors (copies of each), the same total
    /// load as every actor running this many times as often.
    pub multiplier: f64,
    /// Run length in workflow time; `None` takes the workflow file's `duration`.
    pub duration: Option<Duration>,
    pub targets: BTreeMap<String, Target>,
    /// Extra thresholds for the whole run (`--sla`).
    pub extra_sla: Vec<Threshold>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "{location}: actor `{actor}` uses target `{target}`, but no --target {target}=URL was given (given: {given})"
    )]
    MissingTarget {
        location: Box<crate::workflow::Location>,
        actor: String,
        target: String,
        given: String,
    },
    #[error("{0}")]
    Setting(String),
}

/// What statistics are kept for: every request of a step, or a whole paginated retrieval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatKind {
    Request,
    /// From the scheduled time of the first page to the response of the last page.
    AllPages,
}

#[derive(Debug, Clone)]
pub struct StatEntry {
    pub workflow: usize,
    pub actor: String,
    pub step: String,
    pub kind: StatKind,
}

/// A workflow as it appears in the report: results of all its instances together.
#[derive(Debug, Clone)]
pub struct WorkflowEntry {
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<usize>,
    pub instances: u64,
    /// The workflow's `history`: how far back its writers' events are seeded.
    pub history: Option<Duration>,
}

/// A threshold with the statistics it is checked against.
#[derive(Debug, Clone)]
pub struct Check {
    /// `workflow1`, `workflow1 / customer`, `workflow1 / customer / list hardware`.
    pub scope: String,
    pub stats: Vec<usize>,
    pub threshold: Threshold,
}

/// The steps of one `[[actor]]` entry with their targets and statistics slots, shared by all
/// the actors (and instances) it stands for.
#[derive(Debug)]
pub struct Program {
    pub steps: Vec<ProgramStep>,
}

#[derive(Debug)]
pub struct ProgramStep {
    pub step: Step,
    pub target: Target,
    pub stat: usize,
    pub all_pages_stat: Option<usize>,
}

/// One simulated user or app instance.
#[derive(Debug, Clone)]
pub struct PlannedActor {
    pub program: Arc<Program>,
    pub actor_index: u64,
    pub group: u64,
    pub member: u64,
    pub instance: Arc<str>,
    /// Real time between iterations.
    pub period: Duration,
    /// Real time from the run start to the first iteration.
    pub first: Duration,
    /// Makes `{random:...}` differ between actors.
    pub seed: u64,
}

impl PlannedActor {
    /// The template values of this actor's first page in `iteration`.
    pub fn values(&self, iteration: u64, seed: u64, now_micros: i64) -> Values<'_> {
        Values {
            actor_index: self.actor_index,
            group: self.group,
            member: self.member,
            instance: &self.instance,
            iteration,
            page: 1,
            seed,
            now_micros,
        }
    }

    /// Iterations that start before `run_time`.
    pub fn iterations(&self, run_time: Duration) -> u64 {
        if self.first >= run_time {
            return 0;
        }
        let remaining = (run_time - self.first).as_nanos();
        let period = self.period.as_nanos().max(1);
        remaining.div_ceil(period) as u64
    }
}

#[derive(Debug)]
pub struct Plan {
    pub root: String,
    pub workflows: Vec<WorkflowEntry>,
    pub stats: Vec<StatEntry>,
    pub actors: Vec<PlannedActor>,
    pub checks: Vec<Check>,
    /// Real run time.
    pub run_time: Duration,
    /// The same in workflow time.
    pub workflow_time: Duration,
    pub compress: f64,
    pub multiplier: f64,
    pub targets: Vec<Target>,
}

impl Plan {
    pub fn total_iterations(&self) -> u64 {
        self.actors
            .iter()
            .map(|a| a.iterations(self.run_time))
            .sum()
    }

    /// Scheduled iterations per second of real time, over all actors.
    pub fn iteration_rate(&self) -> f64 {
        self.actors
            .iter()
            .map(|a| 1.0 / a.period.as_secs_f64().max(1e-9))
            .sum()
    }
}

pub fn plan(root: &Workflow, settings: &RunSettings) -> Result<Plan, PlanError> {
    for (name, value) in [
        ("--compress", settings.compress),
        ("--multiplier", settings.multiplier),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(PlanError::Setting(format!(
                "{name} must be a positive number, got {value}"
            )));
        }
    }
    let workflow_time = settings
        .duration
        .or(root.duration)
        .unwrap_or(DEFAULT_DURATION);
    if workflow_time.is_zero() {
        return Err(PlanError::Setting(
            "the run duration must be more than 0".to_owned(),
        ));
    }
    let run_time = workflow_time.div_f64(settings.compress);
    let mut builder = Builder {
        settings,
        run_time,
        workflows: Vec::new(),
        workflow_index: HashMap::new(),
        stats: Vec::new(),
        stat_index: HashMap::new(),
        programs: HashMap::new(),
        actors: Vec::new(),
        checks: Vec::new(),
        instance_counter: 0,
    };
    builder.expand(root, None, "0")?;
    builder.add_checks(root, settings);
    Ok(Plan {
        root: root.name.clone(),
        workflows: builder.workflows,
        stats: builder.stats,
        actors: builder.actors,
        checks: builder.checks,
        run_time,
        workflow_time,
        compress: settings.compress,
        multiplier: settings.multiplier,
        targets: settings.targets.values().cloned().collect(),
    })
}

struct Builder<'a> {
    settings: &'a RunSettings,
    run_time: Duration,
    workflows: Vec<WorkflowEntry>,
    workflow_index: HashMap<String, usize>,
    stats: Vec<StatEntry>,
    stat_index: HashMap<(usize, String, String, StatKind), usize>,
    /// (workflow index, actor position) -> program, shared by every instance.
    programs: HashMap<(usize, usize), Arc<Program>>,
    actors: Vec<PlannedActor>,
    checks: Vec<Check>,
    /// Counts instances as they are expanded, to offset their phases.
    instance_counter: u64,
}

impl Builder<'_> {
    fn expand(
        &mut self,
        workflow: &Workflow,
        parent: Option<usize>,
        instance: &str,
    ) -> Result<(), PlanError> {
        let index = match self.workflow_index.get(&workflow.name) {
            Some(&index) => {
                self.workflows[index].instances += 1;
                index
            }
            None => {
                self.workflows.push(WorkflowEntry {
                    name: workflow.name.clone(),
                    description: workflow.description.clone(),
                    parent,
                    instances: 1,
                    history: workflow.history,
                });
                let index = self.workflows.len() - 1;
                self.workflow_index.insert(workflow.name.clone(), index);
                index
            }
        };
        let copies = self.copies();
        for copy in 0..copies {
            let instance_ordinal = self.instance_counter;
            self.instance_counter += 1;
            // Copies made by the multiplier are new customers: their keys must differ.
            let label: Arc<str> = if copies == 1 {
                Arc::from(instance)
            } else {
                Arc::from(format!("{instance}x{copy}"))
            };
            for (position, actor) in workflow.actors.iter().enumerate() {
                if copy > 0 && !actor.grows_with_multiplier {
                    continue;
                }
                let program = self.program(index, position, actor)?;
                self.add_actors(actor, program, &label, instance_ordinal)?;
            }
        }
        for include in &workflow.includes {
            for copy in 0..include.instances {
                let label = if parent.is_none() {
                    copy.to_string()
                } else {
                    format!("{instance}.{copy}")
                };
                self.expand(&include.workflow, Some(index), &label)?;
            }
        }
        Ok(())
    }

    fn program(
        &mut self,
        workflow: usize,
        position: usize,
        actor: &Actor,
    ) -> Result<Arc<Program>, PlanError> {
        if let Some(program) = self.programs.get(&(workflow, position)) {
            return Ok(program.clone());
        }
        let target = self
            .settings
            .targets
            .get(&actor.target)
            .cloned()
            .ok_or_else(|| PlanError::MissingTarget {
                location: Box::new(actor.target_location.clone()),
                actor: actor.name.clone(),
                target: actor.target.clone(),
                given: if self.settings.targets.is_empty() {
                    "none".to_owned()
                } else {
                    self.settings
                        .targets
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            })?;
        let mut steps = Vec::new();
        for step in &actor.steps {
            let stat = self.stat(workflow, &actor.name, &step.name, StatKind::Request);
            let all_pages_stat = step
                .paginate
                .as_ref()
                .map(|_| self.stat(workflow, &actor.name, &step.name, StatKind::AllPages));
            steps.push(ProgramStep {
                step: step.clone(),
                target: target.clone(),
                stat,
                all_pages_stat,
            });
        }
        let program = Arc::new(Program { steps });
        self.programs.insert((workflow, position), program.clone());
        Ok(program)
    }

    /// How many copies of every actor the multiplier asks for.
    fn copies(&self) -> u64 {
        self.settings.multiplier.ceil().max(1.0) as u64
    }

    fn stat(&mut self, workflow: usize, actor: &str, step: &str, kind: StatKind) -> usize {
        let key = (workflow, actor.to_owned(), step.to_owned(), kind);
        if let Some(&index) = self.stat_index.get(&key) {
            return index;
        }
        self.stats.push(StatEntry {
            workflow,
            actor: actor.to_owned(),
            step: step.to_owned(),
            kind,
        });
        self.stat_index.insert(key, self.stats.len() - 1);
        self.stats.len() - 1
    }

    fn add_actors(
        &mut self,
        actor: &Actor,
        program: Arc<Program>,
        instance: &Arc<str>,
        instance_ordinal: u64,
    ) -> Result<(), PlanError> {
        // Each of the ceil(M) copies runs at M / ceil(M) of the file's rate: M in all. An
        // actor that does not grow is planned once, at the file's rate.
        let rate_share = if actor.grows_with_multiplier {
            self.settings.multiplier / self.copies() as f64
        } else {
            1.0
        };
        let period = actor
            .schedule
            .period()
            .div_f64(self.settings.compress * rate_share);
        // Where first iterations fall: over one whole period (the real rate, so a weekly
        // retrieval mostly falls outside a two-minute run), or within the run for probes.
        let window = match actor.start {
            StartMode::Spread => period,
            StartMode::InRun => period.min(self.run_time),
            StartMode::Together => Duration::ZERO,
        };
        let count = actor.count();
        if self.actors.len() + count as usize > MAX_ACTORS {
            return Err(PlanError::Setting(format!(
                "more than {MAX_ACTORS} actors to plan (actor `{}`, --multiplier {}): lower the multiplier or the counts",
                actor.name, self.settings.multiplier
            )));
        }
        // Instances of one workflow get different phases (golden-ratio offsets), so five
        // copies do not fire in lock-step.
        let instance_shift = (instance_ordinal as f64 * 0.618_033_988_75).fract();
        for (actor_index, (group, member)) in actor.members().enumerate() {
            let actor_index = actor_index as u64;
            let fraction = (actor_index as f64 / count as f64 + instance_shift).fract();
            let first = window.mul_f64(fraction);
            let seed = crate::workflow::template::splitmix64(
                (self.actors.len() as u64) ^ (instance_ordinal << 40),
            );
            self.actors.push(PlannedActor {
                program: program.clone(),
                actor_index,
                group,
                member,
                instance: instance.clone(),
                period,
                first,
                seed,
            });
        }
        Ok(())
    }

    /// Workflow thresholds cover every request below that workflow (its includes too);
    /// actor and step thresholds cover their own requests.
    fn add_checks(&mut self, root: &Workflow, settings: &RunSettings) {
        let requests_of = |stats: &[StatEntry], keep: &dyn Fn(&StatEntry) -> bool| -> Vec<usize> {
            stats
                .iter()
                .enumerate()
                .filter(|(_, s)| s.kind == StatKind::Request && keep(s))
                .map(|(i, _)| i)
                .collect()
        };
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![root];
        let mut checks = Vec::new();
        for threshold in &settings.extra_sla {
            checks.push(Check {
                scope: format!("{} (--sla)", root.name),
                stats: requests_of(&self.stats, &|_| true),
                threshold: threshold.clone(),
            });
        }
        while let Some(workflow) = stack.pop() {
            if !seen.insert(workflow.name.clone()) {
                continue;
            }
            let index = self.workflow_index[&workflow.name];
            let descendants = self.descendants(index);
            for threshold in &workflow.sla {
                checks.push(Check {
                    scope: workflow.name.clone(),
                    stats: requests_of(&self.stats, &|s| descendants.contains(&s.workflow)),
                    threshold: threshold.clone(),
                });
            }
            for actor in &workflow.actors {
                for threshold in &actor.sla {
                    checks.push(Check {
                        scope: format!("{} / {}", workflow.name, actor.name),
                        stats: requests_of(&self.stats, &|s| {
                            s.workflow == index && s.actor == actor.name
                        }),
                        threshold: threshold.clone(),
                    });
                }
                for step in &actor.steps {
                    for threshold in &step.sla {
                        checks.push(Check {
                            scope: format!("{} / {} / {}", workflow.name, actor.name, step.name),
                            stats: requests_of(&self.stats, &|s| {
                                s.workflow == index && s.actor == actor.name && s.step == step.name
                            }),
                            threshold: threshold.clone(),
                        });
                    }
                }
            }
            stack.extend(workflow.includes.iter().map(|i| i.workflow.as_ref()));
        }
        self.checks = checks;
    }

    fn descendants(&self, index: usize) -> Vec<usize> {
        let mut found = vec![index];
        let mut changed = true;
        while changed {
            changed = false;
            for (candidate, entry) in self.workflows.iter().enumerate() {
                if let Some(parent) = entry.parent
                    && found.contains(&parent)
                    && !found.contains(&candidate)
                {
                    found.push(candidate);
                    changed = true;
                }
            }
        }
        found
    }
}
