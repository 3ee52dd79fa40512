//! The page at desktop and phone widths, light and dark, in a real browser (headless Debian
//! Chromium): screenshots at 1280, 390 and 320 px (`UPDATE_SCREENSHOT=1` copies them to
//! docs/screenshots/), and measurements taken by a probe script in the page: no sideways
//! scrolling, the specs still visible, tap targets of at least 24 px, names unbroken, the
//! filters folded on phones (and shown, without a summary to click, on wider screens), and
//! dark colours under `prefers-color-scheme: dark`.

use std::path::Path;

use crate::browser::{Stack, chromium_stdout};
use crate::probe::{Probe, Versions, probe_value};

const LAYOUT_PROBE: &str = r#"
(function () {
  var root = document.documentElement;
  function set(name, value) { root.setAttribute('data-probe-' + name, String(value)); }
  var visible = function (el) { var r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  set('overflow', document.documentElement.scrollWidth - window.innerWidth);
  var specs = document.querySelectorAll('#live tbody tr:first-child td:nth-child(n+5):nth-child(-n+7)');
  set('specs-visible', Array.prototype.filter.call(specs, visible).length);
  var targets = document.querySelectorAll('#live a, summary, button');
  var smallest = Infinity;
  Array.prototype.forEach.call(targets, function (el) {
    if (!visible(el)) return;
    var r = el.getBoundingClientRect();
    smallest = Math.min(smallest, r.height, r.width);
  });
  set('smallest-target', Math.floor(smallest));
  // A name wider than its cell would have to break inside a word.
  var names = document.querySelectorAll('#live tbody th');
  set('broken-names', Array.prototype.filter.call(names, function (th) {
    return th.scrollWidth > th.clientWidth + 1;
  }).length);
  set('filters-open', document.querySelector('form.filters').checkVisibility());
  set('background', getComputedStyle(document.body).backgroundColor);
  set('top-pager', document.querySelectorAll('nav.pagination').length);
})();
"#;

fn number(dom: &str, name: &str) -> i64 {
    probe_value(dom, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no probe value {name}: {}",
                dom.chars().take(600).collect::<String>()
            )
        })
}

#[tokio::test]
async fn heavy_browser_layouts_at_1280_390_and_320_px_and_in_dark_mode() {
    let stack = Stack::start(1);
    let portal = stack.portal();
    stack.wait_all_computed().await;
    let probe = Probe::start(portal.clone(), LAYOUT_PROBE, Versions::Frozen).await;

    for width in [1280u32, 390, 320] {
        let window = format!("--window-size={width},900");
        let dom = chromium_stdout(
            stack.data.path().join(format!("chromium-dom-{width}")),
            vec!["--dump-dom".into(), window.clone(), probe.url("/")],
        )
        .await;
        assert!(
            number(&dom, "overflow") <= 0,
            "scrolls sideways at {width} px"
        );
        assert_eq!(
            number(&dom, "specs-visible"),
            3,
            "vCPUs, memory and GPUs at {width} px"
        );
        assert!(
            number(&dom, "smallest-target") >= 24,
            "a tap target under 24 px at {width} px"
        );
        assert_eq!(
            number(&dom, "broken-names"),
            0,
            "a name overflows at {width} px"
        );
        assert_eq!(
            number(&dom, "top-pager"),
            2,
            "paging above and below the table"
        );
        let folded = width < 640;
        assert_eq!(
            probe_value(&dom, "filters-open").as_deref(),
            Some(if folded { "false" } else { "true" }),
            "filters folded only on phones ({width} px)"
        );
        assert_eq!(
            probe_value(&dom, "background").as_deref(),
            Some("rgb(255, 255, 255)")
        );

        let shot = stack.data.path().join(format!("portal-{width}.png"));
        chromium_stdout(
            stack.data.path().join(format!("chromium-shot-{width}")),
            vec![
                format!("--screenshot={}", shot.display()),
                window,
                format!("{portal}/"),
            ],
        )
        .await;
        let png = std::fs::read(&shot).expect("screenshot written");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
        keep_screenshot(&shot, &format!("portal-{width}.png"));
    }

    let dark = chromium_stdout(
        stack.data.path().join("chromium-dark"),
        vec![
            "--dump-dom".into(),
            "--force-dark-mode".into(),
            probe.url("/"),
        ],
    )
    .await;
    assert_eq!(
        probe_value(&dark, "background").as_deref(),
        Some("rgb(20, 23, 27)")
    );
    let shot = stack.data.path().join("portal-dark.png");
    chromium_stdout(
        stack.data.path().join("chromium-dark-shot"),
        vec![
            format!("--screenshot={}", shot.display()),
            "--force-dark-mode".into(),
            "--window-size=390,900".into(),
            format!("{portal}/"),
        ],
    )
    .await;
    keep_screenshot(&shot, "portal-dark-390.png");
}

fn keep_screenshot(shot: &Path, name: &str) {
    if std::env::var("UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let target = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/screenshots")
            .join(name);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(shot, &target).unwrap();
    }
}
