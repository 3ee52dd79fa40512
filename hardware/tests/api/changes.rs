//! `GET /hardware/changes`: the delta sync path.

use crate::helpers::InProcess;
use hardware::availability::Availability;
use hardware::profile::ProfileRow;

#[tokio::test]
async fn a_caller_with_a_version_gets_only_what_changed_then_304() {
    let app = InProcess::new().await;
    let (status, full) = app.get_json("/hardware/changes").await;
    assert_eq!(status, 200);
    assert_eq!(full["full"], true);
    let total = full["profiles"].as_array().unwrap().len();
    assert_eq!(full["total"], total);
    let version = full["version"].as_str().unwrap().to_owned();

    let unchanged = app
        .get(&format!("/hardware/changes?since={version}"), &[])
        .await;
    assert_eq!(unchanged.status(), 304);

    let snapshot = app.state.snapshot.load();
    let mut row: ProfileRow = (*snapshot.rows[5]).clone();
    row.availability = Some(Availability::High);
    row.seq = snapshot.version.seq + 1;
    app.state.snapshot.apply(vec![row.clone()]);

    let (status, delta) = app
        .get_json(&format!("/hardware/changes?since={version}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(delta["full"], false);
    assert_eq!(delta["total"], total);
    let profiles = delta["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0]["id"], row.id);
    assert_eq!(profiles[0]["availability"], "HIGH");
    assert_ne!(delta["version"], version.as_str());
}

#[tokio::test]
async fn a_version_from_another_database_gets_everything() {
    let app = InProcess::new().await;
    let (status, body) = app.get_json("/hardware/changes?since=0ther0db-3").await;
    assert_eq!(status, 200);
    assert_eq!(body["full"], true);
    assert_eq!(
        body["profiles"].as_array().unwrap().len(),
        body["total"].as_u64().unwrap() as usize
    );
}

#[tokio::test]
async fn a_malformed_since_or_unknown_parameter_is_a_400() {
    let app = InProcess::new().await;
    for uri in [
        "/hardware/changes?since=yesterday",
        "/hardware/changes?since=",
        "/hardware/changes?after=1",
    ] {
        let (status, body) = app.get_json(uri).await;
        assert_eq!(status, 400, "{uri}");
        assert_eq!(body["error"], "bad_request");
    }
}
