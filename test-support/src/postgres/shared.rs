//! One PostgreSQL server per test process, a fresh database for each test. Starting a server
//! (initdb) costs about a second; a database, milliseconds. It works the same under both
//! runners: `cargo test` runs a binary's tests as threads of one process, so they share the
//! server; `cargo nextest run` gives each test a process, so each starts its own.
//!
//! A `static` is never dropped, so the server cannot be stopped by a destructor. A watchdog
//! child (`sh`) waits for end-of-file on a pipe whose only writer is this process: when the
//! process ends, however it ends, the kernel closes the pipe and the watchdog stops the server
//! and removes its directory. (Rust opens pipes close-on-exec, so the binaries a test starts
//! do not hold the pipe open.)

use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::PgServer;

/// A database no other test uses, on the process's shared server.
pub struct TestDatabase {
    url: String,
}

impl TestDatabase {
    /// `postgres://postgres@127.0.0.1:PORT/test_N`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A plain client for inspecting the database from a test.
    pub async fn client(&self) -> tokio_postgres::Client {
        super::server::connect(&self.url).await
    }
}

struct Shared {
    server: PgServer,
    /// Held, never written: closing it (at process exit) tells the watchdog to stop the server.
    _watchdog: ChildStdin,
}

static SHARED: OnceLock<Shared> = OnceLock::new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// Creates an empty database on the process's server (started on first use) and returns it.
pub async fn fresh_database() -> TestDatabase {
    let shared = SHARED.get_or_init(Shared::start);
    let name = format!("test_{}", NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    shared
        .server
        .client()
        .await
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|err| panic!("CREATE DATABASE {name}: {err}"));
    TestDatabase {
        url: shared.server.database_url(&name),
    }
}

impl Shared {
    fn start() -> Self {
        let server = PgServer::start();
        let stop = server.immediate_stop();
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(r#"cat >/dev/null; "$@"; rm -rf "$PG_TEST_DIR""#)
            .arg("pg-watchdog")
            .arg(stop.get_program())
            .args(stop.get_args())
            .env("PG_TEST_DIR", server.dir())
            .current_dir(server.dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the PostgreSQL watchdog (sh)")
            .stdin
            .take()
            .expect("piped stdin");
        Self {
            server,
            _watchdog: watchdog,
        }
    }
}
