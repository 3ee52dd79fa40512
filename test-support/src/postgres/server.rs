//! A throwaway PostgreSQL server for one test: `initdb` into a temporary directory, `pg_ctl
//! start` on a free 127.0.0.1 port with its socket in that directory, stopped and removed on
//! drop. PostgreSQL refuses to run as root, so as root the server runs as `PG_TEST_USER`
//! (created by scripts/ci/setup-postgres.sh) through `runuser`.
//!
//! One server per test: a test may stop and restart its server, and it works the same whether
//! the tests of a binary run as threads of one process (`cargo test`) or each in a process of
//! its own (`cargo nextest run`).

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::free_port;

pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    user: Option<String>,
    port: u16,
}

impl PgServer {
    /// Creates and starts a server; panics with the reason (missing binaries, initdb or start
    /// failure with the server log) when it cannot.
    pub fn start() -> Self {
        let bin =
            PathBuf::from(std::env::var("PG_BIN").unwrap_or_else(|_| "/usr/local/bin".into()));
        for tool in ["initdb", "pg_ctl", "postgres"] {
            assert!(
                bin.join(tool).is_file(),
                "PostgreSQL binary {} is missing: these tests need a real server \
                 (set PG_BIN or run scripts/ci/setup-postgres.sh)",
                bin.join(tool).display()
            );
        }
        let user = server_user();
        let dir = tempfile::Builder::new()
            .prefix("hwdash-pg-")
            .tempdir()
            .unwrap();
        if let Some(user) = &user {
            run_checked(
                Command::new("chown")
                    .arg(format!("{user}:"))
                    .arg(dir.path()),
            );
        }
        let mut server = Self {
            dir,
            bin,
            user,
            port: 0,
        };
        let data = server.data_dir();
        server.run_as_server_user(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
        );
        // A port picked free may be taken before the server binds it: try a few.
        for attempt in 1..=3 {
            server.port = free_port();
            if server.try_start() {
                return server;
            }
            eprintln!(
                "PostgreSQL did not start on port {} (attempt {attempt})",
                server.port
            );
        }
        panic!("PostgreSQL would not start; log:\n{}", server.log());
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`.
    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// `pg_ctl stop -m fast`: clients are disconnected at once, as in a database failover.
    pub fn stop_fast(&self) {
        let data = self.data_dir();
        self.run_as_server_user(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) {
        assert!(
            self.try_start(),
            "PostgreSQL did not restart; log:\n{}",
            self.log()
        );
    }

    /// A plain client for inspecting the database from a test.
    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url()).await
    }

    fn try_start(&self) -> bool {
        let data = self.data_dir();
        let socket_dir = self.dir.path().to_str().unwrap().to_owned();
        let log = self.dir.path().join("server.log");
        // fsync off: a test server need not survive a power cut, and it starts much faster.
        let options = format!(
            "-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c full_page_writes=off -c max_connections=60",
            self.port
        );
        self.command(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "-t",
                "30",
                "start",
            ],
        )
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut command = match &self.user {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        // The server user may not be allowed into the test's working directory.
        command.args(args).current_dir(self.dir.path());
        command
    }

    fn run_as_server_user(&self, tool: &str, args: &[&str]) -> Output {
        run_checked(&mut self.command(tool, args))
    }
}

impl PgServer {
    /// `pg_ctl stop -m immediate`, as the server user.
    pub(super) fn immediate_stop(&self) -> Command {
        let data = self.data_dir();
        self.command(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
    }

    /// The temporary directory holding the data directory, socket and log.
    pub(super) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.data_dir().join("postmaster.pid").exists() {
            let _ = self.immediate_stop().output();
        }
    }
}

/// The OS user to run the server as: none when we are not root.
fn server_user() -> Option<String> {
    let uid = run_checked(Command::new("id").arg("-u"));
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let user = std::env::var("PG_TEST_USER").unwrap_or_else(|_| "pgtest".into());
    let exists = Command::new("id")
        .arg("-u")
        .arg(&user)
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    assert!(
        exists,
        "PostgreSQL refuses to run as root and the user '{user}' does not exist: \
         run scripts/ci/setup-postgres.sh (it creates it) or set PG_TEST_USER"
    );
    Some(user)
}

fn run_checked(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A client on `url`, its connection driven by a task of the current runtime.
pub(super) async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|err| panic!("connecting to the test server at {url}: {err}"));
    tokio::spawn(connection);
    client
}
