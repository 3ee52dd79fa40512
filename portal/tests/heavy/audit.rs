//! Lighthouse (mobile and desktop, every category at least 95) and axe-core (0 violations,
//! light, dark and 320 px) against the real binaries, through portal/tests/audit/audit.mjs
//! on Debian's Chromium. The npm packages come from scripts/ci/setup-portal.sh.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use test_support::http::wait_for;
use test_support::process::output_within;

use crate::browser::Stack;

fn node_path() -> PathBuf {
    let path = std::env::var_os("PORTAL_AUDIT_NODE_PATH").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../.tmp/portal-audit/node_modules"
            ))
        },
        PathBuf::from,
    );
    assert!(
        path.join("lighthouse").exists() && path.join("axe-core").exists(),
        "the audit's npm packages are missing at {} (install them: \
         `ROOT=$PWD bash -c 'source scripts/ci/lib.sh; source scripts/ci/setup-portal.sh'`)",
        path.display()
    );
    path
}

fn audit(url: &str) -> (bool, String) {
    let child = Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/audit/audit.mjs"
        ))
        .args([url, "95"])
        .env("NODE_PATH", node_path())
        .env(
            "CHROME_PATH",
            std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node (Node 20 is on every machine, ENVIRONMENT.md)");
    // Lighthouse twice (four times when the machine is too busy for the performance score)
    // plus axe three times; bounded below nextest's 5-minute kill, never a hang.
    let output = output_within(child, Duration::from_secs(280), "the audit");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Audits `path` on a portal over the real binaries with every profile computed.
async fn audit_page(path: &str) {
    let stack = Stack::start(200);
    let portal = stack.portal();
    stack.wait_all_computed().await;
    let url = format!("{portal}{path}");
    // An audit of an error page would pass as well: the page must be there first.
    wait_for(
        &url,
        Duration::from_secs(10),
        "the audited page",
        |status, _| status == 200,
    )
    .await;
    let (passed, report) = tokio::task::spawn_blocking(move || audit(&url))
        .await
        .unwrap();
    println!("{path}\n{report}");
    assert!(passed, "audit of {path} failed:\n{report}");
    assert!(report.contains("axe 320px: 0 violation(s)"), "{report}");
}

#[tokio::test]
async fn heavy_browser_lighthouse_scores_95_and_axe_finds_nothing() {
    audit_page("/").await;
}

// One test per page: each audit takes up to 280 s, under nextest's 5-minute kill.
#[tokio::test]
async fn heavy_browser_a_profile_page_scores_95_and_axe_finds_nothing() {
    audit_page("/profiles/Amazon/c5").await;
}
