//! Draining against real sockets on loopback: after a SIGTERM-style stop the listener keeps
//! serving for the drain delay while `/readyz` answers 503 and kept-alive clients are told
//! `Connection: close`; then it stops accepting, finishes the request in flight, and never
//! waits longer than its shutdown timeout.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use prometheus::Registry;
use service_kit::{ListenerArgs, ListenerMetrics, Stop, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

struct Running {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<Stop>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(drain_delay: Duration, shutdown_timeout: Duration, slow: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = ListenerMetrics::register(&Registry::new()).unwrap();
        let router = Router::new()
            .route("/", get(|| async { "ok" }))
            .route("/readyz", get(|| async { "ready" }))
            .route(
                "/slow",
                get(move || async move {
                    tokio::time::sleep(slow).await;
                    "late"
                }),
            );
        let args = ListenerArgs {
            drain_delay,
            shutdown_timeout,
            ..ListenerArgs::default()
        };
        let (stop, stopped) = oneshot::channel::<Stop>();
        let task = tokio::spawn(async move {
            serve(listener, router, &args, metrics, async {
                stopped.await.unwrap_or(Stop::Now)
            })
            .await
        });
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    fn stop(&mut self, how: Stop) {
        let _ = self.stop.take().unwrap().send(how);
    }
}

/// Sends one HTTP/1.1 request on `stream` and reads its whole response (bodies here are short
/// and sent with content-length).
async fn request(stream: &mut TcpStream, path: &str) -> String {
    let head = format!("GET {path} HTTP/1.1\r\nhost: t\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let mut text = String::new();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .expect("a response within 10 s")
            .unwrap();
        assert!(n > 0, "connection closed before a response; got {text:?}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .expect("content-length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

async fn closes(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

fn says_close(response: &str) -> bool {
    response
        .to_ascii_lowercase()
        .contains("\r\nconnection: close\r\n")
}

#[tokio::test]
async fn a_drain_says_not_ready_and_close_before_it_stops_accepting_and_finishes_in_flight() {
    let mut server = Running::start(
        Duration::from_millis(800),
        Duration::from_secs(5),
        Duration::from_millis(1_500),
    )
    .await;
    let mut kept_alive = TcpStream::connect(server.addr).await.unwrap();
    let before = request(&mut kept_alive, "/").await;
    assert!(before.starts_with("HTTP/1.1 200"), "{before}");
    assert!(!says_close(&before), "no close before the drain: {before}");

    let addr = server.addr;
    let in_flight = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        request(&mut stream, "/slow").await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop(Stop::Drain);
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut probe = TcpStream::connect(server.addr)
        .await
        .expect("new connections are still accepted during the drain");
    let readiness = request(&mut probe, "/readyz").await;
    assert!(readiness.starts_with("HTTP/1.1 503"), "{readiness}");
    assert!(readiness.contains("draining"), "{readiness}");

    let during = request(&mut kept_alive, "/").await;
    assert!(during.starts_with("HTTP/1.1 200"), "still served: {during}");
    assert!(
        says_close(&during),
        "kept-alive clients told to close: {during}"
    );
    assert!(
        closes(&mut kept_alive).await,
        "the connection closes after that response"
    );

    let slow = in_flight.await.unwrap();
    assert!(
        slow.starts_with("HTTP/1.1 200") && slow.ends_with("late"),
        "{slow}"
    );
    tokio::time::timeout(Duration::from_secs(5), server.task)
        .await
        .expect("serve returns once the drain and the in-flight request are done")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing accepts after the drain"
    );
}

#[tokio::test]
async fn a_request_longer_than_the_shutdown_timeout_does_not_hold_the_exit() {
    let mut server = Running::start(
        Duration::ZERO,
        Duration::from_millis(300),
        Duration::from_secs(30),
    )
    .await;
    let addr = server.addr;
    let _stuck = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        request(&mut stream, "/slow").await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop(Stop::Drain);
    tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("serve returns at the shutdown timeout, not when the 30 s request ends")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn an_immediate_stop_skips_the_drain() {
    let mut server = Running::start(
        Duration::from_secs(60),
        Duration::from_secs(5),
        Duration::ZERO,
    )
    .await;
    let mut kept_alive = TcpStream::connect(server.addr).await.unwrap();
    assert!(
        request(&mut kept_alive, "/")
            .await
            .starts_with("HTTP/1.1 200")
    );
    server.stop(Stop::Now);
    assert!(
        closes(&mut kept_alive).await,
        "an idle kept-alive connection is closed at once"
    );
    tokio::time::timeout(Duration::from_secs(10), server.task)
        .await
        .expect("Stop::Now does not wait for the 60 s drain delay")
        .unwrap()
        .unwrap();
}
