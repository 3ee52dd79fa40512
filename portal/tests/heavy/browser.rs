//! Headless Chromium (Debian's `chromium`, installed by scripts/ci/setup-portal.sh) loads
//! the dashboard served by the real binaries: the table must be in the DOM, the page's
//! script must have run (it sets `data-live` on `<html>`, which the server never writes),
//! and a screenshot must come out. `UPDATE_SCREENSHOT=1` also copies it to
//! docs/screenshots/portal.png. A second test changes the catalog in `hardware` after the
//! page loaded and checks the script swapped in a table that shows the change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use test_support::free_ports;
use test_support::http::{self, wait_for};
use test_support::process::{Running, output_within};

use crate::probe::{Probe, Versions};
use crate::processes::{seed_hardware, start_hardware, start_portal};

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
pub fn run_chromium(profile: &Path, extra: &[String]) -> Output {
    let child = Command::new(chromium())
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
    output_within(child, Duration::from_secs(90), "chromium")
}

/// [`run_chromium`] off the runtime's threads; fails the test unless Chromium succeeds, and
/// returns what it printed (the DOM, for `--dump-dom`).
pub async fn chromium_stdout(profile: PathBuf, args: Vec<String>) -> String {
    let output = tokio::task::spawn_blocking(move || run_chromium(&profile, &args))
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Real hardware (SQLite seeded with `profiles` rows) and portal binaries on free ports, with
/// a scratch directory for the browser; both processes stop when this is dropped.
pub struct Stack {
    pub data: tempfile::TempDir,
    pub database: PathBuf,
    pub portal_port: u16,
    _hardware: Running,
    _portal: Running,
}

impl Stack {
    pub fn start(profiles: u32) -> Self {
        let data = tempfile::tempdir().unwrap();
        let database = data.path().join("hardware.db");
        seed_hardware(&database, profiles);
        let [hardware_port, portal_port] = free_ports();
        let hardware = start_hardware(hardware_port, &database);
        let portal = start_portal(portal_port, hardware_port);
        Self {
            data,
            database,
            portal_port,
            _hardware: hardware,
            _portal: portal,
        }
    }

    /// `http://127.0.0.1:PORT` of the portal.
    pub fn portal(&self) -> String {
        format!("http://127.0.0.1:{}", self.portal_port)
    }

    /// Waits (up to 60 s) until the first page is served with every value computed.
    pub async fn wait_all_computed(&self) {
        wait_for(
            &format!("{}/", self.portal()),
            Duration::from_secs(60),
            "every value computed",
            |status, body| {
                status == 200 && body.contains("<table") && !body.contains("class=\"progress\"")
            },
        )
        .await;
    }
}

#[tokio::test]
async fn heavy_browser_shows_the_table_and_takes_a_screenshot() {
    let stack = Stack::start(120);
    let (data, portal_port) = (&stack.data, stack.portal_port);
    let url = format!("http://127.0.0.1:{portal_port}/");
    // A realistic picture: most profiles computed, a few still "computing" is fine.
    wait_for(
        &url,
        Duration::from_secs(60),
        "profiles computed",
        |status, body| status == 200 && body.matches("badge badge-high").count() >= 5,
    )
    .await;

    let dom_text = chromium_stdout(
        data.path().join("chromium-dom"),
        vec!["--dump-dom".into(), url.clone()],
    )
    .await;
    assert!(
        dom_text.contains("<table"),
        "no table in the DOM: {dom_text}"
    );
    assert!(dom_text.contains("\">c5</a></th>"));
    assert_eq!(
        dom_text.matches("<th scope=\"row\">").count(),
        50,
        "one page of 50 rows"
    );
    // The script ran: only app.js sets data-live on <html>; the served HTML never has it.
    let served = http::client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !served.contains("data-live"),
        "the server must not write the script's marker"
    );
    assert!(
        dom_text
            .split_once("<html")
            .and_then(|(_, rest)| rest.split_once('>'))
            .is_some_and(|(html_tag, _)| html_tag.contains(r#"data-live="1""#)),
        "app.js did not run (no data-live marker on <html>): {}",
        dom_text.chars().take(300).collect::<String>()
    );

    let shot = data.path().join("portal.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    chromium_stdout(
        data.path().join("chromium-shot"),
        vec![shot_arg, "--window-size=1280,900".into(), url],
    )
    .await;
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

/// Adds one profile to the running hardware's SQLite catalog, as an operator would; the
/// refresher picks up rows added while it runs.
pub fn add_profile(database: &Path, name: &str) {
    let sql = format!(
        ".timeout 10000\n\
         INSERT INTO hardware (provider, name, vcpus, memory_gib, gpus) \
         VALUES ('Amazon', '{name}', 2, 4, 0);\n\
         INSERT INTO availability (hardware_id, seq) \
         SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM availability) \
         FROM hardware WHERE name = '{name}';\n"
    );
    let mut child = Command::new("sqlite3")
        .arg(database)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sqlite3 (installed by scripts/ci/setup-portal.sh)");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), sql.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "sqlite3 insert failed");
}

#[tokio::test]
async fn heavy_browser_refreshes_the_table_when_hardware_changes() {
    const PROBE: &str = "zz-refresh-probe";
    let stack = Stack::start(20);
    let (data, database, portal) = (&stack.data, &stack.database, stack.portal());
    let search = format!("/?q={PROBE}");
    wait_for(
        &format!("{portal}{search}"),
        Duration::from_secs(60),
        "the first snapshot, without the probe profile",
        |status, body| status == 200 && body.contains("No profiles match"),
    )
    .await;

    let mut proxy = Probe::plain(portal.clone(), Versions::HoldFirst).await;
    let profile = data.path().join("chromium-refresh");
    // 20 s of virtual time: the script polls every 0.2 s (the portal's --sync-interval),
    // and virtual time stands still while the held /version request is pending.
    let browser = tokio::spawn(chromium_stdout(
        profile,
        vec![
            "--dump-dom".into(),
            "--virtual-time-budget=20000".into(),
            proxy.url(&search),
        ],
    ));

    // The page loaded without the probe, and its script is polling: change hardware now.
    proxy.first_poll().await;
    add_profile(database, PROBE);
    wait_for(
        &format!("{portal}{search}"),
        Duration::from_secs(30),
        "the portal to sync the new profile",
        |status, body| status == 200 && body.contains(&format!("\">{PROBE}</a></th>")),
    )
    .await;
    proxy.release();

    let dom_text = browser.await.unwrap();
    drop(proxy);
    assert!(
        dom_text.contains(&format!("\">{PROBE}</a></th>")),
        "the refreshed table does not show the profile added to hardware: {dom_text}"
    );
    assert!(
        !dom_text.contains("No profiles match"),
        "the old table is still there: {dom_text}"
    );
    assert!(
        dom_text.contains("data-refreshes=\""),
        "app.js did not record a refresh: {}",
        dom_text.chars().take(300).collect::<String>()
    );
}
