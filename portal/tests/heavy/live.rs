//! The live refresh in a real browser (headless Debian Chromium): focus survives a refresh,
//! a short status is announced, a hidden tab stops polling, and a value that ages while the
//! page is open gets its stale mark. The browser acts through a same-origin probe script
//! (tests/heavy/probe.rs) and reports through `data-probe-*` attributes in the dumped DOM.

use std::time::Duration;

use test_support::http::wait_for;

use crate::browser::{Stack, add_profile, chromium_stdout};
use crate::probe::{Probe, Versions, probe_value};

async fn dump(profile: std::path::PathBuf, url: String, budget_ms: u32) -> String {
    chromium_stdout(
        profile,
        vec![
            "--dump-dom".into(),
            format!("--virtual-time-budget={budget_ms}"),
            url,
        ],
    )
    .await
}

fn head(dom: &str) -> String {
    dom.chars().take(600).collect()
}

/// Focuses the first sort link in the table, then after each refresh records what has focus
/// and what the status region says.
const FOCUS_PROBE: &str = r#"
(function () {
  var root = document.documentElement;
  var link = document.querySelector('#live thead a');
  link.focus();
  root.setAttribute('data-probe-focused', document.activeElement === link ? 'yes' : 'no');
  new MutationObserver(function () {
    var active = document.activeElement;
    root.setAttribute('data-probe-same', active === link ? 'yes' : 'no');
    root.setAttribute('data-probe-active', active ? active.tagName + ' ' + (active.getAttribute('href') || '') : 'none');
    root.setAttribute('data-probe-status', document.getElementById('live-status').textContent);
    root.setAttribute('data-probe-rows', String(document.querySelectorAll('#live tbody tr').length));
  }).observe(root, { attributes: true, attributeFilter: ['data-refreshes'] });
})();
"#;

#[tokio::test]
async fn heavy_browser_keeps_focus_and_announces_a_short_status_across_a_refresh() {
    let stack = Stack::start(20);
    let portal = stack.portal();
    add_profile(&stack.database, "zz-focus-a");
    let search = "/?q=zz-focus";
    wait_for(
        &format!("{portal}{search}"),
        Duration::from_secs(60),
        "the first probe profile",
        |status, body| status == 200 && body.contains(">zz-focus-a</a></th>"),
    )
    .await;
    let mut probe = Probe::start(portal.clone(), FOCUS_PROBE, Versions::HoldFirst).await;
    let browser = dump(
        stack.data.path().join("chromium-focus"),
        probe.url(search),
        20_000,
    );
    let browser = tokio::spawn(browser);

    // The page is loaded, the link focused, the script polling: change hardware now.
    probe.first_poll().await;
    add_profile(&stack.database, "zz-focus-b");
    wait_for(
        &format!("{portal}{search}"),
        Duration::from_secs(30),
        "the portal to sync the second probe profile",
        |status, body| status == 200 && body.contains(">zz-focus-b</a></th>"),
    )
    .await;
    probe.release();
    let dom = browser.await.unwrap();

    assert_eq!(
        probe_value(&dom, "focused").as_deref(),
        Some("yes"),
        "{}",
        head(&dom)
    );
    assert_eq!(
        probe_value(&dom, "rows").as_deref(),
        Some("2"),
        "the refresh added the row: {}",
        head(&dom)
    );
    assert_eq!(
        probe_value(&dom, "same").as_deref(),
        Some("yes"),
        "focus moved to {:?}",
        probe_value(&dom, "active")
    );
    let status = probe_value(&dom, "status").unwrap_or_default();
    assert!(
        status.ends_with(" updated") && status.len() < 30,
        "a short status, not the table: {status:?}"
    );
    // The status region is small; the table itself is not a live region.
    assert!(!dom.contains("<main id=\"live\" aria-live"));
}

