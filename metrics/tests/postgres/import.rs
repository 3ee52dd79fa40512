//! `metrics import-events` (the real binary, input on stdin) into PostgreSQL: every event
//! back through the store, each in the partition of its UTC day, the keys in the distinct-keys
//! table; a malformed line and an empty input as on SQLite; the password never printed.

use metrics::domain::event::MICROS_PER_DAY;
use metrics::storage::Store;
use metrics::storage::postgres::partition_name;
use test_support::postgres::PgServer;

use crate::events::partitions;
use crate::helpers::*;
use crate::{PASSWORD, database, url};

fn assert_no_password(output: &std::process::Output) {
    for text in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains(PASSWORD), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_events_spanning_three_days_land_in_their_day_partitions() {
    let server = PgServer::start();
    let (input, mut sent) = import_input(90);
    let output = import_events(&url(&server), &input, &["--batch", "20"]);
    assert_no_password(&output);
    assert_eq!(imported_counts(&output), (90, 3));

    let store = Store::open(&database(&server)).await.unwrap();
    sort_events(&mut sent);
    assert_eq!(stored_events(&store, "pimp.").await, sent);

    let days: Vec<String> = (0..3)
        .map(|day| partition_name(IMPORT_FIRST_DAY + day))
        .collect();
    assert_eq!(partitions(&server).await, days);
    let client = server.client().await;
    let rows = client
        .query(
            "SELECT tableoid::regclass::text, received_at FROM metrics_events",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 90);
    for row in rows {
        let (partition, received_at): (String, i64) = (row.get(0), row.get(1));
        assert_eq!(
            partition,
            partition_name(received_at.div_euclid(MICROS_PER_DAY))
        );
    }
    let keys: i64 = client
        .query_one("SELECT count(*) FROM metrics_event_keys", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(keys, 3);
    let hours: i64 = client
        .query_one("SELECT count(*) FROM metrics_hourly_stats", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(hours, 0, "events only: no hourly aggregates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_input_imports_nothing_and_a_malformed_line_stops_after_the_lines_before_it() {
    let server = PgServer::start();
    let output = import_events(&url(&server), "", &[]);
    assert_no_password(&output);
    assert_eq!(imported_counts(&output), (0, 0));

    let (good, sent) = import_input(30);
    let input = format!("{good}17\tpimp.c1.e0.req:fast\n");
    let output = import_events(&url(&server), &input, &["--batch", "8"]);
    assert_no_password(&output);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // 30 events and 3 empty lines before it.
    assert!(
        stderr.contains("line 34: message 'pimp.c1.e0.req:fast': value must be")
            && stderr.contains("30 events from the lines before it committed"),
        "{stderr}"
    );
    let store = Store::open(&database(&server)).await.unwrap();
    let mut sent = sent;
    sort_events(&mut sent);
    assert_eq!(stored_events(&store, "pimp.").await, sent);
}
