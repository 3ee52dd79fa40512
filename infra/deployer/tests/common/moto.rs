//! A moto_server child process on a free loopback port, killed when the test ends.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::Region;
use deployer::aws::{AwsClients, ConnectOptions, sdk_config_loader};

pub const REGION: &str = "us-east-1";

pub struct MotoServer {
    child: Child,
    pub endpoint: String,
}

impl MotoServer {
    /// Starts moto_server (or `$MOTO_SERVER`); fails the test with instructions when missing.
    pub fn start() -> Self {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let port = free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {program} ({e}): the deployer's integration tests need moto; \
                     run `source scripts/ci/lib.sh; source scripts/ci/setup-deployer.sh` \
                     (pip install 'moto[server]')"
                )
            });
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = self.endpoint.trim_start_matches("http://").to_string();
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(
                &address.parse().expect("loopback address"),
                Duration::from_millis(200),
            )
            .is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "moto_server did not listen on {} within 30 s",
            self.endpoint
        );
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

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
