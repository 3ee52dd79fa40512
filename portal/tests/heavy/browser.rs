//! Headless Chromium (Debian's `chromium`, installed by scripts/ci/setup-portal.sh) loads
//! the dashboard served by the real binaries: the table must be in the DOM after the
//! page's script ran, and a screenshot must come out. `UPDATE_SCREENSHOT=1` also copies
//! it to docs/screenshots/portal.png.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::processes::{free_ports, seed_hardware, start_hardware, start_portal, wait_for};

fn chromium() -> PathBuf {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "Chromium not found at {} (set CHROMIUM, or install it: \
         `ROOT=$PWD bash -c 'source scripts/ci/lib.sh; source scripts/ci/setup-portal.sh'`)",
        path.display()
    );
    path
}

/// Runs headless Chromium with the flags from ENVIRONMENT.md, killed after 90 s.
fn run_chromium(profile: &Path, extra: &[String]) -> Output {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn heavy_browser_shows_the_table_and_takes_a_screenshot() {
    let data = tempfile::tempdir().unwrap();
    let database = data.path().join("hardware.db");
    seed_hardware(&database, 120);
    let [hardware_port, portal_port] = free_ports();
    let _hardware = start_hardware(hardware_port, &database);
    let _portal = start_portal(portal_port, hardware_port);
    let url = format!("http://127.0.0.1:{portal_port}/");
    // A realistic picture: most profiles computed, a few still "computing" is fine.
    wait_for(
        &url,
        Duration::from_secs(60),
        "profiles computed",
        |status, body| status == 200 && body.matches("badge badge-high").count() >= 5,
    )
    .await;

    let url_for_dom = url.clone();
    let dom_profile = data.path().join("chromium-dom");
    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(&dom_profile, &["--dump-dom".into(), url_for_dom])
    })
    .await
    .unwrap();
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert!(
        dom_text.contains("<table"),
        "no table in the DOM: {dom_text}"
    );
    assert!(dom_text.contains("<th scope=\"row\">c5</th>"));
    assert_eq!(
        dom_text.matches("<th scope=\"row\">").count(),
        50,
        "one page of 50 rows"
    );
    // The script ran: it rewrote the server's relative times against the browser clock
    // (the server writes the same wording, so check the script's marker attribute stayed).
    assert!(dom_text.contains("data-relative"));

    let shot = data.path().join("portal.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let shot_profile = data.path().join("chromium-shot");
    let output = tokio::task::spawn_blocking(move || {
        run_chromium(
            &shot_profile,
            &[shot_arg, "--window-size=1280,900".into(), url],
        )
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    // A blank 1280x900 page compresses to a few KB; a rendered table is far larger.
    assert!(
        png.len() > 30_000,
        "screenshot suspiciously small ({} bytes)",
        png.len()
    );

    if std::env::var("UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots/portal.png");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&shot, &target).unwrap();
    }
}
