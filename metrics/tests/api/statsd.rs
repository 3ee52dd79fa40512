//! An off-the-shelf StatsD client (the `cadence` crate) sends to the UDP port: its timings,
//! histograms and distributions are aggregated, its counters, gauges and sets are dropped,
//! each counted under its own reason (issue 13: 430 of 430 lines of such a client were lost).

use std::net::UdpSocket;

use cadence::prelude::*;
use cadence::{StatsdClient, UdpMetricSink};
use metrics::Role;
use metrics::domain::UtcHour;

use crate::helpers::*;

#[tokio::test]
async fn a_statsd_clients_timings_are_kept_and_its_other_types_counted_as_dropped() {
    avoid_hour_boundary().await;
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = UdpMetricSink::from(app.udp.unwrap(), socket).unwrap();
    let client = StatsdClient::from_sink("myapp", sink);

    let timings: Vec<u64> = (1..=100).collect();
    for (index, value) in timings.iter().enumerate() {
        match index % 4 {
            0 => client.time("req", *value).map(drop).unwrap(),
            1 => client.histogram("req", *value).map(drop).unwrap(),
            2 => client.distribution("req", *value).map(drop).unwrap(),
            _ => client
                .time_with_tags("req", *value)
                .with_tag("partner", "p1")
                .with_tag_value("canary")
                .try_send()
                .map(drop)
                .unwrap(),
        }
    }
    for _ in 0..3 {
        client.count("hits", 1).map(drop).unwrap();
    }
    client.gauge("load", 5).map(drop).unwrap();
    client.set("users", 42).map(drop).unwrap();
    app.wait_for_udp_ingested(timings.len() as u64).await;
    for (reason, count) in [
        ("statsd_counter", 3),
        ("statsd_gauge", 1),
        ("statsd_set", 1),
    ] {
        assert_eq!(
            app.metric(&format!(
                "metrics_messages_dropped_total{{reason=\"{reason}\"}}"
            ))
            .await,
            count,
            "{reason}"
        );
    }
    assert_eq!(
        app.metric("metrics_messages_dropped_total{reason=\"bad_value\"}")
            .await,
        0
    );

    app.flush().await;
    let hour = UtcHour::now();
    let (status, body) = app.query("myapp.req", "max", hour).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], 100.0);
    assert_eq!(body["count"], 100);
    let (_, body) = app.query("myapp.req", "average", hour).await;
    assert_eq!(body["value"], 50.5);
    app.stop().await.unwrap();
}
