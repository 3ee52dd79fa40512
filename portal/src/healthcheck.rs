//! `portal healthcheck`: an HTTP probe built into the binary, for container images that
//! have no shell or curl.

use std::time::Duration;

use reqwest::Url;

/// The whole check, connect included, must answer within this.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// `Ok(())` when the URL answers 2xx within [`TIMEOUT`]; otherwise why not.
pub async fn check(url: &Url) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .build()
        .map_err(|err| format!("cannot build an HTTP client: {err}"))?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|err| format!("{url} did not answer: {err}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("{url} answered {}", response.status()))
    }
}
