//! `GET /events/{key}` and `GET /events?prefix=` over SQLite: paging to the last page, every
//! bad parameter a 400 naming it, and retention deleting old days.

use metrics::Role;
use metrics::domain::event::{MICROS_PER_DAY, now_micros};
use metrics::domain::{Event, EventPageQuery, EventSelector};
use metrics::storage::{Database, Store};

use crate::helpers::*;

#[tokio::test]
async fn events_of_a_key_and_of_a_tenant_prefix_are_paged_to_the_last_page() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    events_are_paged_to_the_last_page(&app).await;
    app.stop().await.unwrap();
}

#[tokio::test]
async fn every_bad_parameter_is_a_400_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    post_lines(&app, &["p1.c1.e1.req:1".into(), "p1.c1.e1.req:2".into()]).await;
    app.flush().await;
    let response = app
        .http
        .get(format!("{}/events/p1.c1.e1.req?limit=1", app.base))
        .send()
        .await
        .unwrap();
    let cursor = response.json::<serde_json::Value>().await.unwrap()["next"]
        .as_str()
        .unwrap()
        .to_owned();

    for (path, parameter) in [
        ("/events/p1.c1.e1.req?after=not-a-cursor", "after"),
        ("/events/p1.c1.e1.req?after=bm9wZQ", "after"),
        (&format!("/events/p1.c1.e2.req?after={cursor}"), "after"),
        (&format!("/events?prefix=p2.&after={cursor}"), "after"),
        ("/events/p1.c1.e1.req?limit=0", "limit"),
        ("/events/p1.c1.e1.req?limit=1001", "limit"),
        ("/events/p1.c1.e1.req?limit=ten", "limit"),
        ("/events/p1.c1.e1.req?from=yesterday", "from"),
        ("/events/p1.c1.e1.req?to=2026-13-01T00:00:00Z", "to"),
        (
            "/events/p1.c1.e1.req?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            "to",
        ),
        ("/events/p1.c1.e1.req?offset=100", "query"),
        ("/events/bad%20key", "key"),
        ("/events", "prefix"),
        ("/events?prefix=", "prefix"),
        ("/events?prefix=p1/c1", "prefix"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["parameter"], parameter, "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(parameter),
            "{path}: {body}"
        );
    }
    let (status, body) = app
        .get(&format!("/events/p1.c1.e1.req?after={cursor}"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(values(body["events"].as_array().unwrap()), [2.0]);
    app.stop().await.unwrap();
}

#[tokio::test]
async fn retention_deletes_the_events_of_expired_days_in_batches_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&Database::Sqlite(dir.path().join("m.db")))
        .await
        .unwrap();
    let now = now_micros();
    // More old rows than one delete batch (10,000), so the batching loop runs.
    let mut events: Vec<Event> = (0..25_000)
        .map(|i| Event {
            key: "p1.c1.e1.req".into(),
            value: 1.0,
            received_at: now - 40 * MICROS_PER_DAY + i,
        })
        .collect();
    events.extend((0..30).map(|i| Event {
        key: "p1.c1.e1.req".into(),
        value: 2.0,
        received_at: now - MICROS_PER_DAY + i,
    }));
    let (_, appended) = store.append_events(events).await;
    appended.unwrap();

    let deleted = store
        .expire_events(now - 35 * MICROS_PER_DAY)
        .await
        .unwrap();
    assert_eq!(deleted, 25_000);
    let page = store
        .page_events(&EventPageQuery {
            selector: EventSelector::Key("p1.c1.e1.req".into()),
            from: i64::MIN,
            to: i64::MAX,
            after: None,
            limit: 1000,
        })
        .await
        .unwrap();
    assert_eq!(page.events.len(), 30);
    assert!(page.events.iter().all(|event| event.value == 2.0));
    assert_eq!(page.next, None);
}
