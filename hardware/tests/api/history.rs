//! `GET /hardware/{provider}/{name}/history` and the `recent` trend every row carries.

use std::time::Duration;

use hardware::availability::Availability;
use hardware::profile::{ComputedAvailability, Profile};
use hardware::store::timestamp;

use crate::helpers::{InProcess, TestApp, fast};

fn c5() -> Profile {
    Profile {
        id: 1,
        provider: "Amazon".into(),
        name: "c5".into(),
        vcpus: 2,
        memory_gib: 4.0,
        gpus: 0,
    }
}

#[tokio::test]
async fn a_profiles_history_is_served_newest_first_up_to_the_limit() {
    let app = InProcess::new().await;
    let (status, body) = app.get_json("/hardware/Amazon/c5/history").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["history"],
        serde_json::json!([]),
        "nothing computed yet"
    );
    assert_eq!(body["limit"], 50);
    assert_eq!(
        (body["id"].as_i64(), body["name"].as_str()),
        (Some(1), Some("c5"))
    );

    let start = timestamp::now() - Duration::from_secs(600);
    for (n, availability) in [Availability::Low, Availability::High, Availability::Medium]
        .into_iter()
        .enumerate()
    {
        let result = ComputedAvailability {
            profile: c5(),
            availability,
            computed_at: start + Duration::from_secs(60 * n as u64),
        };
        app.state
            .store
            .save_results("test", &[result])
            .await
            .unwrap();
    }
    // Any case for the provider, as the list's filter; 2 of the 3, newest first.
    let (status, body) = app.get_json("/hardware/amazon/c5/history?limit=2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["provider"], "Amazon");
    assert_eq!(body["limit"], 2);
    let values: Vec<&str> = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["availability"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["MEDIUM", "HIGH"]);
    let newest = body["history"][0]["computed_at"].as_str().unwrap();
    assert_eq!(
        timestamp::parse(newest),
        Some(start + Duration::from_secs(120)),
        "{newest}"
    );
}

#[tokio::test]
async fn unknown_profiles_are_404_and_bad_limits_400_in_the_error_shape() {
    let app = InProcess::new().await;
    for uri in [
        "/hardware/Amazon/no-such/history",
        "/hardware/Nowhere/c5/history",
    ] {
        let (status, body) = app.get_json(uri).await;
        assert_eq!(status, 404, "{uri}");
        assert_eq!(body["error"], "not_found", "{uri}: {body}");
    }
    for query in [
        "limit=0",
        "limit=201",
        "limit=ten",
        "limit=1&limit=2",
        "since=1",
    ] {
        let uri = format!("/hardware/Amazon/c5/history?{query}");
        let (status, body) = app.get_json(&uri).await;
        assert_eq!(status, 400, "{uri}");
        assert_eq!(body["error"], "bad_request", "{uri}: {body}");
        assert!(body["message"].as_str().is_some(), "{uri}: {body}");
    }
    let (status, _) = app.get_json("/hardware/Amazon/c5/history?limit=200").await;
    assert_eq!(status, 200, "the cap itself is allowed");
}

#[tokio::test]
async fn every_row_carries_its_recent_results_in_the_list_and_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    // Recomputed every second, so c5 collects several results.
    let app = TestApp::spawn(
        dir.path().join("hw.db"),
        fast(),
        &["--refresh-interval", "1", "--compute-workers", "4"],
    )
    .await;
    let rows = app
        .wait_until(Duration::from_secs(20), |rows| {
            rows[0]["recent"].as_array().is_some_and(|r| r.len() >= 2)
        })
        .await;
    let c5 = &rows[0];
    assert_eq!(c5["recent"][0], c5["availability"], "newest first: {c5}");
    assert!(c5["recent"].as_array().unwrap().len() <= 12);
    let changes = app.get_json("/hardware/changes").await;
    assert!(changes["profiles"][0]["recent"].is_array(), "{changes}");
    app.stop().await;
}
