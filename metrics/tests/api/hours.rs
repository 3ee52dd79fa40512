use metrics::Role;
use metrics::domain::UtcHour;
use serde_json::json;
use time::macros::datetime;

use crate::helpers::*;

#[tokio::test]
async fn messages_either_side_of_an_hour_boundary_land_in_separate_hours() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let batch = json!([
        {"key": "k", "value": 1.0, "at": "2026-11-22T10:00:00Z"},
        {"key": "k", "value": 2.0, "at": "2026-11-22T10:59:59.999Z"},
        {"key": "k", "value": 50.0, "at": "2026-11-22T11:00:00Z"},
        {"key": "k", "value": 7.0, "at": "2026-11-22T23:59:59Z"},
        {"key": "k", "value": 9.0, "at": "2026-11-23T00:00:00Z"},
        // Another offset, same UTC hour as 10:xx.
        {"key": "k", "value": 3.0, "at": "2026-11-22T11:30:00+01:00"},
    ]);
    let (status, body) = app.post(&batch.to_string(), "application/json").await;
    assert_eq!((status, body), (200, json!({"accepted": 6})));
    app.flush().await;

    let at = |t| UtcHour::of_datetime(t);
    let (status, ten) = app
        .query("k", "max", at(datetime!(2026-11-22 10:00 UTC)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (ten["count"].as_u64(), ten["value"].as_f64()),
        (Some(3), Some(3.0))
    );
    assert_eq!(
        (ten["date"].as_str(), ten["hour"].as_u64()),
        (Some("2026-11-22"), Some(10))
    );
    let (_, eleven) = app
        .query("k", "min", at(datetime!(2026-11-22 11:00 UTC)))
        .await;
    assert_eq!(
        (eleven["count"].as_u64(), eleven["value"].as_f64()),
        (Some(1), Some(50.0))
    );
    let (_, late) = app
        .query("k", "average", at(datetime!(2026-11-22 23:00 UTC)))
        .await;
    assert_eq!(late["value"].as_f64(), Some(7.0));
    let (_, midnight) = app
        .query("k", "average", at(datetime!(2026-11-23 00:00 UTC)))
        .await;
    assert_eq!(midnight["value"].as_f64(), Some(9.0));
    let (status, _) = app
        .query("k", "average", at(datetime!(2026-11-22 12:00 UTC)))
        .await;
    assert_eq!(status, 404, "an hour without messages has no data");
}

#[tokio::test]
async fn a_later_flush_of_the_same_hour_merges_instead_of_replacing() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let hour = UtcHour::of_datetime(datetime!(2026-11-22 08:00 UTC));
    for value in [10.0, 30.0] {
        let batch = json!([{"key": "k", "value": value, "at": "2026-11-22T08:15:00Z"}]);
        assert_eq!(
            app.post(&batch.to_string(), "application/json").await.0,
            200
        );
        app.flush().await;
    }
    let (_, body) = app.query("k", "average", hour).await;
    assert_eq!(
        (body["count"].as_u64(), body["value"].as_f64()),
        (Some(2), Some(20.0))
    );
}