/// Hides the tab one second in, shows it again five seconds later, and records the script's
/// poll counter at each step: before hiding, at hiding, at the end of the hidden time, and
/// one second after showing.
const HIDDEN_PROBE: &str = r#"
(function () {
  var root = document.documentElement;
  function polls() { return Number(root.getAttribute('data-polls') || '0'); }
  function setHidden(hidden) {
    Object.defineProperty(document, 'hidden', { configurable: true, get: function () { return hidden; } });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: function () { return hidden ? 'hidden' : 'visible'; } });
    document.dispatchEvent(new Event('visibilitychange'));
  }
  setTimeout(function () {
    var before = polls();
    setHidden(true);
    var atHide = polls();
    setTimeout(function () {
      var hiddenEnd = polls();
      setHidden(false);
      setTimeout(function () {
        root.setAttribute('data-probe-polls', [before, atHide, hiddenEnd, polls()].join(','));
      }, 1000);
    }, 5000);
  }, 1000);
})();
"#;

#[tokio::test]
async fn heavy_browser_stops_polling_in_a_hidden_tab_and_resumes_when_shown() {
    let stack = Stack::start(10);
    let portal = stack.portal();
    wait_for(
        &format!("{portal}/"),
        Duration::from_secs(60),
        "the first snapshot",
        |status, body| status == 200 && body.contains("<table"),
    )
    .await;
    let probe = Probe::start(portal, HIDDEN_PROBE, Versions::Live).await;
    let dom = dump(
        stack.data.path().join("chromium-hidden"),
        probe.url("/"),
        10_000,
    )
    .await;
    let polls: Vec<u32> = probe_value(&dom, "polls")
        .unwrap_or_else(|| panic!("the probe did not finish: {}", head(&dom)))
        .split(',')
        .map(|n| n.parse().unwrap())
        .collect();
    let [before, at_hide, hidden_end, after] = polls[..] else {
        panic!("{polls:?}")
    };
    // The portal polls every 0.2 s: a second is several polls, five seconds would be ~25.
    assert!(before >= 2, "polling while visible: {polls:?}");
    assert_eq!(hidden_end, at_hide, "no poll while hidden: {polls:?}");
    assert!(after > hidden_end, "polling resumes when shown: {polls:?}");
}

/// Counts stale marks at load and again once the values are past their refresh interval
/// plus the grace (hardware's 60 s + 30 s), in virtual time.
const STALE_PROBE: &str = r#"
(function () {
  var root = document.documentElement;
  function marks() { return document.querySelectorAll('#live tbody .stale-mark').length; }
  root.setAttribute('data-probe-at-load', String(marks()));
  setTimeout(function () {
    root.setAttribute('data-probe-later', String(marks()));
    root.setAttribute('data-probe-rows', String(document.querySelectorAll('#live tbody tr.stale').length));
  }, 100000);
})();
"#;

#[tokio::test]
async fn heavy_browser_marks_a_value_stale_when_it_ages_on_an_open_page() {
    // hardware's smallest catalog (78 profiles); the first page shows 50.
    let stack = Stack::start(1);
    let portal = stack.portal();
    wait_for(
        &format!("{portal}/"),
        Duration::from_secs(60),
        "every value computed",
        |status, body| {
            status == 200
                && body.contains("data-stale-after=")
                && !body.contains("class=\"progress\"")
        },
    )
    .await;
    // Frozen: the page never reloads its rows, so only the script's clock can mark them.
    let probe = Probe::start(portal, STALE_PROBE, Versions::Frozen).await;
    let dom = dump(
        stack.data.path().join("chromium-stale"),
        probe.url("/"),
        110_000,
    )
    .await;
    assert_eq!(
        probe_value(&dom, "at-load").as_deref(),
        Some("0"),
        "{}",
        head(&dom)
    );
    assert_eq!(
        probe_value(&dom, "later").as_deref(),
        Some("50"),
        "{}",
        head(&dom)
    );
    assert_eq!(probe_value(&dom, "rows").as_deref(), Some("50"));
}
