//! Real `hardware` processes on one database, with helpers to read what they serve.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use test_support::process::Running;
use test_support::{free_port, prometheus, wait};

/// The flags of the multi-process tests: 200 ms fake computations, 2 workers, a 3 s lease
/// (so a killed process's profiles are taken over quickly), and nothing stale for an hour.
pub const SHARED_ARGS: &[&str] = &[
    "--availability-source",
    "fake",
    "--fake-compute-ms",
    "200",
    "--compute-workers",
    "2",
    "--refresh-interval",
    "3600",
    "--claim-lease",
    "3",
];

pub struct Service {
    child: Running,
    pub base: String,
    http: reqwest::Client,
    log: tempfile::NamedTempFile,
}

impl Service {
    /// Starts `hardware` on a free port against `database_url` and waits until it answers.
    pub async fn spawn(database_url: &str, args: &[&str]) -> Self {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hardware"))
            .args([
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database",
                database_url,
            ])
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("starting hardware");
        let mut service = Self {
            child: child.into(),
            base: format!("http://127.0.0.1:{port}"),
            http: test_support::http::client(),
            log,
        };
        wait::until(
            Duration::from_secs(30),
            Duration::from_millis(50),
            async || {
                if let Ok(response) = service.http.get(service.url("/healthz")).send().await
                    && response.status() == 200
                {
                    return Ok(());
                }
                if let Some(status) = service.child.exited() {
                    panic!("hardware exited with {status}:\n{}", service.logs());
                }
                Err(format!("hardware did not answer:\n{}", service.logs()))
            },
        )
        .await;
        service
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    pub async fn status(&self, path: &str) -> u16 {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|err| panic!("GET {path}: {err}"))
            .status()
            .as_u16()
    }

    /// `GET /hardware/`, which must answer 200.
    pub async fn rows(&self) -> Vec<Value> {
        let response = self.http.get(self.url("/hardware/")).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET /hardware/");
        response
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// One sample of a Prometheus counter or gauge from `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        prometheus::metric(&self.http, &self.base, name).await
    }

    /// SIGKILL: no shutdown, no released claims, results in memory lost.
    pub fn kill(&mut self) {
        self.child.kill();
    }
}

pub fn computed(rows: &[Value]) -> usize {
    rows.iter()
        .filter(|row| !row["availability"].is_null())
        .count()
}

/// Polls every service until each serves `expected` profiles, all computed, and they all
/// serve the same thing; returns that list.
pub async fn wait_all_computed_and_equal(
    services: &[&Service],
    expected: usize,
    timeout: Duration,
) -> Vec<Value> {
    wait::until(timeout, Duration::from_millis(100), async || {
        let mut lists = Vec::new();
        for service in services {
            lists.push(service.rows().await);
        }
        let done = lists
            .iter()
            .all(|rows| rows.len() == expected && computed(rows) == expected);
        if done && lists.windows(2).all(|pair| pair[0] == pair[1]) {
            return Ok(lists.swap_remove(0));
        }
        let counts: Vec<usize> = lists.iter().map(|rows| computed(rows)).collect();
        let logs: Vec<String> = services.iter().map(|s| s.logs()).collect();
        Err(format!(
            "the services did not all serve {expected} computed, identical profiles \
             (computed per service: {counts:?}); logs:\n{}",
            logs.join("\n-----\n")
        ))
    })
    .await
}

/// Profiles in the database's catalog.
pub async fn profile_count(client: &tokio_postgres::Client) -> usize {
    let count: i64 = client
        .query_one("SELECT COUNT(*) FROM hardware", &[])
        .await
        .unwrap()
        .get(0);
    count as usize
}
