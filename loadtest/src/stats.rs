//! Results kept per worker without sharing: one `StepStats` per statistics slot, merged once
//! at the end. Histograms keep memory bounded however long a run is.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Longest latency told apart (100 s); longer ones are recorded as 100 s. Requests time out
/// well before that.
const HIGHEST_MICROS: u64 = 100_000_000;
/// Buckets in the latency-over-time and throughput-over-time series.
pub const TIMELINE_BUCKETS: usize = 200;

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A response arrived; `ok` says whether its status was expected.
    Response {
        status: u16,
        ok: bool,
    },
    Failed(FailureKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No connection could be made (refused, unreachable).
    Connect,
    /// No complete response within `--timeout`.
    Timeout,
    /// The connection broke while sending or reading.
    Io,
    /// The URL built from the template was not valid.
    BadUrl,
    /// A step still had a next page after `max_pages` pages: the retrieval is incomplete.
    PageLimit,
    /// A next link pointed back to a page this retrieval had already fetched.
    PageLoop,
    /// A body to search for the next link could not be decompressed.
    Decode,
}

impl FailureKind {
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Connect => "connect",
            FailureKind::Timeout => "timeout",
            FailureKind::Io => "io",
            FailureKind::BadUrl => "bad_url",
            FailureKind::PageLimit => "page_limit",
            FailureKind::PageLoop => "page_loop",
            FailureKind::Decode => "decode",
        }
    }
}

/// One finished request (or a finished multi-page retrieval).
#[derive(Debug, Clone, Copy)]
pub struct Record {
    pub stat: usize,
    /// From the time the request should have been sent.
    pub corrected: Duration,
    /// From the time it was sent.
    pub uncorrected: Duration,
    pub outcome: Outcome,
    /// When it finished, from the run start.
    pub finished: Duration,
    /// How long it waited for a free connection before it was sent (`None` for a whole
    /// retrieval, whose pages each have their own).
    pub waited: Option<Duration>,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Bucket {
    pub count: u64,
    pub errors: u64,
    pub corrected_sum_us: u64,
    pub corrected_max_us: u64,
    pub uncorrected_sum_us: u64,
    pub uncorrected_max_us: u64,
}

impl Bucket {
    fn merge(&mut self, other: &Bucket) {
        self.count += other.count;
        self.errors += other.errors;
        self.corrected_sum_us += other.corrected_sum_us;
        self.uncorrected_sum_us += other.uncorrected_sum_us;
        self.corrected_max_us = self.corrected_max_us.max(other.corrected_max_us);
        self.uncorrected_max_us = self.uncorrected_max_us.max(other.uncorrected_max_us);
    }
}

#[derive(Debug, Clone)]
pub struct StepStats {
    pub count: u64,
    pub errors: u64,
    /// `status 503`, `timeout`, `connect`, ... for failed requests only.
    pub errors_by_kind: BTreeMap<String, u64>,
    /// Every status code received, successful or not.
    pub statuses: BTreeMap<u16, u64>,
    pub corrected: Histogram<u32>,
    pub uncorrected: Histogram<u32>,
    /// Corrected latency of the successful responses only: what latency thresholds judge.
    pub successful_corrected: Histogram<u32>,
    pub timeline: Vec<Bucket>,
}

pub fn new_histogram() -> Histogram<u32> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("static histogram bounds are valid")
}

impl Default for StepStats {
    fn default() -> Self {
        Self {
            count: 0,
            errors: 0,
            errors_by_kind: BTreeMap::new(),
            statuses: BTreeMap::new(),
            corrected: new_histogram(),
            uncorrected: new_histogram(),
            successful_corrected: new_histogram(),
            timeline: vec![Bucket::default(); TIMELINE_BUCKETS],
        }
    }
}

impl StepStats {
    pub fn merge(&mut self, other: &StepStats) {
        self.count += other.count;
        self.errors += other.errors;
        for (kind, n) in &other.errors_by_kind {
            *self.errors_by_kind.entry(kind.clone()).or_default() += n;
        }
        for (status, n) in &other.statuses {
            *self.statuses.entry(*status).or_default() += n;
        }
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.corrected.add(&other.corrected);
        let _ = self.uncorrected.add(&other.uncorrected);
        let _ = self.successful_corrected.add(&other.successful_corrected);
        for (mine, theirs) in self.timeline.iter_mut().zip(&other.timeline) {
            mine.merge(theirs);
        }
    }
}

/// All statistics slots of one worker, and where the time before a send went.
#[derive(Debug)]
pub struct Stats {
    pub steps: Vec<StepStats>,
    /// From an iteration's scheduled time to when its worker started it: how far the
    /// generator itself fell behind its schedule.
    pub firing_lag: Histogram<u32>,
    /// From wanting to send a request to having a free connection for it: the
    /// `--connections` cap turning slow responses into queueing.
    pub connection_wait: Histogram<u32>,
    bucket_width: Duration,
}

impl Stats {
    pub fn new(slots: usize, run_time: Duration) -> Self {
        Self {
            steps: vec![StepStats::default(); slots],
            firing_lag: new_histogram(),
            connection_wait: new_histogram(),
            bucket_width: bucket_width(run_time),
        }
    }

    pub fn record_firing_lag(&mut self, lag: Duration) {
        self.firing_lag.saturating_record(micros(lag));
    }

