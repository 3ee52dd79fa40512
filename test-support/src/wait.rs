//! Waiting for something to become true, bounded by a deadline: the check runs, and until it
//! succeeds the test sleeps a little and tries again; past the deadline the test fails with
//! what the last attempt said. Tests wait on a condition, never a fixed sleep.

use std::fmt::Display;
use std::time::{Duration, Instant};

/// Runs `check` every `every` until it returns `Ok`, which is returned. When `within` has
/// passed and it still fails, panics with the last `Err` (which should say what was seen).
pub async fn until<T, E: Display>(
    within: Duration,
    every: Duration,
    mut check: impl AsyncFnMut() -> Result<T, E>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        match check().await {
            Ok(done) => return done,
            Err(last) if Instant::now() >= deadline => {
                panic!("{last} (waited {within:?})")
            }
            Err(_) => tokio::time::sleep(every).await,
        }
    }
}

/// [`until`] for code outside a runtime (a plain `#[test]`, a blocking set-up).
pub fn until_blocking<T, E: Display>(
    within: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<T, E>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        match check() {
            Ok(done) => return done,
            Err(last) if Instant::now() >= deadline => {
                panic!("{last} (waited {within:?})")
            }
            Err(_) => std::thread::sleep(every),
        }
    }
}
