//! The refresher's backlog: how many profiles are due (stale or never computed) and how old
//! the oldest value is, read from the snapshot.
//!
//! Compute is what hardware scales on, and the computation is a blocking sleep, so CPU never
//! shows the backlog. The count of due profiles does: `/metrics` exports it for Prometheus, and
//! [`publish_periodically`] writes it as a CloudWatch embedded metric format (EMF) line to
//! stdout, which the awslogs driver ships to CloudWatch Logs, where it becomes a metric without
//! any API call (and no AWS credentials) on the service's side. The Terraform target tracking
//! policy divides it by the running task count (infra/terraform/modules/autoscaling).

use std::io::Write;
use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::snapshot::{Snapshot, SnapshotHandle};

/// Profiles by freshness at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub fresh: u64,
    pub stale: u64,
    pub never_computed: u64,
    /// Age of the oldest computed value, in whole seconds (0 when nothing is computed yet).
    pub oldest_value_age_seconds: u64,
}

impl Backlog {
    /// Counts `snapshot`'s rows at `now`: a value older than `interval` is stale.
    pub fn of(snapshot: &Snapshot, interval: Duration, now: OffsetDateTime) -> Self {
        let stale_before = now - interval;
        let mut backlog = Backlog::default();
        let mut oldest: Option<OffsetDateTime> = None;
        for row in &snapshot.rows {
            match row.computed_at {
                None => backlog.never_computed += 1,
                Some(at) => {
                    if at < stale_before {
                        backlog.stale += 1;
                    } else {
                        backlog.fresh += 1;
                    }
                    oldest = Some(oldest.map_or(at, |o| o.min(at)));
                }
            }
        }
        backlog.oldest_value_age_seconds =
            oldest.map_or(0, |at| (now - at).whole_seconds().max(0) as u64);
        backlog
    }

    /// Profiles waiting for a computation: stale or never computed.
    pub fn due(&self) -> u64 {
        self.stale + self.never_computed
    }
}

/// Where and how often the backlog goes out as EMF.
#[derive(Debug, Clone)]
pub struct EmfConfig {
    /// CloudWatch namespace of the metrics, e.g. `hwdash/hardware`.
    pub namespace: String,
    /// Value of the `ServiceName` dimension.
    pub service_name: String,
    pub interval: Duration,
}

/// One EMF log line (the "Embedded metric format specification" of the CloudWatch User
/// Guide): a JSON object whose `_aws.CloudWatchMetrics` names the namespace, the dimension
/// sets and the metrics, with every dimension and metric value as a top-level member.
pub fn emf_line(config: &EmfConfig, backlog: &Backlog, at: OffsetDateTime) -> String {
    json!({
        "_aws": {
            "Timestamp": (at.unix_timestamp_nanos() / 1_000_000) as i64,
            "CloudWatchMetrics": [{
                "Namespace": config.namespace,
                "Dimensions": [["ServiceName"]],
                "Metrics": [
                    {"Name": "DueProfiles", "Unit": "Count"},
                    {"Name": "OldestValueAgeSeconds", "Unit": "Seconds"},
                ],
            }],
        },
        "ServiceName": config.service_name,
        "DueProfiles": backlog.due(),
        "OldestValueAgeSeconds": backlog.oldest_value_age_seconds,
        "message": "refresher backlog",
    })
    .to_string()
}

/// Writes one EMF line per `config.interval` to stdout until `stop` turns true.
pub async fn publish_periodically(
    config: EmfConfig,
    snapshot: SnapshotHandle,
    refresh_interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(config.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        let now = OffsetDateTime::now_utc();
        let backlog = Backlog::of(&snapshot.load(), refresh_interval, now);
        let line = emf_line(&config, &backlog, now);
        // One write of a whole line: the awslogs driver turns each line into one log event.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileRow;

    fn row(id: i64, computed_secs_ago: Option<i64>, now: OffsetDateTime) -> ProfileRow {
        ProfileRow {
            id,
            provider: "aws".into(),
            name: format!("n{id}"),
            availability: None,
            computed_at: computed_secs_ago.map(|s| now - time::Duration::seconds(s)),
            vcpus: 1,
            memory_gib: 1.0,
            gpus: 0,
            recent: Vec::new(),
            seq: id,
        }
    }

    #[test]
    fn counts_due_profiles_and_the_oldest_value() {
        let now = OffsetDateTime::now_utc();
        let rows = vec![
            row(1, Some(10), now),
            row(2, Some(90), now),
            row(3, None, now),
            row(4, Some(300), now),
        ];
        let snapshot = Snapshot::new("db".into(), rows);
        let backlog = Backlog::of(&snapshot, Duration::from_secs(60), now);
        assert_eq!(
            backlog,
            Backlog {
                fresh: 1,
                stale: 2,
                never_computed: 1,
                oldest_value_age_seconds: 300
            }
        );
        assert_eq!(backlog.due(), 3);
    }

    #[test]
    fn an_emf_line_declares_its_metrics_and_carries_their_values() {
        let config = EmfConfig {
            namespace: "stack/hardware".into(),
            service_name: "hardware".into(),
            interval: Duration::from_secs(60),
        };
        let backlog = Backlog {
            fresh: 1,
            stale: 5,
            never_computed: 2,
            oldest_value_age_seconds: 75,
        };
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let line: serde_json::Value =
            serde_json::from_str(&emf_line(&config, &backlog, at)).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], "stack/hardware");
        assert_eq!(directive["Dimensions"], json!([["ServiceName"]]));
        // Every declared dimension and metric must be a top-level member, or CloudWatch drops it.
        for name in ["ServiceName", "DueProfiles", "OldestValueAgeSeconds"] {
            assert!(line.get(name).is_some(), "{name} missing in {line}");
        }
        assert_eq!(line["DueProfiles"], 7);
        assert_eq!(line["OldestValueAgeSeconds"], 75);
    }
}
