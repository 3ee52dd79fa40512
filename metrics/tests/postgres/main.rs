//! The metrics service on a real PostgreSQL server (started by each test with initdb/pg_ctl;
//! the tests fail when the binaries are missing: run scripts/ci/setup-postgres.sh).

mod events;
#[path = "../api/helpers.rs"]
#[allow(dead_code)] // shared with the `api` tests, which use more of it
mod helpers;
mod import;
mod store;

use std::time::{Duration, Instant};

use metrics::Role;
use metrics::domain::UtcHour;
use metrics::storage::{Database, StorageError, Store};
use test_support::postgres::PgServer;
use test_support::wait;

use helpers::*;

/// The test server trusts every local login, so this password is never checked; it is here to
/// prove that errors and logs do not show it.
const PASSWORD: &str = "s3cret-pw";

/// The server's URL with [`PASSWORD`] in it.
fn url(server: &PgServer) -> String {
    server
        .url()
        .replace("postgres@", &format!("postgres:{PASSWORD}@"))
}

fn database(server: &PgServer) -> Database {
    Database::parse(&url(server)).unwrap()
}

/// 2026-11-22 10:00 UTC: messages carry an explicit time (JSON `at`), so no test depends on
/// the clock or runs into an hour boundary.
const HOUR: UtcHour = UtcHour(498_706);

fn at(minute: usize) -> String {
    format!("2026-11-22T10:{:02}:00Z", minute % 60)
}

async fn post_values(app: &TestApp, key: &str, values: &[f64]) {
    for (index, chunk) in values.chunks(500).enumerate() {
        let batch: Vec<serde_json::Value> = chunk
            .iter()
            .map(|value| serde_json::json!({"key": key, "value": value, "at": at(index)}))
            .collect();
        let (status, body) = app
            .post(
                &serde_json::Value::Array(batch).to_string(),
                "application/json",
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
}

async fn stored_total(server: &PgServer) -> i64 {
    server
        .client()
        .await
        .query_one(
            "SELECT COALESCE(sum(count), 0)::bigint FROM metrics_hourly_stats",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_flushing_concurrently_into_one_database_lose_and_double_nothing() {
    assert_eq!(
        helpers::query_path("k", "min", HOUR),
        "/k/min/2026-11-22/10",
        "HOUR is not the hour the messages carry"
    );
    let server = PgServer::start();
    let db = database(&server);
    // Opened at the same moment: creating the schema must not race.
    let (first, second, query) = tokio::join!(
        spawn_app_on(Role::Collector, db.clone(), vec![]),
        spawn_app_on(Role::Collector, db.clone(), vec![]),
        spawn_app_on(Role::Query, db.clone(), vec![]),
    );
    let keys: Vec<String> = (0..20).map(|i| format!("api.k{i:02}")).collect();
    let mut sent: Vec<Vec<f64>> = vec![Vec::new(); keys.len()];
    for round in 0..6u64 {
        for (index, key) in keys.iter().enumerate() {
            let seed = round * 100 + index as u64 + 1;
            let mine = response_times(seed, 150);
            let theirs = response_times(seed + 10_000, 60 + index * 5);
            post_values(&first, key, &mine).await;
            post_values(&second, key, &theirs).await;
            sent[index].extend(mine.iter().chain(&theirs));
        }
        // Both collectors merge the same 20 rows at the same moment.
        tokio::join!(first.flush(), second.flush());
    }

    let total: usize = sent.iter().map(Vec::len).sum();
    assert_eq!(stored_total(&server).await, total as i64);
    for (key, values) in keys.iter().zip(&sent).step_by(4) {
        let (status, body) = query.query(key, "average", HOUR).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["count"].as_u64(), Some(values.len() as u64), "{key}");
        let truth = values.iter().sum::<f64>() / values.len() as f64;
        let average = body["value"].as_f64().unwrap();
        assert!(
            (average - truth).abs() < 1e-9 * truth,
            "{key}: {average} vs {truth}"
        );
        let (_, median) = query.query(key, "median", HOUR).await;
        assert_within_one_percent(median["value"].as_f64().unwrap(), lower_median(values), key);
        let (_, max) = query.query(key, "max", HOUR).await;
        assert_eq!(
            max["value"].as_f64(),
            values.iter().copied().reduce(f64::max)
        );
        let (_, min) = query.query(key, "min", HOUR).await;
        assert_eq!(
            min["value"].as_f64(),
            values.iter().copied().reduce(f64::min)
        );
    }
    let (status, _) = query.get("/readyz").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_down_at_flush_time_keeps_the_data_and_a_later_flush_stores_it_once() {
    let server = PgServer::start();
    let db = database(&server);
    let app = spawn_app_on(Role::All, db.clone(), vec![]).await;
    let before = response_times(1, 700);
    post_values(&app, "api.down", &before).await;
    app.flush().await;

    server.stop_fast();
    let during = response_times(2, 300);
    post_values(&app, "api.down", &during).await;
    let flusher = app.flusher.clone().unwrap();
    let err = flusher
        .flush_once()
        .await
        .expect_err("the database is down");
    let text = err.to_string();
    assert!(matches!(err, StorageError::Postgres { .. }), "{text}");
    assert!(text.contains("postgres://***@127.0.0.1:"), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
    assert_eq!(app.metric("metrics_flush_errors_total").await, 1);
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(!body.to_string().contains(PASSWORD), "{body}");

    let after = response_times(3, 200);
    post_values(&app, "api.down", &after).await;
    server.restart();
    // The service retries every interval; here the test is the interval. A pooled connection
    // the restart closed may fail one more attempt.
    wait::until(
        Duration::from_secs(15),
        Duration::from_millis(200),
        async || {
            flusher
                .flush_once()
                .await
                .map_err(|err| format!("flushes still fail: {err}"))
        },
    )
    .await;

    let all: Vec<f64> = before
        .iter()
        .chain(&during)
        .chain(&after)
        .copied()
        .collect();
    assert_eq!(stored_total(&server).await, all.len() as i64);
    let (status, body) = app.query("api.down", "median", HOUR).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"].as_u64(), Some(all.len() as u64));
    assert_within_one_percent(
        body["value"].as_f64().unwrap(),
        lower_median(&all),
        "median",
    );
    app.stop().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_database_at_start_is_an_error_naming_it_without_the_password() {
    let port = test_support::free_port();
    let url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres?connect_timeout=2");
    let started = Instant::now();
    let err = match Store::open(&Database::parse(&url).unwrap()).await {
        Ok(_) => panic!("nothing listens on port {port}"),
        Err(err) => err.to_string(),
    };
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert!(
        err.contains(&format!("postgres://***@127.0.0.1:{port}/postgres")),
        "{err}"
    );
    assert!(!err.contains(PASSWORD), "{err}");
}
