//! The metrics client's counters on `/metrics`: a response time the client dropped (queue full,
//! no collector took the datagram) is otherwise invisible, since it never reaches a collector.

use std::sync::Mutex;

use metrics_client::{ClientStats, MetricsClient};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, Opts};

/// Reads [`MetricsClient::stats`] at every scrape and exports it as four counters.
pub(crate) struct ClientCounters {
    client: MetricsClient,
    queued: IntCounter,
    sent: IntCounter,
    dropped: IntCounter,
    send_errors: IntCounter,
    /// What the counters already hold; held while they catch up so two concurrent scrapes
    /// do not both add the same difference.
    exported: Mutex<ClientStats>,
}

impl ClientCounters {
    pub(crate) fn new(client: MetricsClient) -> prometheus::Result<Self> {
        let counter = |name: &str, help: &str| IntCounter::with_opts(Opts::new(name, help));
        Ok(Self {
            client,
            queued: counter(
                "metrics_client_queued_total",
                "Response times put on the queue to the metrics collectors.",
            )?,
            sent: counter(
                "metrics_client_sent_total",
                "Response times in datagrams the OS accepted (UDP: not proof of arrival).",
            )?,
            dropped: counter(
                "metrics_client_dropped_total",
                "Response times dropped: queue full, not a finite non-negative number, or no \
                 collector took the datagram.",
            )?,
            send_errors: counter(
                "metrics_client_send_errors_total",
                "Failed datagram sends; each fails over to the next collector.",
            )?,
            exported: Mutex::new(ClientStats::default()),
        })
    }

    fn counters(&self) -> [&IntCounter; 4] {
        [&self.queued, &self.sent, &self.dropped, &self.send_errors]
    }

    /// Adds what the client counted since the last scrape (its counters only grow).
    fn catch_up(&self) {
        let now = self.client.stats();
        let mut exported = self.exported.lock().unwrap_or_else(|e| e.into_inner());
        let pairs = [
            (&self.queued, now.queued, exported.queued),
            (&self.sent, now.sent, exported.sent),
            (&self.dropped, now.dropped, exported.dropped),
            (&self.send_errors, now.send_errors, exported.send_errors),
        ];
        for (counter, now, before) in pairs {
            counter.inc_by(now.saturating_sub(before));
        }
        *exported = now;
    }
}

impl Collector for ClientCounters {
    fn desc(&self) -> Vec<&Desc> {
        self.counters()
            .into_iter()
            .flat_map(|counter| counter.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.catch_up();
        self.counters()
            .into_iter()
            .flat_map(|counter| counter.collect())
            .collect()
    }
}