    pub fn record(&mut self, record: &Record) {
        if let Some(waited) = record.waited {
            self.connection_wait.saturating_record(micros(waited));
        }
        let step = &mut self.steps[record.stat];
        let corrected = micros(record.corrected);
        let uncorrected = micros(record.uncorrected);
        step.count += 1;
        step.corrected.saturating_record(corrected);
        step.uncorrected.saturating_record(uncorrected);
        let failed = match record.outcome {
            Outcome::Response { status, ok } => {
                *step.statuses.entry(status).or_default() += 1;
                if !ok {
                    *step
                        .errors_by_kind
                        .entry(format!("status {status}"))
                        .or_default() += 1;
                }
                !ok
            }
            Outcome::Failed(kind) => {
                *step
                    .errors_by_kind
                    .entry(kind.label().to_owned())
                    .or_default() += 1;
                true
            }
        };
        if failed {
            step.errors += 1;
        } else {
            step.successful_corrected.saturating_record(corrected);
        }
        let index = ((record.finished.as_nanos() / self.bucket_width.as_nanos().max(1)) as usize)
            .min(TIMELINE_BUCKETS - 1);
        let bucket = &mut step.timeline[index];
        bucket.count += 1;
        bucket.errors += u64::from(failed);
        bucket.corrected_sum_us += corrected;
        bucket.uncorrected_sum_us += uncorrected;
        bucket.corrected_max_us = bucket.corrected_max_us.max(corrected);
        bucket.uncorrected_max_us = bucket.uncorrected_max_us.max(uncorrected);
    }

    pub fn merge(&mut self, other: &Stats) {
        for (mine, theirs) in self.steps.iter_mut().zip(&other.steps) {
            mine.merge(theirs);
        }
        // Same bounds on both sides, so adding cannot fail.
        let _ = self.firing_lag.add(&other.firing_lag);
        let _ = self.connection_wait.add(&other.connection_wait);
    }
}

/// Width of one timeline bucket for a run of `run_time`: the narrowest of 1, 2 or 5 times a
/// power of ten milliseconds that fits the run in [`TIMELINE_BUCKETS`]. A round width makes
/// a whole second a whole number of buckets (up to 1 s wide), so per-second rates can be
/// summed from them without a bucket straddling two seconds.
pub fn bucket_width(run_time: Duration) -> Duration {
    let needed_ms = run_time.as_secs_f64() * 1000.0 / TIMELINE_BUCKETS as f64;
    let mut decade = 1u64;
    loop {
        for step in [1, 2, 5] {
            let width = step * decade;
            if width as f64 >= needed_ms {
                return Duration::from_millis(width);
            }
        }
        decade *= 10;
    }
}

fn micros(duration: Duration) -> u64 {
    (duration.as_micros() as u64).max(1)
}

impl Record {
    /// Whether this request counts as an error.
    pub fn is_error(&self) -> bool {
        !matches!(self.outcome, Outcome::Response { ok: true, .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(stat: usize, ms: u64, outcome: Outcome) -> Record {
        Record {
            stat,
            corrected: Duration::from_millis(ms * 2),
            uncorrected: Duration::from_millis(ms),
            outcome,
            finished: Duration::from_millis(ms),
            waited: Some(Duration::from_millis(ms / 2)),
        }
    }

    #[test]
    fn bucket_widths_are_round_and_cover_the_run() {
        for (run_ms, width_ms) in [
            (100, 1),
            (1_000, 5),
            (1_500, 10),
            (30_000, 200),
            (60_000, 500),
            (200_000, 1_000),
            (3_600_000, 20_000),
        ] {
            let width = bucket_width(Duration::from_millis(run_ms));
            assert_eq!(width, Duration::from_millis(width_ms), "{run_ms} ms");
            assert!(width * TIMELINE_BUCKETS as u32 >= Duration::from_millis(run_ms));
        }
    }

    #[test]
    fn merged_workers_add_counts_errors_and_histograms() {
        let ok = Outcome::Response {
            status: 200,
            ok: true,
        };
        let mut first = Stats::new(2, Duration::from_secs(1));
        let mut second = Stats::new(2, Duration::from_secs(1));
        first.record(&record(0, 10, ok));
        second.record(&record(
            0,
            30,
            Outcome::Response {
                status: 503,
                ok: false,
            },
        ));
        second.record(&record(0, 20, Outcome::Failed(FailureKind::Timeout)));
        second.record(&record(1, 5, ok));
        first.merge(&second);
        let step = &first.steps[0];
        assert_eq!(step.count, 3);
        assert_eq!(step.errors, 2);
        assert_eq!(step.errors_by_kind["status 503"], 1);
        assert_eq!(step.errors_by_kind["timeout"], 1);
        assert_eq!(step.statuses[&200], 1);
        assert_eq!(step.uncorrected.max() / 1000, 30);
        assert_eq!(step.corrected.max() / 1000, 60);
        // Only the one successful response counts for latency thresholds.
        assert_eq!(step.successful_corrected.len(), 1);
        assert_eq!(step.successful_corrected.max() / 1000, 20);
        assert_eq!(first.steps[1].count, 1);
        let timeline_total: u64 = step.timeline.iter().map(|b| b.count).sum();
        assert_eq!(timeline_total, 3);
        // Connection waits of all four requests, from both workers; the longest was 15 ms.
        assert_eq!(first.connection_wait.len(), 4);
        assert_eq!(first.connection_wait.max() / 1000, 15);
    }
}
