//! A moto_server child process on a loopback port of its own, killed when the test ends.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_config::Region;
use deployer::aws::{AwsClients, ConnectOptions, sdk_config_loader};
use test_support::process::Running;
use test_support::wait;

pub const REGION: &str = "us-east-1";

pub struct MotoServer {
    _child: Running,
    pub endpoint: String,
}

/// `$MOTO_SERVER`, else the pinned venv scripts/ci/setup-deployer.sh makes (so a plain
/// `cargo test` after one run of it uses the verified versions), else `moto_server` on PATH.
fn moto_server_program() -> String {
    if let Ok(program) = std::env::var("MOTO_SERVER") {
        return program;
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cache"))
        });
    match cache.map(|cache| cache.join("hwdash-moto/bin/moto_server")) {
        Some(venv) if venv.exists() => venv.display().to_string(),
        _ => "moto_server".into(),
    }
}

impl MotoServer {
    /// Starts moto_server (or `$MOTO_SERVER`) on a port the kernel picks (`-p 0`) and reads the
    /// port back from the line moto prints ("Running on http://127.0.0.1:PORT"). Choosing a
    /// "free" port in the test and handing it over raced: two tests of one process (cargo test
    /// runs them as threads) could get the same port, and the second moto failed to bind, so
    /// both tests shared the first one's state. With `-p 0` no other process can hold the port.
    pub fn start() -> Self {
        let program = moto_server_program();
        let mut child = Running::new(
            Command::new(&program)
                .args(["-H", "127.0.0.1", "-p", "0"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start {program} ({e}): the deployer's integration tests need moto; \
                     run `source scripts/ci/lib.sh; source scripts/ci/setup-deployer.sh` \
                     (pip install 'moto[server]')"
                    )
                }),
        );
        let stderr = child.stderr.take().expect("piped stderr");
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        // moto logs every request to stderr: keep draining it, or moto blocks on a full pipe.
        std::thread::spawn(move || {
            let mut port_tx = Some(port_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1)
                    && let Some(tx) = port_tx.take()
                {
                    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let _ = tx.send(digits.parse::<u16>().ok());
                }
            }
        });
        let port = match port_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(port)) => port,
            other => {
                panic!("{program} did not say which port it listens on within 60 s ({other:?})");
            }
        };
        let server = MotoServer {
            _child: child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let address = self
            .endpoint
            .trim_start_matches("http://")
            .parse()
            .expect("loopback address");
        wait::until_blocking(Duration::from_secs(30), Duration::from_millis(50), || {
            std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200))
                .map(drop)
                .map_err(|_| format!("moto_server did not listen on {}", self.endpoint))
        });
    }

    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            region: Some(REGION.into()),
            endpoint_url: Some(self.endpoint.clone()),
            // moto imports each service backend on its first call: slow when the machine is busy.
            call_timeout: Duration::from_secs(60),
            max_attempts: 1,
        }
    }

    /// Clients as the deployer builds them, with static test credentials.
    pub async fn clients(&self) -> AwsClients {
        let config = sdk_config_loader(&self.connect_options())
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "AKIDMOTO", "secret", None, None, "moto",
            ))
            .load()
            .await;
        AwsClients::from_sdk_config(&config)
    }

    /// An EC2 VPC, created over moto's query API directly: the deployer never talks to EC2,
    /// and compiling aws-sdk-ec2 only for this one call would double the test build time.
    pub async fn create_vpc(&self) -> String {
        let body = reqwest::Client::new()
            .post(&self.endpoint)
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDMOTO/20260101/us-east-1/ec2/aws4_request, \
                 SignedHeaders=host, Signature=0",
            )
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("Action=CreateVpc&Version=2016-11-15&CidrBlock=10.0.0.0/16")
            // Generous: moto loads its EC2 backend on first use, slow on a busy 2-core machine.
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .expect("CreateVpc reaches moto")
            .text()
            .await
            .expect("CreateVpc answer");
        let start = body.find("<vpcId>").expect("CreateVpc returns a vpcId") + "<vpcId>".len();
        let end = start + body[start..].find('<').expect("closing tag");
        body[start..end].to_string()
    }
}
