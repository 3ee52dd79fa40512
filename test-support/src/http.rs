//! Polling a URL until its answer is what the test waits for.

use std::time::Duration;

use crate::wait;

/// A client whose every request gives up after 5 s, so a stuck server fails the test.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("building a reqwest client")
}

/// GETs `url` every 100 ms until `done(status, body)` holds and returns that body; fails the
/// test after `within`, naming `what` and the last answer. Refused connections (the server
/// not up yet) count as "not yet".
pub async fn wait_for(
    url: &str,
    within: Duration,
    what: &str,
    done: impl Fn(u16, &str) -> bool,
) -> String {
    let client = client();
    let mut last = String::from("no answer yet");
    wait::until(within, Duration::from_millis(100), async || {
        if let Ok(response) = client.get(url).send().await {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            if done(status, &body) {
                return Ok(body);
            }
            last = format!("{status}: {}", body.chars().take(300).collect::<String>());
        }
        Err(format!("waited for {what} at {url}; last answer {last}"))
    })
    .await
}

/// Waits until `url` answers 200 (a readiness or health endpoint).
pub async fn wait_until_ok(url: &str, within: Duration) {
    wait_for(url, within, "200", |status, _| status == 200).await;
}
