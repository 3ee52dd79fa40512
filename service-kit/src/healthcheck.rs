//! The `healthcheck` mode of every service binary: container images have no shell or curl,
//! so the binary asks its own health endpoint. A bare HTTP/1.0 request over TCP is all it
//! needs (no TLS: the probe runs beside the process it checks).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `Ok` when `GET path` on `addr` answers 2xx within `timeout`, otherwise why not. An
/// unspecified address (0.0.0.0, ::, a service's bind in a container) is asked on loopback.
pub async fn check(addr: SocketAddr, path: &str, timeout: Duration) -> Result<(), String> {
    let addr = loopback_if_unspecified(addr);
    let url = format!("http://{addr}{path}");
    let attempt = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|err| format!("cannot send to {addr}: {err}"))?;
        let mut head = [0u8; 32];
        let read = stream
            .read(&mut head)
            .await
            .map_err(|err| format!("no answer from {url}: {err}"))?;
        let head = String::from_utf8_lossy(&head[..read]);
        let status_line = head.lines().next().unwrap_or("");
        let status = status_line.split_whitespace().nth(1).unwrap_or("");
        if status.len() == 3 && status.starts_with('2') {
            Ok(())
        } else {
            Err(format!("{url} answered {status_line:?}"))
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("{url} did not answer within {timeout:?}"))?
}

fn loopback_if_unspecified(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        });
    }
    addr
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A one-shot server answering `status_line` to the first request, on port 0.
    async fn answering(status_line: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 256];
            let _ = stream.read(&mut request).await;
            let answer = format!("{status_line}\r\nContent-Length: 0\r\n\r\n");
            let _ = stream.write_all(answer.as_bytes()).await;
        });
        addr
    }

    #[tokio::test]
    async fn a_2xx_answer_is_healthy_on_the_unspecified_address_too() {
        let addr = answering("HTTP/1.1 204 No Content").await;
        let unspecified = SocketAddr::from((Ipv4Addr::UNSPECIFIED, addr.port()));
        check(unspecified, "/healthz", Duration::from_secs(5))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn another_status_or_no_server_is_unhealthy_and_says_why() {
        let addr = answering("HTTP/1.0 503 Service Unavailable").await;
        let err = check(addr, "/readyz", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            err.contains("/readyz answered") && err.contains("503"),
            "{err}"
        );

        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let err = check(addr, "/healthz", Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(err.contains("cannot connect"), "{err}");
    }
}
