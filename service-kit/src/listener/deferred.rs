//! Connections accepted at the cap before anything arrived, looked at again every 2 ms for up
//! to 100 ms. A normal client writes its whole request head right after connecting, so it is
//! usually complete by the next look; a slow client's is partial (refused at once, freeing the
//! place in this list) or still nothing (refused after 100 ms). The list is bounded: under a
//! flood of new connections the oldest is refused to make room.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::listener::connection::{Peeked, peek_request};

/// How often deferred connections are looked at again.
pub const SWEEP_EVERY: Duration = Duration::from_millis(2);
/// How long a deferred connection may take to send a whole request header.
const WAIT: Duration = Duration::from_millis(100);
/// Connections deferred at once: each holds a descriptor, out of the listener's reserve.
const MAX_DEFERRED: usize = 64;

#[derive(Default)]
pub struct Deferred {
    waiting: VecDeque<(TcpStream, Instant)>,
}

impl Deferred {
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Defers `stream`; returns the connection to refuse when the list was full.
    pub fn push(&mut self, stream: TcpStream) -> Option<TcpStream> {
        let overflow = if self.waiting.len() >= MAX_DEFERRED {
            self.waiting.pop_front().map(|(oldest, _)| oldest)
        } else {
            None
        };
        self.waiting.push_back((stream, Instant::now()));
        overflow
    }

    /// Takes out the connections whose request header is now complete, and those to refuse:
    /// part of a header (a slow client), or nothing for longer than [`WAIT`].
    pub fn sweep(&mut self) -> (Vec<TcpStream>, Vec<TcpStream>) {
        let mut ready = Vec::new();
        let mut expired = Vec::new();
        let mut still = VecDeque::with_capacity(self.waiting.len());
        for (stream, since) in self.waiting.drain(..) {
            match peek_request(&stream) {
                Peeked::CompleteHeader => ready.push(stream),
                Peeked::PartialHeader => expired.push(stream),
                Peeked::Nothing if since.elapsed() >= WAIT => expired.push(stream),
                Peeked::Nothing => still.push_back((stream, since)),
            }
        }
        self.waiting = still;
        (ready, expired)
    }

    pub fn drain(&mut self) -> impl Iterator<Item = TcpStream> + '_ {
        self.waiting.drain(..).map(|(stream, _)| stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    #[tokio::test]
    async fn a_request_that_arrives_is_ready_and_half_a_request_is_refused() {
        let mut deferred = Deferred::default();
        let (mut normal, normal_server) = pair().await;
        let (mut slow, slow_server) = pair().await;
        let (_silent, silent_server) = pair().await;
        assert!(deferred.push(normal_server).is_none());
        assert!(deferred.push(slow_server).is_none());
        assert!(deferred.push(silent_server).is_none());
        let (ready, expired) = deferred.sweep();
        assert_eq!((ready.len(), expired.len()), (0, 0), "nothing sent yet");
        normal
            .write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        slow.write_all(b"GET / HT").await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let (ready, expired) = deferred.sweep();
        assert_eq!(
            (ready.len(), expired.len()),
            (1, 1),
            "the silent one may wait on"
        );
        tokio::time::sleep(WAIT).await;
        let (ready, expired) = deferred.sweep();
        assert_eq!(
            (ready.len(), expired.len()),
            (0, 1),
            "until it has waited too long"
        );
        assert!(deferred.is_empty());
    }

    #[tokio::test]
    async fn a_full_list_gives_up_its_oldest() {
        let mut deferred = Deferred::default();
        let mut clients = Vec::new();
        for _ in 0..MAX_DEFERRED {
            let (client, server) = pair().await;
            clients.push(client);
            assert!(deferred.push(server).is_none());
        }
        let (_client, server) = pair().await;
        assert!(deferred.push(server).is_some());
        assert_eq!(deferred.waiting.len(), MAX_DEFERRED);
    }
}
