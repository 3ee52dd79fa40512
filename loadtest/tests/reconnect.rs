//! The connection pool against a server that closes connections: every request is sent and
//! answered, on new connections where the old ones were closed.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{
    CLOSE_EVERY, TestServer, options, run, settings, settings_for_base, step, write_workflow,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

/// A server that answers one request per connection, keep-alive and all, then closes the
/// connection without a word, as servers do with idle connections: the pool finds out when it
/// takes the connection for the next request and sends that request on a new one.
#[tokio::test]
async fn a_server_closing_idle_connections_silently_loses_no_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::<String>::new()));
    tokio::spawn({
        let connections = connections.clone();
        let answered = answered.clone();
        let heads = heads.clone();
        async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                connections.fetch_add(1, Ordering::SeqCst);
                let answered = answered.clone();
                let heads = heads.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    heads
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&request).into_owned());
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await;
                    answered.fetch_add(1, Ordering::SeqCst);
                    // Dropping the stream closes the connection.
                });
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    // One actor, 20 requests 10 ms apart: each finds its connection closed since the last.
    let path = write_workflow(
        dir.path(),
        "idle.toml",
        r#"
name = "idle"
duration = "200ms"

[[actor]]
name = "client"
target = "api"
count = 1
schedule = { requests = 100, every = "1s" }

[[actor.step]]
name = "get"
path = "/"
"#,
    );
    let report = run(&path, &settings_for_base(&base, 1.0, 1.0), &options(1)).await;

    let get = step(&report, "idle", "client", "get");
    assert_eq!(get.count, 20);
    assert_eq!(get.errors, 0, "{:?}", get.errors_by_kind);
    assert_eq!(answered.load(Ordering::SeqCst), 20);
    assert_eq!(connections.load(Ordering::SeqCst), 20);
    // Origin-form request line and the target's Host header, as HTTP/1.1 requires.
    let host = base.trim_start_matches("http://");
    for head in heads.lock().unwrap().iter() {
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with("get / http/1.1\r\n"), "{head}");
        assert!(head.contains(&format!("\r\nhost: {host}\r\n")), "{head}");
    }
}
