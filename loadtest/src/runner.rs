//! The open-model scheduler.
//!
//! Actors are dealt round-robin to a few workers. Each worker keeps its actors' next
//! scheduled times in a binary heap (a simple timer wheel) and, whenever it wakes, starts
//! every iteration that is due, however many that is: if the worker was late (a busy CPU, a
//! 1 ms timer granularity), the missed iterations fire at once, in order, like tokio's
//! `MissedTickBehavior::Burst`, and each keeps its original scheduled time for the latency
//! correction. Nothing waits for earlier responses before firing.
//!
//! Each worker records into its own `Stats`; the run merges them at the end, so the hot path
//! takes no shared lock.
//!
//! Each worker runs on a thread of its own, in a single-threaded tokio runtime with its
//! connections' tasks: a response then wakes a task on the same thread, with no cross-thread
//! wake-up (a futex call and an eventfd write in the multi-threaded runtime) on the hot path.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::iteration::{WorkerContext, run_iteration};
use crate::plan::{Plan, PlannedActor};
use crate::pool::TargetPool;
use crate::stats::Stats;

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads, each with its own runtime; defaults to the number of CPUs.
    pub workers: usize,
    /// Connections (concurrent requests) across all workers.
    pub connections: usize,
    /// Bound on every request, connect to last body byte.
    pub timeout: Duration,
}

/// Counters the progress display reads while the run goes on.
#[derive(Debug, Default)]
pub struct LiveCounters {
    pub started_iterations: AtomicU64,
    pub requests: AtomicU64,
    pub errors: AtomicU64,
}

#[derive(Debug)]
pub struct RunResult {
    pub stats: Stats,
    /// Real time from start to the last response (or the end of the grace period).
    pub elapsed: Duration,
    /// Iterations still running when the grace period after the run ended; their requests
    /// are not in the statistics.
    pub abandoned: u64,
    /// The run was stopped early (Ctrl-C / SIGTERM).
    pub interrupted: bool,
}

/// Runs `plan` to its end (or until `stop` turns true) and returns the merged statistics.
pub async fn run(
    plan: &Plan,
    options: &RunOptions,
    counters: Arc<LiveCounters>,
    stop: watch::Receiver<bool>,
) -> RunResult {
    let workers = options.workers.max(1);
    let mut shares: Vec<Vec<PlannedActor>> = vec![Vec::new(); workers];
    for (index, actor) in plan.actors.iter().enumerate() {
        shares[index % workers].push(actor.clone());
    }
    let start = Instant::now();
    let connections_each = (options.connections / workers).max(1);
    let handles: Vec<_> = shares
        .into_iter()
        .map(|actors| {
            let context = WorkerContext {
                timeout: options.timeout,
                connections: plan
                    .targets
                    .iter()
                    .map(|target| {
                        (
                            target.name.clone(),
                            TargetPool::new(target, connections_each),
                        )
                    })
                    .collect(),
                start,
            };
            let worker = Worker {
                context,
                actors,
                run_time: plan.run_time,
                // Pagination chains can outlive one timeout; give them two before giving up.
                grace: options.timeout * 2,
                slots: plan.stats.len(),
                counters: counters.clone(),
                stop: stop.clone(),
            };
            spawn_on_own_thread(worker)
        })
        .collect();
    let mut stats = Stats::new(plan.stats.len(), plan.run_time);
    let mut abandoned = 0;
    let mut interrupted = false;
    for handle in handles {
        // A worker only ends by sending its outcome; a panic there is a bug worth surfacing.
        let outcome = handle.await.expect("load generator worker panicked");
        stats.merge(&outcome.stats);
        abandoned += outcome.abandoned;
        interrupted |= outcome.interrupted;
    }
    RunResult {
        stats,
        elapsed: start.elapsed(),
        abandoned,
        interrupted,
    }
}

