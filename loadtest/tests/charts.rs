//! The report's charts: SLA lines drawn, legends below the plot, log axes labelled at every
//! 1-2-5 step, and no percentile beyond what the sample count supports.

mod common;

use common::{TestServer, options, run, settings, write_workflow};

const WORKFLOW: &str = r#"
name = "charted"
duration = "1s"
sla = ["p99 < 200ms", "errors = 0"]

[[actor]]
name = "reader"
target = "api"
count = 3
schedule = { requests = 10, every = "1s" }

[[actor.step]]
name = "hit"
path = "/steady"
"#;

/// The `y` attribute of the `<text>` element whose content is `content`.
fn text_y(svg: &str, content: &str) -> Option<f64> {
    let end = svg.find(&format!(">\n{content}\n</text>"))?;
    let tag = &svg[svg[..end].rfind("<text")?..end];
    let y = tag.split(" y=\"").nth(1)?.split('"').next()?;
    y.parse().ok()
}

#[tokio::test]
async fn charts_draw_the_sla_keep_legends_off_the_data_and_label_log_axes() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(dir.path(), "charted.toml", WORKFLOW);
    let report = run(&path, &settings(&server, 1.0, 1.0), &options(8)).await;
    assert_eq!(report.total.count, 30);
    let files = loadtest::report::write_charts(&report, dir.path(), "charted").unwrap();
    let read = |file: &str| std::fs::read_to_string(dir.path().join(file)).unwrap();
    let latency = read(&files.latency);
    let percentiles = read(&files.percentiles);

    for svg in [&latency, &percentiles] {
        // The SLA line is labelled on the plot and in the legend.
        assert!(svg.contains(">\np99 &lt; 200ms\n</text>"), "no SLA label");
        let legend_y = text_y(svg, "SLA p99 &lt; 200ms (charted)").expect("SLA in legend");
        // Legends sit below the 400 px plot area, never on it.
        assert!(legend_y > 400.0, "legend at y = {legend_y}");
        // A log axis up to the 200 ms SLA line is labelled at 1-2-5 steps, not at powers
        // of ten only. (Every response takes at least 2 ms, so the axis starts at 1 or 2 ms
        // however fast the machine; the steps from 5 ms up are on it either way.)
        for tick in ["5", "10", "20", "50", "100", "200"] {
            assert!(text_y(svg, tick).is_some(), "no {tick} ms label");
        }
    }
    assert!(text_y(&latency, "max, corrected").unwrap() > 400.0);

    // 30 samples support no percentile beyond p50 (10 must lie beyond it).
    let listed: Vec<f64> = report
        .total
        .corrected
        .distribution
        .iter()
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(listed, [0.0, 10.0, 25.0, 50.0, 100.0]);
    assert!(!percentiles.contains("99.9%"), "axis drawn beyond the data");
    // The axis ends at 99 % and its label is inside the picture (not clipped).
    let label = percentiles.find(">\n99%\n</text>").expect("99% label");
    let tag = &percentiles[percentiles[..label].rfind("<text").unwrap()..label];
    let x: f64 = tag
        .split(" x=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(x < 960.0 - 20.0, "99% label at x = {x}");
}
