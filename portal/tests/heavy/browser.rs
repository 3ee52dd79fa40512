//! Headless Chromium (Debian's `chromium`, installed by scripts/ci/setup-portal.sh) loads
//! the dashboard served by the real binaries: the table must be in the DOM, the page's
//! script must have run (it sets `data-live` on `<html>`, which the server never writes),
//! and a screenshot must come out. `UPDATE_SCREENSHOT=1` also copies it to
//! docs/screenshots/portal.png. A second test changes the catalog in `hardware` after the
//! page loaded and checks the script swapped in a table that shows the change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{Notify, oneshot};

use crate::processes::{free_ports, http, seed_hardware, start_hardware, start_portal, wait_for};

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

/// Real hardware (SQLite seeded with `profiles` rows) and portal binaries on free ports, with
/// a scratch directory for the browser; both processes stop when this is dropped.
pub struct Stack {
    pub data: tempfile::TempDir,
    pub database: PathBuf,
    pub portal_port: u16,
    _hardware: crate::processes::Running,
    _portal: crate::processes::Running,
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
    // The script ran: only app.js sets data-live on <html>; the served HTML never has it.
    let served = http().get(&url).send().await.unwrap().text().await.unwrap();
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

/// A pass-through proxy in front of the portal that holds the page script's first `GET
/// /version` until the test says go. Chromium's virtual time does not advance while a fetch
/// is pending, so the test can change `hardware` at a known point: after the page loaded and
/// the script started polling, before the dump.
struct HeldVersion {
    portal: String,
    first_poll: Mutex<Option<oneshot::Sender<()>>>,
    release: Notify,
    released: std::sync::atomic::AtomicBool,
}

async fn forward(State(held): State<Arc<HeldVersion>>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    if request.uri().path() == "/version" {
        let first = held.first_poll.lock().unwrap().take();
        if let Some(first) = first {
            let _ = first.send(());
        }
        let released = held.release.notified();
        if !held.released.load(std::sync::atomic::Ordering::SeqCst) {
            released.await;
        }
    }
    let Ok(upstream) = http().get(format!("{}{path}", held.portal)).send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = upstream.status();
    let content_type = upstream.headers().get(header::CONTENT_TYPE).cloned();
    let body = upstream.bytes().await.unwrap_or_default();
    let mut response = (status, body).into_response();
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    response
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
    let (data, database, portal_port) = (&stack.data, &stack.database, stack.portal_port);
    let portal = format!("http://127.0.0.1:{portal_port}");
    let search = format!("/?q={PROBE}");
    wait_for(
        &format!("{portal}{search}"),
        Duration::from_secs(60),
        "the first snapshot, without the probe profile",
        |status, body| status == 200 && body.contains("No profiles match"),
    )
    .await;

    let (first_poll_tx, first_poll) = oneshot::channel();
    let held = Arc::new(HeldVersion {
        portal: portal.clone(),
        first_poll: Mutex::new(Some(first_poll_tx)),
        release: Notify::new(),
        released: false.into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let app = Router::new().fallback(forward).with_state(held.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let profile = data.path().join("chromium-refresh");
    let page = format!("http://{proxy}{search}");
    let browser = tokio::task::spawn_blocking(move || {
        // 20 s of virtual time: the script polls every 0.2 s (the portal's --sync-interval),
        // and virtual time stands still while the held /version request is pending.
        run_chromium(
            &profile,
            &[
                "--dump-dom".into(),
                "--virtual-time-budget=20000".into(),
                page,
            ],
        )
    });

    // The page loaded without the probe, and its script is polling: change hardware now.
    tokio::time::timeout(Duration::from_secs(60), first_poll)
        .await
        .expect("the page script never polled /version")
        .unwrap();
    add_profile(database, PROBE);
    wait_for(
        &format!("{portal}{search}"),
        Duration::from_secs(30),
        "the portal to sync the new profile",
        |status, body| status == 200 && body.contains(&format!("<th scope=\"row\">{PROBE}</th>")),
    )
    .await;
    held.released
        .store(true, std::sync::atomic::Ordering::SeqCst);
    held.release.notify_waiters();

    let dom = browser.await.unwrap();
    server.abort();
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert!(
        dom_text.contains(&format!("<th scope=\"row\">{PROBE}</th>")),
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
