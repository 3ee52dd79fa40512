//! The listener against real sockets on loopback: slow clients are cut off, idle keep-alive
//! connections are closed after their own (longer) timeout, at the cap a slow connection makes
//! room for a new one and a cap of busy connections refuses with a 503, and normal clients keep
//! being served while slow ones hold connections.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use prometheus::Registry;
use service_kit::{ListenerArgs, ListenerMetrics, serve};
use test_support::wait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

struct Running {
    addr: std::net::SocketAddr,
    registry: Registry,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(args: ListenerArgs) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let registry = Registry::new();
        let metrics = ListenerMetrics::register(&registry).unwrap();
        let router = Router::new().route("/", get(|| async { "ok" })).route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "late"
            }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(listener, router, &args, metrics, async {
                let _ = stopped.await;
            })
            .await
        });
        Self {
            addr,
            registry,
            stop: Some(stop),
            task,
        }
    }

    fn counter(&self, name: &str) -> f64 {
        self.registry
            .gather()
            .iter()
            .find(|family| family.name() == name)
            .map(|family| {
                let metric = &family.get_metric()[0];
                if family.get_field_type() == prometheus::proto::MetricType::COUNTER {
                    metric.get_counter().get_value()
                } else {
                    metric.get_gauge().get_value()
                }
            })
            .unwrap_or_else(|| panic!("no metric {name}"))
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("serve returns after shutdown")
            .unwrap()
            .unwrap();
    }
}

fn args(header_ms: u64, idle_ms: u64, cap: Option<u32>) -> ListenerArgs {
    ListenerArgs {
        header_read_timeout: Duration::from_millis(header_ms),
        idle_timeout: Duration::from_millis(idle_ms),
        max_connections: cap,
        ..ListenerArgs::default()
    }
}

/// Reads until the peer closes; returns what arrived and how long it took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut text = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut text)).await;
    (
        String::from_utf8_lossy(&text).into_owned(),
        started.elapsed(),
    )
}

async fn get_ok(addr: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = b"GET / HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let (text, _) = read_until_closed(&mut stream, Duration::from_secs(1)).await;
    text.starts_with("HTTP/1.1 200") && text.ends_with("ok")
}

#[tokio::test]
async fn half_a_request_line_is_cut_off_at_the_header_read_timeout() {
    let server = Running::start(args(300, 5_000, None)).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HT").await.unwrap();
    let (text, waited) = read_until_closed(&mut slow, Duration::from_secs(3)).await;
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "closed after {waited:?}, expected about 300 ms"
    );
    assert!(
        !text.starts_with("HTTP/1.1 200"),
        "no response to half a request: {text}"
    );
    assert_eq!(server.counter("http_header_read_timeouts_total"), 1.0);
    server.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_outlives_the_header_timeout_and_closes_at_the_idle_timeout() {
    let server = Running::start(args(200, 1_000, None)).await;
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = client.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // Idle for longer than the header timeout: the connection must still serve.
    tokio::time::sleep(Duration::from_millis(500)).await;
    client
        .write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let n = client.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "second request on the same connection"
    );
    let (_, waited) = read_until_closed(&mut client, Duration::from_secs(4)).await;
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "idle connection closed after {waited:?}, expected about 1 s"
    );
    assert_eq!(server.counter("http_idle_timeouts_total"), 1.0);
    assert_eq!(server.counter("http_header_read_timeouts_total"), 0.0);
    server.stop().await;
}

