//! SVG charts for the Markdown report: latency over time, throughput over time and the
//! percentile distribution (corrected and uncorrected side by side).

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::build::{Latency, Report, StepReport};
use crate::plan::StatKind;

/// Lines per chart; more would be unreadable. The busiest steps are drawn.
const MAX_SERIES: usize = 6;
/// Log axes cannot show 0; faster values are drawn at 10 us.
const FLOOR_MS: f64 = 0.01;

/// File names of the charts, relative to the report.
#[derive(Debug, Clone)]
pub struct ChartFiles {
    pub latency: String,
    pub throughput: String,
    pub percentiles: String,
}

pub fn write_charts(report: &Report, directory: &Path, name: &str) -> Result<ChartFiles, String> {
    let files = ChartFiles {
        latency: format!("{name}-latency.svg"),
        throughput: format!("{name}-throughput.svg"),
        percentiles: format!("{name}-percentiles.svg"),
    };
    let write = |file: &str, svg: String| -> Result<(), String> {
        let path: PathBuf = directory.join(file);
        std::fs::write(&path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write(&files.latency, latency_over_time(report)?)?;
    write(&files.throughput, throughput_over_time(report)?)?;
    write(&files.percentiles, percentile_distribution(report)?)?;
    Ok(files)
}

fn busiest_steps(report: &Report) -> Vec<(String, &StepReport)> {
    let mut steps: Vec<(String, &StepReport)> = report
        .workflows
        .iter()
        .flat_map(|w| {
            w.actors.iter().flat_map(move |a| {
                a.steps
                    .iter()
                    .filter(|s| s.kind == StatKind::Request && s.summary.count > 0)
                    .map(move |s| (format!("{} / {} / {}", w.name, a.name, s.name), s))
            })
        })
        .collect();
    steps.sort_by_key(|(_, step)| std::cmp::Reverse(step.summary.count));
    steps.truncate(MAX_SERIES);
    steps
}

fn err(error: impl std::fmt::Display) -> String {
    format!("drawing a chart failed: {error}")
}

fn latency_over_time(report: &Report) -> Result<String, String> {
    let width = report.timeline_bucket_seconds;
    let points = |value: &dyn Fn(&crate::stats::Bucket) -> f64| -> Vec<(f64, f64)> {
        report
            .timeline
            .iter()
            .enumerate()
            .filter(|(_, b)| b.count > 0)
            .map(|(i, b)| ((i as f64 + 0.5) * width, value(b).max(FLOOR_MS)))
            .collect()
    };
    type Series = (&'static str, RGBColor, Vec<(f64, f64)>);
    let series: Vec<Series> = vec![
        (
            "max, corrected",
            RED,
            points(&|b| b.corrected_max_us as f64 / 1000.0),
        ),
        (
            "max, uncorrected",
            BLUE,
            points(&|b| b.uncorrected_max_us as f64 / 1000.0),
        ),
        (
            "mean, corrected",
            RGBColor(230, 140, 0),
            points(&|b| b.corrected_sum_us as f64 / 1000.0 / b.count as f64),
        ),
        (
            "mean, uncorrected",
            RGBColor(0, 150, 150),
            points(&|b| b.uncorrected_sum_us as f64 / 1000.0 / b.count as f64),
        ),
    ];
    let x_max = width * report.timeline.len() as f64;
    let y_max = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|(_, y)| *y))
        .fold(1.0, f64::max)
        * 2.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Latency over time (all requests)", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, (FLOOR_MS..y_max).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("seconds since start")
            .y_desc("latency (ms, log scale)")
            .draw()
            .map_err(err)?;
        for (label, color, points) in series {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn throughput_over_time(report: &Report) -> Result<String, String> {
    let width = report.timeline_bucket_seconds;
    let rate = |count: u64| count as f64 / width;
    let requests: Vec<(f64, f64)> = report
        .timeline
        .iter()
        .enumerate()
        .map(|(i, b)| ((i as f64 + 0.5) * width, rate(b.count)))
        .collect();
    let errors: Vec<(f64, f64)> = report
        .timeline
        .iter()
        .enumerate()
        .map(|(i, b)| ((i as f64 + 0.5) * width, rate(b.errors)))
        .collect();
    let x_max = width * report.timeline.len() as f64;
    let y_max = requests.iter().map(|(_, y)| *y).fold(1.0, f64::max) * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Throughput over time (responses per second)",
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("seconds since start")
            .y_desc("per second")
            .draw()
            .map_err(err)?;
        for (label, color, points) in [("responses", BLUE, requests), ("errors", RED, errors)] {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Percentile p drawn at -log10(1 - p), so 90 %, 99 %, 99.9 % are evenly spaced.
fn nines(percentile: f64) -> f64 {
    let remaining = (1.0 - percentile / 100.0).max(1e-5);
    -remaining.log10()
}

fn distribution(latency: &Latency) -> Vec<(f64, f64)> {
    latency
        .distribution
        .iter()
        .map(|(p, ms)| (nines(*p), ms.max(FLOOR_MS)))
        .collect()
}

fn percentile_distribution(report: &Report) -> Result<String, String> {
    let steps = busiest_steps(report);
    let y_max = steps
        .iter()
        .map(|(_, s)| s.summary.corrected.max.max(s.summary.uncorrected.max))
        .chain([report.total.corrected.max])
        .fold(1.0, f64::max)
        * 2.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Latency by percentile (solid: corrected, dashed: uncorrected)",
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..5.0, (FLOOR_MS..y_max).log_scale())
            .map_err(err)?;
        let label = |x: &f64| {
            let percentile = 100.0 * (1.0 - 10f64.powf(-x));
            format!("{percentile:.3}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned()
                + "%"
        };
        chart
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&label)
            .x_desc("percentile")
            .y_desc("latency (ms, log scale)")
            .draw()
            .map_err(err)?;
        for (index, (name, step)) in steps.iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    distribution(&step.summary.corrected),
                    color.stroke_width(2),
                ))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart
                .draw_series(DashedLineSeries::new(
                    distribution(&step.summary.uncorrected),
                    6,
                    4,
                    color.stroke_width(1),
                ))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
