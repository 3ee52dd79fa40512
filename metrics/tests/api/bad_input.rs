use std::time::Duration;

use metrics::Role;
use metrics::domain::UtcHour;
use serde_json::json;
use test_support::wait;

use crate::helpers::*;

#[tokio::test]
async fn bad_udp_messages_are_counted_by_reason_and_good_ones_in_the_same_datagram_kept() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let udp = app.udp.unwrap();
    send_udp(udp, b"ok:1\nno-colon\nbad/key:2\nok:-3\nok:NaN\nok:5\n");
    send_udp(udp, &[0xff, 0xfe, b':', b'1', b'\n', 0, 0]);
    send_udp(udp, &vec![b'x'; 60_000]); // one huge malformed line
    send_udp(udp, format!("{}:1", "k".repeat(129)).as_bytes());
    app.wait_for_udp_ingested(2).await;
    // Every datagram has been read once the datagram counter says so.
    wait::until(
        Duration::from_secs(10),
        Duration::from_millis(10),
        async || match app.metric("metrics_udp_datagrams_total").await {
            read if read >= 4 => Ok(()),
            read => Err(format!("{read} of 4 datagrams read")),
        },
    )
    .await;
    let dropped = |reason: &str| format!("metrics_messages_dropped_total{{reason=\"{reason}\"}}");
    assert_eq!(app.metric(&dropped("malformed")).await, 3);
    assert_eq!(app.metric(&dropped("bad_key")).await, 3);
    assert_eq!(app.metric(&dropped("bad_value")).await, 2);
    app.flush().await;
    let (status, body) = app.query("ok", "average", UtcHour::now()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["count"].as_u64(), body["value"].as_f64()),
        (Some(2), Some(3.0))
    );
}

#[tokio::test]
async fn an_http_batch_with_a_bad_message_is_refused_whole_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let (status, body) = app.post("a:1\na:oops\na:3", "text/plain").await;
    assert_eq!(status, 400);
    assert!(
        body["bad_messages"][0]
            .as_str()
            .unwrap()
            .starts_with("line 2:"),
        "{body}"
    );

    let batch =
        json!([{"key": "a", "value": 1}, {"key": "a b", "value": 2}, {"key": "a", "value": -1}]);
    let (status, body) = app.post(&batch.to_string(), "application/json").await;
    assert_eq!(status, 400);
    let shown = body["bad_messages"].to_string();
    assert!(
        shown.contains("message 1") && shown.contains("message 2"),
        "{body}"
    );

    let (status, body) = app.post("{not json", "application/json").await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("JSON"), "{body}");

    let bad_time = json!([{"key": "a", "value": 1, "at": "yesterday"}]);
    let (status, body) = app.post(&bad_time.to_string(), "application/json").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("yesterday"), "{body}");

    // Nothing of the refused batches was aggregated; a good batch still is.
    app.flush().await;
    assert_eq!(app.query("a", "max", UtcHour::now()).await.0, 404);
    assert_eq!(
        app.post("a:1\r\na:2\n", "text/plain").await,
        (200, json!({"accepted": 2}))
    );
    app.flush().await;
    assert_eq!(app.query("a", "max", UtcHour::now()).await.1["value"], 2.0);
}

#[tokio::test]
async fn bad_query_paths_get_a_400_naming_the_bad_part() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    for (path, named) in [
        ("/a%2Fb/median/2026-11-22/3", "bad key 'a/b'"),
        ("/k/p99/2026-11-22/3", "bad stat_type 'p99'"),
        ("/k/median/2026-02-30/3", "bad date '2026-02-30'"),
        ("/k/median/today/3", "bad date 'today'"),
        ("/k/median/2026-11-22/24", "bad hour '24'"),
        ("/k/median/2026-11-22/x", "bad hour 'x'"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(named),
            "{path}: {body}"
        );
    }
    let (status, body) = app.get("/k/median/2026-11-22/3").await;
    assert_eq!(status, 404);
    assert!(
        body["message"].as_str().unwrap().contains("no data"),
        "{body}"
    );
    let (status, body) = app.get("/k/median/2026-11-22").await;
    assert_eq!(status, 404);
    assert!(
        body["message"].as_str().unwrap().contains("/<key>/"),
        "{body}"
    );
}

#[tokio::test]
async fn other_methods_get_a_405_naming_the_method_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let client = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::GET, "/ingest"),
        (reqwest::Method::DELETE, "/k/median/2026-11-22/3"),
        (reqwest::Method::POST, "/healthz"),
    ] {
        let response = client
            .request(method.clone(), format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method} {path}");
        let body: serde_json::Value = response.json().await.unwrap();
        let error = body["message"].as_str().unwrap();
        assert!(
            error.starts_with(&format!("{method} is not accepted at {path}")),
            "{error}"
        );
    }
}

/// Found by schemathesis: two values near `f64::MAX` in one hour summed to infinity, the
/// stored sketch's sum became `null`, and every later flush of that database failed decoding
/// it. Values are now bounded, over UDP and HTTP alike.
#[tokio::test]
async fn values_too_large_to_sum_are_refused_and_flushing_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app(Role::All, &dir.path().join("m.db"), &[]).await;
    let huge = json!([{"key": "k", "value": 1.3e308}, {"key": "k", "value": 1.3e308}]);
    let (status, body) = app.post(&huge.to_string(), "application/json").await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.post("k:1.3e308\nk:1.3e308", "text/plain").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["bad_messages"][0].as_str().unwrap().contains("1e12"),
        "{body}"
    );
    let (status, _) = app.post("k:1e12\nk:1e12\nk:0", "text/plain").await;
    assert_eq!(status, 200);
    app.flush().await;
    app.flush().await;
}
