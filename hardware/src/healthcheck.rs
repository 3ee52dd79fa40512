//! `hardware healthcheck`: a container health check for images without a shell or curl.
//! A bare HTTP/1.0 request over TCP is all it needs.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// True when `GET /healthz` on `bind` answers 200 within `timeout`. An unspecified bind
/// address (0.0.0.0, ::) is checked on loopback.
pub async fn check(bind: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            Ipv6Addr::LOCALHOST.into()
        });
    }
    let attempt = async {
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|err| format!("cannot connect to {addr}: {err}"))?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await
            .map_err(|err| format!("cannot send to {addr}: {err}"))?;
        let mut head = [0u8; 32];
        let read = stream
            .read(&mut head)
            .await
            .map_err(|err| format!("no answer from {addr}: {err}"))?;
        let status_line = String::from_utf8_lossy(&head[..read]);
        if status_line.starts_with("HTTP/1.1 200") || status_line.starts_with("HTTP/1.0 200") {
            Ok(())
        } else {
            Err(format!(
                "{addr}/healthz answered {:?}",
                status_line.lines().next().unwrap_or("")
            ))
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("{addr}/healthz did not answer within {timeout:?}"))?
}