#[tokio::test]
async fn at_the_cap_the_oldest_slow_connection_makes_room_for_a_new_one() {
    let server = Running::start(args(5_000, 5_000, Some(4))).await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut held = TcpStream::connect(server.addr).await.unwrap();
        held.write_all(b"GET").await.unwrap();
        holders.push(held);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(get_ok(server.addr).await, "the newcomer is served");
    assert_eq!(server.counter("http_connections_evicted_total"), 1.0);
    assert_eq!(server.counter("http_connections_refused_total"), 0.0);
    let (_, waited) = read_until_closed(&mut holders[0], Duration::from_secs(2)).await;
    assert!(
        waited < Duration::from_secs(1),
        "the oldest holder was closed"
    );
    let mut buf = [0u8; 1];
    let still_open =
        tokio::time::timeout(Duration::from_millis(200), holders[1].read(&mut buf)).await;
    assert!(
        still_open.is_err(),
        "the second-oldest holder keeps its place"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_cap_of_busy_connections_refuses_with_a_503_and_served_ones_free_their_place() {
    let server = Running::start(args(5_000, 5_000, Some(4))).await;
    let mut busy = Vec::new();
    for _ in 0..4 {
        let mut held = TcpStream::connect(server.addr).await.unwrap();
        held.write_all(b"GET /slow HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        busy.push(held);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut refused = TcpStream::connect(server.addr).await.unwrap();
    refused
        .write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let (text, _) = read_until_closed(&mut refused, Duration::from_secs(2)).await;
    assert!(text.starts_with("HTTP/1.1 503"), "refusal: {text}");
    assert!(text.contains("too many connections"));
    assert_eq!(server.counter("http_connections_refused_total"), 1.0);
    assert_eq!(server.counter("http_connections_evicted_total"), 0.0);
    assert_eq!(server.counter("http_connections_open"), 4.0);
    drop(busy);
    wait::until(
        Duration::from_secs(5),
        Duration::from_millis(20),
        async || {
            get_ok(server.addr)
                .await
                .then_some(())
                .ok_or("never served after the busy ones left")
        },
    )
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_kept_alive_connection_is_not_evicted_for_a_newcomer() {
    let server = Running::start(args(5_000, 5_000, Some(1))).await;
    let mut kept = TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    assert!(!get_ok(server.addr).await, "the newcomer is refused");
    assert_eq!(server.counter("http_connections_refused_total"), 1.0);
    kept.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let n = kept.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "the kept-alive connection still serves"
    );
    server.stop().await;
}

/// The target of issue 16 in miniature: far more slow connections than the cap, re-opened
/// 100 ms after they are closed, and a normal client still gets every response within 1 s.
/// (Re-opened at once, from the same address, about 1 normal request in 800 is refused while
/// every place is closing: docs/reliability.md, low-fd-limit.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_beyond_the_cap_never_lock_a_normal_client_out() {
    let server = Running::start(args(10_000, 10_000, Some(64))).await;
    let addr = server.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut slow = Vec::new();
    for _ in 0..400 {
        let stop = stop.clone();
        slow.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(mut held) = TcpStream::connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let _ = held.write_all(b"GET / HT").await;
                let mut buf = [0u8; 64];
                let _ = tokio::time::timeout(Duration::from_secs(5), held.read(&mut buf)).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut served = 0;
    for _ in 0..50 {
        let started = Instant::now();
        if get_ok(addr).await && started.elapsed() < Duration::from_secs(1) {
            served += 1;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(served, 50, "every normal request served within 1 s");
    assert!(
        server.counter("http_connections_refused_total") > 0.0,
        "the slow clients kept the cap full"
    );
    assert!(
        server.counter("http_connections_evicted_total") > 0.0,
        "normal clients got in by taking slow connections' places"
    );
    assert!(server.counter("http_connections_open") <= 64.0);
    for task in slow {
        task.abort();
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_clients_are_all_served_while_500_slow_clients_hold_connections() {
    let server = Running::start(args(2_000, 10_000, None)).await;
    let mut slow = Vec::new();
    for _ in 0..500 {
        let mut held = TcpStream::connect(server.addr).await.unwrap();
        held.write_all(b"GET /").await.unwrap();
        slow.push(held);
    }
    let mut served = 0;
    for _ in 0..50 {
        let started = Instant::now();
        if get_ok(server.addr).await && started.elapsed() < Duration::from_secs(1) {
            served += 1;
        }
    }
    assert_eq!(served, 50, "every normal request served within 1 s");
    drop(slow);
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_returns() {
    let server = Running::start(args(5_000, 60_000, None)).await;
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let _ = idle.read(&mut buf).await.unwrap();
    let started = Instant::now();
    server.stop().await;
    assert!(started.elapsed() < Duration::from_secs(2));
}

/// Requests hyper rejects itself never reach the router, so no layer can add headers to its
/// answer (docs/reliability.md): what holds is a clear status and a closed connection, at once.
#[tokio::test]
async fn requests_hyper_rejects_get_a_clear_status_and_the_connection_closes() {
    let server = Running::start(args(5_000, 5_000, None)).await;
    let huge_header = format!(
        "GET / HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n",
        "a".repeat(600 * 1024)
    );
    let cases: [(&[u8], &str); 2] = [
        (b"GET /<script> HTTP/1.1\r\nhost: t\r\n\r\n", "HTTP/1.1 400"),
        (huge_header.as_bytes(), "HTTP/1.1 431"),
    ];
    for (request, status) in cases {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let _ = stream.write_all(request).await;
        let (text, waited) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
        assert!(text.starts_with(status), "expected {status}, got {text:?}");
        assert!(waited < Duration::from_secs(2), "closed at once");
    }
    server.stop().await;
}
