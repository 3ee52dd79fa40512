//! Several collectors: sharing one database, or each with its own and the query merging them.

use metrics::Role;
use metrics::domain::UtcHour;

use crate::helpers::*;

async fn send_values(app: &TestApp, key: &str, values: &[f64]) {
    for chunk in values.chunks(50) {
        let lines: Vec<String> = chunk.iter().map(|value| format!("{key}:{value}")).collect();
        send_udp(app.udp.unwrap(), lines.join("\n").as_bytes());
    }
    app.wait_for_udp_ingested(values.len() as u64).await;
    app.flush().await;
}

/// Different sizes and spreads, so the average of the two averages is far from the truth.
fn two_sets() -> (Vec<f64>, Vec<f64>) {
    let fast = response_times(7, 3000).iter().map(|v| v / 100.0).collect();
    let slow = response_times(8, 500);
    (fast, slow)
}

async fn assert_merged(query: &TestApp, key: &str, hour: UtcHour, fast: &[f64], slow: &[f64]) {
    let all: Vec<f64> = fast.iter().chain(slow).copied().collect();
    let (status, body) = query.query(key, "average", hour).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"].as_u64(), Some(all.len() as u64));
    let average = body["value"].as_f64().unwrap();
    let true_average = all.iter().sum::<f64>() / all.len() as f64;
    assert!(
        (average - true_average).abs() < 1e-9 * true_average,
        "{average} vs {true_average}"
    );
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let average_of_averages = (mean(fast) + mean(slow)) / 2.0;
    assert!(
        (average - average_of_averages).abs() > 1.0,
        "test sets do not tell them apart"
    );

    let (_, median) = query.query(key, "median", hour).await;
    assert_within_one_percent(
        median["value"].as_f64().unwrap(),
        lower_median(&all),
        "median",
    );
    let (_, max) = query.query(key, "max", hour).await;
    assert_eq!(max["value"].as_f64(), all.iter().copied().reduce(f64::max));
    let (_, min) = query.query(key, "min", hour).await;
    assert_eq!(min["value"].as_f64(), all.iter().copied().reduce(f64::min));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_sharing_a_database_merge_sketches_not_averages() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("shared.db");
    let first = spawn_app(Role::Collector, &database, &[]).await;
    let second = spawn_app(Role::Collector, &database, &[]).await;
    let query = spawn_app(Role::Query, &database, &[]).await;
    avoid_hour_boundary().await;
    let hour = UtcHour::now();
    let (fast, slow) = two_sets();
    send_values(&first, "shared-key", &fast).await;
    send_values(&second, "shared-key", &slow).await;
    assert_merged(&query, "shared-key", hour, &fast, &slow).await;
    assert_eq!(
        UtcHour::now(),
        hour,
        "the test outlasted the 20 s margin before the hour boundary"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_service_merges_collectors_with_separate_databases() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one.db"), dir.path().join("two.db"));
    let first = spawn_app(Role::Collector, &one, &[]).await;
    let second = spawn_app(Role::Collector, &two, &[]).await;
    let query = spawn_app(Role::Query, &one, std::slice::from_ref(&two)).await;
    avoid_hour_boundary().await;
    let hour = UtcHour::now();
    let (fast, slow) = two_sets();
    send_values(&first, "split-key", &fast).await;
    send_values(&second, "split-key", &slow).await;
    assert_merged(&query, "split-key", hour, &fast, &slow).await;
}

#[tokio::test]
async fn each_role_serves_only_its_part() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("m.db");
    let collector = spawn_app(Role::Collector, &database, &[]).await;
    let query = spawn_app(Role::Query, &database, &[]).await;
    assert!(query.udp.is_none() && query.flusher.is_none());
    assert_eq!(query.post("a:1", "text/plain").await.0, 404);
    assert_eq!(collector.get("/a/max/2026-11-22/1").await.0, 404);
    for app in [&collector, &query] {
        assert_eq!(app.get("/healthz").await.0, 200);
        assert_eq!(app.get("/readyz").await.0, 200);
    }
}

/// Breaks a source as a lost disk or a bad restore would: its table is gone, so reads fail.
fn break_source(database: &std::path::Path) {
    rusqlite::Connection::open(database)
        .unwrap()
        .execute_batch("DROP TABLE hourly_stats")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_source_gives_a_partial_answer_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one.db"), dir.path().join("two.db"));
    let collector = spawn_app(Role::Collector, &one, &[]).await;
    let query = spawn_app(Role::Query, &one, std::slice::from_ref(&two)).await;
    avoid_hour_boundary().await;
    let hour = UtcHour::now();
    let values = response_times(9, 400);
    send_values(&collector, "partial-key", &values).await;
    let (status, complete) = query.query("partial-key", "max", hour).await;
    assert_eq!(status, 200, "{complete}");
    assert_eq!(complete["partial"], false);
    assert!(complete.get("missing_sources").is_none(), "{complete}");

    break_source(&two);
    let response = query
        .http
        .get(format!(
            "{}{}",
            query.base,
            query_path("partial-key", "max", hour)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "answered from one.db");
    let named = two.display().to_string();
    assert_eq!(
        response
            .headers()
            .get("x-metrics-missing-sources")
            .and_then(|v| v.to_str().ok()),
        Some(named.as_str())
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["partial"], true);
    assert_eq!(body["missing_sources"], serde_json::json!([named]));
    assert_eq!(body["count"].as_u64(), Some(values.len() as u64));
    assert_eq!(
        body["value"].as_f64(),
        values.iter().copied().reduce(f64::max)
    );
    // Still ready: one source answers.
    assert_eq!(query.get("/readyz").await.0, 200);

    // No data in the sources that answered: the missing one may hold it, so not a 404.
    let (status, body) = query.query("other-key", "max", hour).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["message"].as_str().unwrap().contains(&named), "{body}");
    assert_eq!(body["partial"], true);

    // Every source failing is a plain 503, and the process is not ready.
    break_source(&one);
    let (status, body) = query.query("partial-key", "max", hour).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "unavailable");
    assert_eq!(body["message"], "database unavailable");
    assert_eq!(query.get("/readyz").await.0, 503);
}
