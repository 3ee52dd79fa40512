//! Both real binaries on free ports: the page, a hardware outage with the stale banner,
//! and recovery after hardware comes back.

use std::time::Duration;

use test_support::free_ports;
use test_support::http::{self, wait_for};

use crate::processes::{start_hardware, start_portal};

const BANNER: &str = "Live data is paused";

#[tokio::test]
async fn heavy_end_to_end_portal_survives_a_hardware_outage_and_recovers() {
    let data = tempfile::tempdir().unwrap();
    let database = data.path().join("hardware.db");
    let [hardware_port, portal_port] = free_ports();
    let mut hardware = start_hardware(hardware_port, &database);
    let _portal = start_portal(portal_port, hardware_port);
    let page = format!("http://127.0.0.1:{portal_port}/");

    // The original two rows, computed by hardware's (fake, fast) availability source.
    let html = wait_for(
        &page,
        Duration::from_secs(60),
        "both original rows computed",
        |status, body| {
            status == 200
                && body.contains("\">c5</a></th>")
                && body.contains("\">H16mr</a></th>")
                && !body.contains("class=\"badge badge-pending")
                && !body.contains("class=\"badge badge-computing")
        },
    )
    .await;
    assert!(html.contains("<table"));
    assert!(!html.contains(BANNER));
    let ready = http::client()
        .get(format!("http://127.0.0.1:{portal_port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);

    hardware.kill();
    let stale = wait_for(
        &page,
        Duration::from_secs(10),
        "the stale banner",
        |status, body| status == 200 && body.contains(BANNER),
    )
    .await;
    assert!(
        stale.contains("\">c5</a></th>"),
        "the last snapshot is still shown"
    );
    assert!(stale.contains("showing values as of <time"));
    assert_eq!(stale.matches("as of <time").count(), 1, "one timestamp");
    let ready = http::client()
        .get(format!("http://127.0.0.1:{portal_port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ready.status(),
        200,
        "a portal with data stays ready while hardware is down"
    );

    let _hardware = start_hardware(hardware_port, &database);
    let recovered = wait_for(
        &page,
        Duration::from_secs(30),
        "recovery (banner gone)",
        |status, body| status == 200 && !body.contains(BANNER),
    )
    .await;
    assert!(recovered.contains("\">H16mr</a></th>"));
}