/// Starts `worker` on a new thread with its own single-threaded runtime; its outcome arrives
/// on the returned channel (closed without a value if the worker panicked).
fn spawn_on_own_thread(worker: Worker) -> oneshot::Receiver<WorkerOutcome> {
    let (sender, receiver) = oneshot::channel();
    std::thread::Builder::new()
        .name("loadtest-worker".to_owned())
        .spawn(move || {
            // Without a runtime (out of memory or file descriptors) there is no run to do.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cannot start a load generator worker's runtime");
            let _ = sender.send(runtime.block_on(worker.run()));
        })
        .expect("cannot start a load generator worker thread");
    receiver
}

struct Worker {
    context: WorkerContext,
    actors: Vec<PlannedActor>,
    run_time: Duration,
    grace: Duration,
    slots: usize,
    counters: Arc<LiveCounters>,
    stop: watch::Receiver<bool>,
}

struct WorkerOutcome {
    stats: Stats,
    abandoned: u64,
    interrupted: bool,
}

impl Worker {
    async fn run(mut self) -> WorkerOutcome {
        let start = self.context.start;
        let end = start + self.run_time;
        let mut stats = Stats::new(self.slots, self.run_time);
        // (scheduled time, actor, iteration); Reverse makes it a min-heap.
        let mut due: BinaryHeap<Reverse<(Instant, usize, u64)>> = self
            .actors
            .iter()
            .enumerate()
            .filter(|(_, actor)| actor.first < self.run_time)
            .map(|(index, actor)| Reverse((start + actor.first, index, 0)))
            .collect();
        let mut in_flight = FuturesUnordered::new();
        let mut interrupted = false;
        let timer = tokio::time::sleep_until(end);
        tokio::pin!(timer);
        let mut timer_deadline = end;
        let mut drain_deadline = None;
        loop {
            let now = Instant::now();
            let mut fired = 0;
            while let Some(&Reverse((scheduled, index, iteration))) = due.peek() {
                if scheduled > now {
                    break;
                }
                due.pop();
                stats.record_firing_lag(now - scheduled);
                let actor = &self.actors[index];
                in_flight.push(run_iteration(&self.context, actor, iteration, scheduled));
                fired += 1;
                let next_iteration = iteration + 1;
                let next = start + actor.first + scaled(actor.period, next_iteration);
                if next < end {
                    due.push(Reverse((next, index, next_iteration)));
                }
            }
            if fired > 0 {
                self.counters
                    .started_iterations
                    .fetch_add(fired, Ordering::Relaxed);
            }
            let wake_at = match due.peek() {
                Some(Reverse((scheduled, _, _))) => *scheduled,
                None if in_flight.is_empty() => break,
                None => *drain_deadline.get_or_insert(end.max(now) + self.grace),
            };
            if wake_at != timer_deadline {
                timer.as_mut().reset(wake_at);
                timer_deadline = wake_at;
            }
            tokio::select! {
                biased;
                Some(records) = in_flight.next(), if !in_flight.is_empty() => {
                    let mut errors = 0;
                    for record in &records {
                        stats.record(record);
                        errors += u64::from(record.is_error());
                    }
                    self.counters.requests.fetch_add(records.len() as u64, Ordering::Relaxed);
                    if errors > 0 {
                        self.counters.errors.fetch_add(errors, Ordering::Relaxed);
                    }
                }
                () = &mut timer => {
                    if drain_deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        break;
                    }
                }
                changed = self.stop.changed(), if !interrupted => {
                    // A dropped sender means the run is over anyway; either way stop firing.
                    let _ = changed;
                    interrupted = true;
                    due.clear();
                }
            }
        }
        WorkerOutcome {
            stats,
            abandoned: in_flight.len() as u64,
            interrupted,
        }
    }
}

/// `period * n` without overflow or drift for large `n`.
fn scaled(period: Duration, n: u64) -> Duration {
    let nanos = period.as_nanos().saturating_mul(u128::from(n));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}
