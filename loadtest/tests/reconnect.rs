//! The connection pool against a server that closes connections: every request is sent and
//! answered, on new connections where the old ones were closed.

mod common;

use std::collections::BTreeSet;

use common::{CLOSE_EVERY, TestServer, options, run, settings, step, write_workflow};

#[tokio::test]
async fn a_server_closing_connections_loses_no_request() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    // 2 actors x 30 requests at 100/s each, over one connection slot per worker.
    let path = write_workflow(
        dir.path(),
        "close.toml",
        r#"
name = "close"
duration = "300ms"

[[actor]]
name = "client"
target = "api"
count = 2
schedule = { requests = 100, every = "1s" }

[[actor.step]]
name = "get"
path = "/close?actor={actor_index}&n={iteration}"
"#,
    );
    let report = run(&path, &settings(&server, 1.0, 1.0), &options(2)).await;

    let get = step(&report, "close", "client", "get");
    assert_eq!(report.scheduled_iterations, 60);
    assert_eq!(get.count, 60);
    assert_eq!(get.errors, 0, "{:?}", get.errors_by_kind);
    assert_eq!(get.statuses.get(&200), Some(&60));
    // Each request reached the server exactly once: none lost, none sent twice.
    let requests = server.requests();
    assert_eq!(requests.len(), 60);
    let distinct: BTreeSet<&String> = requests.iter().collect();
    assert_eq!(distinct.len(), 60);
    // The server closed a connection after every third response: 20 closes, each of a
    // different connection, so the pool opened at least 20.
    let peers: BTreeSet<_> = server
        .seen
        .lock()
        .unwrap()
        .close_peers
        .iter()
        .copied()
        .collect();
    assert!(
        peers.len() >= 60 / CLOSE_EVERY,
        "{} connections for 60 requests",
        peers.len()
    );
}
