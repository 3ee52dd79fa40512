//! Kept events on a real PostgreSQL server: paged to the last page over HTTP, appended by two
//! collectors at once, and expired by dropping whole day partitions.

use metrics::Role;
use metrics::domain::event::{MICROS_PER_DAY, now_micros};
use metrics::domain::{Event, EventPageQuery, EventSelector};
use metrics::storage::Store;
use metrics::storage::postgres::{KEY_RANGE_SQL, partition_name};

use crate::database;
use crate::helpers::*;
use test_support::postgres::PgServer;

pub async fn partitions(server: &PgServer) -> Vec<String> {
    let rows = server
        .client()
        .await
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'metrics_events'::regclass ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_a_key_and_of_a_tenant_prefix_are_paged_to_the_last_page() {
    let server = PgServer::start();
    let app = spawn_app_on(Role::All, database(&server), vec![]).await;
    events_are_paged_to_the_last_page(&app).await;
    let today = now_micros().div_euclid(MICROS_PER_DAY);
    assert!(
        partitions(&server).await.contains(&partition_name(today)),
        "today's partition was created for the events"
    );
    app.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_days_are_dropped_as_whole_partitions_and_later_days_kept() {
    let server = PgServer::start();
    let db = database(&server);
    // Two stores, as two collectors: the second finds the partitions the first created.
    let (first, second) = tokio::join!(Store::open(&db), Store::open(&db));
    let (first, second) = (first.unwrap(), second.unwrap());
    let now = now_micros();
    let day = |ago: i64, value: f64| -> Vec<Event> {
        (0..100)
            .map(|i| Event {
                key: format!("p1.c1.e{}.req", i % 3).into(),
                value,
                received_at: now - ago * MICROS_PER_DAY + i,
            })
            .collect()
    };
    let (_, a) = first.append_events(day(40, 40.0)).await;
    let (_, b) = second.append_events(day(36, 36.0)).await;
    let (_, c) = first.append_events(day(1, 1.0)).await;
    let (_, d) = second.append_events(day(0, 0.0)).await;
    for result in [a, b, c, d] {
        result.unwrap();
    }
    assert_eq!(partitions(&server).await.len(), 4);

    let dropped = first
        .expire_events(now - 35 * MICROS_PER_DAY)
        .await
        .unwrap();
    assert_eq!(dropped, 2);
    let left = partitions(&server).await;
    let today = now.div_euclid(MICROS_PER_DAY);
    assert_eq!(
        left,
        vec![partition_name(today - 1), partition_name(today)],
        "the two expired days are gone whole"
    );
    // A store that had created an expired day recreates it if an event for it arrives late.
    let (_, late) = second.append_events(day(36, 36.5)).await;
    late.unwrap();

    let page = first
        .page_events(&EventPageQuery {
            selector: EventSelector::Prefix("p1.c1.".into()),
            from: now - 2 * MICROS_PER_DAY,
            to: i64::MAX,
            after: None,
            limit: 1000,
        })
        .await
        .unwrap();
    assert_eq!(page.events.len(), 200);
    assert!(page.events.iter().all(|e| e.value == 1.0 || e.value == 0.0));
    assert_eq!(page.next, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_at_any_depth_is_an_ordered_index_range_scan_without_a_sort() {
    let server = PgServer::start();
    let store = Store::open(&database(&server)).await.unwrap();
    let now = now_micros();
    // 3 days x 20,000 events over 50 keys, so the planner has a real choice.
    let events: Vec<Event> = (0..60_000)
        .map(|i: i64| Event {
            key: format!("p1.c{}.e0.req", i % 50).into(),
            value: 1.0,
            received_at: now - (i % 3) * MICROS_PER_DAY - i,
        })
        .collect();
    let (_, appended) = store.append_events(events).await;
    appended.unwrap();
    let client = server.client().await;
    client
        .batch_execute("ANALYZE metrics_events")
        .await
        .unwrap();
    client
        .batch_execute(&format!(
            "PREPARE page(text, bigint, bigint, bigint, bigint, bigint) AS {KEY_RANGE_SQL}"
        ))
        .await
        .unwrap();
    // From the start (every partition), and from a cursor in the middle day.
    let middle = now - MICROS_PER_DAY - 30_000;
    for (from, cursor) in [(0, 0), (0, middle)] {
        let rows = client
            .simple_query(&format!(
                "EXPLAIN EXECUTE page('p1.c7.e0.req', {}, {}, {cursor}, 0, 51)",
                from.max(cursor),
                i64::MAX
            ))
            .await
            .unwrap();
        let plan: Vec<String> = rows
            .iter()
            .filter_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                _ => None,
            })
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("Index Scan using"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
        assert!(
            !plan.contains("Sort"),
            "a page must not sort its key's events: {plan}"
        );
    }
}
