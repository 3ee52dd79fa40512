//! Smoke checks against the test listener: at the PAUSE hook (POST_TEST_TRAFFIC_SHIFT) they
//! decide whether production traffic may move to the new revision at all - ECS holds the
//! deployment until the deployer answers - and while the release bakes they keep checking.

use std::time::Duration;

use reqwest::Url;

/// How the smoke checks run; built from `--smoke-*` flags.
#[derive(Debug, Clone)]
pub struct SmokeSettings {
    pub url: Url,
    /// Per request: connect, send and read the status line.
    pub timeout: Duration,
    /// Time between two checks.
    pub interval: Duration,
    /// Consecutive failures that trigger a rollback (one blip is not a failed release).
    pub failures_to_rollback: u32,
    /// Consecutive passes at the PAUSE hook before the deployer lets production traffic move.
    pub passes_to_continue: u32,
}

/// clap value parser for `--smoke-url`.
pub fn parse_smoke_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(format!(
            "{raw:?} must be an http:// or https:// URL with a host"
        )),
    }
}

pub struct SmokeChecker {
    client: reqwest::Client,
    settings: SmokeSettings,
    consecutive_failures: u32,
    consecutive_passes: u32,
}

/// What one round of checking decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmokeVerdict {
    Passed,
    /// Failed, but not often enough in a row to roll back yet.
    Failing {
        failures: u32,
        reason: String,
    },
    RollBack {
        reason: String,
    },
}

impl SmokeChecker {
    pub fn new(settings: SmokeSettings) -> Self {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            // Building a client only fails when TLS cannot initialise at all.
            .unwrap_or_else(|_| reqwest::Client::new());
        SmokeChecker {
            client,
            settings,
            consecutive_failures: 0,
            consecutive_passes: 0,
        }
    }

    pub fn settings(&self) -> &SmokeSettings {
        &self.settings
    }

    pub fn interval(&self) -> Duration {
        self.settings.interval
    }

    /// One GET; any 2xx passes.
    pub async fn check(&mut self) -> SmokeVerdict {
        let url = &self.settings.url;
        let outcome = match self.client.get(url.clone()).send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!("GET {url} answered {}", response.status())),
            Err(e) if e.is_timeout() => Err(format!(
                "GET {url} gave no answer within {}s",
                self.settings.timeout.as_secs_f64()
            )),
            Err(e) => Err(format!(
                "GET {url} failed: {}",
                crate::error::error_chain(&e)
            )),
        };
        match outcome {
            Ok(()) => {
                self.consecutive_failures = 0;
                self.consecutive_passes += 1;
                SmokeVerdict::Passed
            }
            Err(reason) => {
                self.consecutive_passes = 0;
                self.consecutive_failures += 1;
                if self.consecutive_failures >= self.settings.failures_to_rollback {
                    SmokeVerdict::RollBack {
                        reason: match self.consecutive_failures {
                            1 => format!("smoke check failed: {reason}"),
                            n => format!("smoke check failed {n} times in a row: {reason}"),
                        },
                    }
                } else {
                    SmokeVerdict::Failing {
                        failures: self.consecutive_failures,
                        reason,
                    }
                }
            }
        }
    }
}

/// What the checks at a PAUSE hook decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateVerdict {
    /// `passes_to_continue` checks in a row passed.
    Continue {
        passes: u32,
    },
    RollBack {
        reason: String,
    },
}

impl SmokeChecker {
    /// Checks until `passes_to_continue` pass in a row or `failures_to_rollback` fail in a row;
    /// `on_failure` sees each failure that is not yet the last.
    pub async fn gate(&mut self, mut on_failure: impl FnMut(u32, &str)) -> GateVerdict {
        self.consecutive_failures = 0;
        self.consecutive_passes = 0;
        let wanted = self.settings.passes_to_continue.max(1);
        loop {
            match self.check().await {
                SmokeVerdict::Passed if self.consecutive_passes >= wanted => {
                    return GateVerdict::Continue {
                        passes: self.consecutive_passes,
                    };
                }
                SmokeVerdict::Passed => {}
                SmokeVerdict::Failing { failures, reason } => on_failure(failures, &reason),
                SmokeVerdict::RollBack { reason } => return GateVerdict::RollBack { reason },
            }
            tokio::time::sleep(self.settings.interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoke_urls_must_be_http_with_a_host() {
        assert!(parse_smoke_url("http://127.0.0.1:8081/readyz").is_ok());
        assert!(parse_smoke_url("https://alb.example/healthz").is_ok());
        let err = parse_smoke_url("ftp://x/y").unwrap_err();
        assert!(err.contains("ftp://x/y"), "{err}");
        assert!(parse_smoke_url("not a url").is_err());
    }
}
