//! SVG charts for the Markdown report: latency over time, throughput over time and the
//! percentile distribution (corrected and uncorrected side by side).
//!
//! What a reader must be able to trust: every latency threshold of the SLA is drawn as a
//! line, legends sit below the plot where they cannot hide data, log axes carry a label at
//! every 1-2-5 step, throughput is counted per whole window of one second (never per
//! bucket, whose counts alias against the schedule), and the distribution stops at the
//! highest percentile the sample count supports.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::build::{Latency, Report, StepReport};
use crate::plan::StatKind;
use crate::stats::Bucket;

/// Lines per chart; more would be unreadable. The busiest steps are drawn.
const MAX_SERIES: usize = 6;
/// Nothing below 1 us is drawn: log axes cannot show 0.
const FLOOR_MS: f64 = 0.001;
const WIDTH: u32 = 960;
const PLOT_HEIGHT: u32 = 400;
const LEGEND_ROW_HEIGHT: u32 = 22;
/// Rough width of one character of the 13 px legend font, for laying legend entries out.
const CHAR_WIDTH: u32 = 7;
const SLA_COLOR: RGBColor = RGBColor(150, 0, 90);
const GRID_COLOR: RGBColor = RGBColor(225, 225, 225);

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

/// One line of a legend.
struct LegendEntry {
    label: String,
    color: RGBAColor,
    dashed: bool,
}

impl LegendEntry {
    fn new(label: impl Into<String>, color: impl Color, dashed: bool) -> Self {
        Self {
            label: label.into(),
            color: color.to_rgba(),
            dashed,
        }
    }
}

/// Where each legend entry goes: (row, x offset), laid out left to right and wrapped.
fn legend_layout(entries: &[LegendEntry]) -> (Vec<(u32, u32)>, u32) {
    let mut positions = Vec::with_capacity(entries.len());
    let (mut row, mut x) = (0, 0);
    for entry in entries {
        let width = 36 + CHAR_WIDTH * entry.label.chars().count() as u32 + 24;
        if x > 0 && x + width > WIDTH - 80 {
            row += 1;
            x = 0;
        }
        positions.push((row, x));
        x += width;
    }
    let rows = if entries.is_empty() { 0 } else { row + 1 };
    (positions, rows)
}

/// Splits the picture into the plot above and a legend area below, high enough for
/// `entries`.
fn plot_and_legend<'a>(
    svg: &'a mut String,
    entries: &[LegendEntry],
) -> (
    DrawingArea<SVGBackend<'a>, Shift>,
    DrawingArea<SVGBackend<'a>, Shift>,
) {
    let (_, rows) = legend_layout(entries);
    let height = PLOT_HEIGHT + rows * LEGEND_ROW_HEIGHT + 12;
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    let _ = root.fill(&WHITE);
    root.split_vertically(PLOT_HEIGHT)
}

/// A chart's picture: `draw` fills the plot, the legend goes below it.
fn picture(
    legend: &[LegendEntry],
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let (plot, legend_area) = plot_and_legend(&mut svg, legend);
        draw(&plot)?;
        draw_legend(&legend_area, legend)?;
        plot.present().map_err(err)?;
    }
    Ok(svg)
}

/// The layout every chart shares: caption, margins and room for the axis labels.
fn chart_builder<'area, 'svg>(
    plot: &'area DrawingArea<SVGBackend<'svg>, Shift>,
    caption: &str,
    margin_right: u32,
) -> ChartBuilder<'area, 'static, SVGBackend<'svg>> {
    let mut builder = ChartBuilder::on(plot);
    builder
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .margin_right(margin_right)
        .x_label_area_size(40)
        .y_label_area_size(70);
    builder
}

/// The entries of a chart's lines, then one dashed entry per SLA line.
fn with_sla_entries(
    lines: impl Iterator<Item = LegendEntry>,
    slas: &[(String, f64)],
) -> Vec<LegendEntry> {
    lines
        .chain(
            slas.iter()
                .map(|(label, _)| LegendEntry::new(label.clone(), SLA_COLOR, true)),
        )
        .collect()
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(), String> {
    let (positions, _) = legend_layout(entries);
    let font = ("sans-serif", 13).into_font();
    for (entry, (row, x)) in entries.iter().zip(positions) {
        let x = 70 + x as i32;
        let y = 6 + (row * LEGEND_ROW_HEIGHT) as i32 + LEGEND_ROW_HEIGHT as i32 / 2;
        let style = entry.color.stroke_width(2);
        if entry.dashed {
            for dash in 0..3 {
                let start = x + dash * 10;
                area.draw(&PathElement::new(vec![(start, y), (start + 6, y)], style))
                    .map_err(err)?;
            }
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + 26, y)], style))
                .map_err(err)?;
        }
        area.draw(&Text::new(
            entry.label.clone(),
            (x + 34, y),
            TextStyle::from(font.clone()).pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Values at 1, 2 and 5 times each power of ten between `low` and `high` (only 1 and 3,
/// or only the powers, when the range spans many decades), for labelling a log axis.
pub fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    let decades = (high / low).log10();
    let steps: &[f64] = if decades <= 3.5 {
        &[1.0, 2.0, 5.0]
    } else if decades <= 6.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    let mut power = 10f64.powf(low.log10().floor());
    while power <= high {
        for step in steps {
            let value = power * step;
            if value >= low * 0.999 && value <= high * 1.001 {
                ticks.push(value);
            }
        }
        power *= 10.0;
    }
    ticks
}

/// A latency in milliseconds as a tick label: "0.05", "2", "500", "2 s".
pub fn format_ms(value: f64) -> String {
    if value >= 1000.0 {
        format!("{} s", trim_number(value / 1000.0))
    } else {
        trim_number(value)
    }
}

fn trim_number(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A log latency range around `values` and the SLA lines, widened to whole ticks.
fn latency_range(values: impl Iterator<Item = f64>, slas: &[(String, f64)]) -> (f64, f64) {
    let (low, high) = values
        .chain(slas.iter().map(|(_, limit)| *limit))
        .filter(|v| *v > 0.0)
        .fold((f64::MAX, 0f64), |(low, high), v| (low.min(v), high.max(v)));
    if high <= 0.0 {
        return (0.1, 10.0);
    }
    let low = (low / 1.5).max(FLOOR_MS);
    let high = (high * 1.5).max(low * 10.0);
    // Round outwards to 1-2-5 values so the axis starts and ends on a label.
    let round = |value: f64, up: bool| {
        let power = 10f64.powf(value.log10().floor());
        let candidates = [1.0, 2.0, 5.0, 10.0].map(|step| step * power);
        if up {
            candidates
                .into_iter()
                .find(|c| *c >= value)
                .unwrap_or(value)
        } else {
            candidates
                .into_iter()
                .rev()
                .find(|c| *c <= value)
                .unwrap_or(value)
        }
    };
    (round(low, false), round(high, true))
}

/// The latency thresholds of the run, once each: (label, limit in ms).
fn sla_lines(report: &Report) -> Vec<(String, f64)> {
    let mut lines: Vec<(String, f64)> = Vec::new();
    for check in &report.checks {
        if let Some(limit) = check.latency_limit_ms {
            let label = format!("SLA {} ({})", check.threshold, check.scope);
            if !lines.iter().any(|(l, _)| *l == label) {
                lines.push((label, limit));
            }
        }
    }
    lines
}

type LogChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::combinators::LogCoord<f64>,
    >,
>;

/// Grid lines and labels at every tick of a log latency axis.
fn draw_log_axis(
    chart: &mut LogChart<'_, '_>,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    (x_low, x_high): (f64, f64),
    (y_low, y_high): (f64, f64),
) -> Result<(), String> {
    let font = ("sans-serif", 13).into_font();
    for tick in log_ticks(y_low, y_high) {
        chart
            .draw_series(LineSeries::new(
                [(x_low, tick), (x_high, tick)],
                GRID_COLOR.stroke_width(1),
            ))
            .map_err(err)?;
        let (x, y) = chart.backend_coord(&(x_low, tick));
        area.draw(&Text::new(
            format_ms(tick),
            (x - 6, y),
            TextStyle::from(font.clone()).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// Each SLA line dashed across the plot, its threshold written just above its right end.
fn draw_sla_lines(
    chart: &mut LogChart<'_, '_>,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    lines: &[(String, f64)],
    (x_low, x_high): (f64, f64),
) -> Result<(), String> {
    let font = ("sans-serif", 12).into_font().color(&SLA_COLOR);
    for (label, limit) in lines {
        chart
            .draw_series(DashedLineSeries::new(
                [(x_low, *limit), (x_high, *limit)],
                8,
                5,
                SLA_COLOR.stroke_width(2),
            ))
            .map_err(err)?;
        let (x, y) = chart.backend_coord(&(x_high, *limit));
        let threshold = label
            .strip_prefix("SLA ")
            .and_then(|rest| rest.split(" (").next())
            .unwrap_or(label);
        area.draw(&Text::new(
            threshold.to_owned(),
            (x - 4, y - 3),
            font.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

fn latency_over_time(report: &Report) -> Result<String, String> {
    let width = report.timeline_bucket_seconds;
    let points = |value: &dyn Fn(&Bucket) -> f64| -> Vec<(f64, f64)> {
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
    let x_max = time_axis_end(report);
    let slas = sla_lines(report);
    let y_range = latency_range(
        series
            .iter()
            .flat_map(|(_, _, p)| p.iter().map(|(_, y)| *y)),
        &slas,
    );
    let legend = with_sla_entries(
        series
            .iter()
            .map(|(label, color, _)| LegendEntry::new(*label, *color, false)),
        &slas,
    );
    picture(&legend, |plot| {
        let mut chart = chart_builder(plot, "Latency over time (all requests)", 30)
            .build_cartesian_2d(0f64..x_max, (y_range.0..y_range.1).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_label_formatter(&|_| String::new())
            .x_desc("seconds since start")
            .y_desc("latency (ms, log scale)")
            .draw()
            .map_err(err)?;
        draw_log_axis(&mut chart, plot, (0.0, x_max), y_range)?;
        for (_, color, points) in series {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(err)?;
        }
        draw_sla_lines(&mut chart, plot, &slas, (0.0, x_max))
    })
}

/// The end of the time axis: the run, or later if responses kept arriving after it.
fn time_axis_end(report: &Report) -> f64 {
    let width = report.timeline_bucket_seconds;
    let last_busy = report
        .timeline
        .iter()
        .rposition(|b| b.count > 0)
        .map_or(0.0, |i| (i + 1) as f64 * width);
    report.settings.run_seconds.max(last_busy).max(width)
}

/// One throughput window: its start, length in seconds, and responses and errors per
/// second in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub start: f64,
    pub seconds: f64,
    pub responses_per_second: f64,
    pub errors_per_second: f64,
}

/// Sums timeline buckets into windows of one second (runs of 3 s and more) or a tenth of
/// the run, each a whole number of buckets, up to `end` seconds; the last window's rate
/// is over the part of it before `end`. Per-bucket rates of a 30 req/s schedule on 50 ms
/// buckets read 20 or 40; per second they read 30.
pub fn throughput_windows(timeline: &[Bucket], bucket_seconds: f64, end: f64) -> Vec<Window> {
    let window_seconds = if end >= 3.0 { 1.0 } else { end / 10.0 };
    let per_window = ((window_seconds / bucket_seconds).round() as usize).max(1);
    let window_seconds = per_window as f64 * bucket_seconds;
    timeline
        .chunks(per_window)
        .enumerate()
        .map(|(index, buckets)| (index as f64 * window_seconds, buckets))
        .take_while(|(start, _)| *start < end - 1e-9)
        .map(|(start, buckets)| {
            let seconds = window_seconds.min(end - start);
            let count: u64 = buckets.iter().map(|b| b.count).sum();
            let errors: u64 = buckets.iter().map(|b| b.errors).sum();
            Window {
                start,
                seconds,
                responses_per_second: count as f64 / seconds,
                errors_per_second: errors as f64 / seconds,
            }
        })
        .collect()
}

/// A rate drawn as a flat step over each window, so a steady rate is a flat line.
fn steps(windows: &[Window], rate: impl Fn(&Window) -> f64) -> Vec<(f64, f64)> {
    windows
        .iter()
        .flat_map(|w| [(w.start, rate(w)), (w.start + w.seconds, rate(w))])
        .collect()
}

fn throughput_over_time(report: &Report) -> Result<String, String> {
    let end = time_axis_end(report);
    let windows = throughput_windows(&report.timeline, report.timeline_bucket_seconds, end);
    let window_seconds = windows.first().map_or(1.0, |w| w.seconds);
    let responses = steps(&windows, |w| w.responses_per_second);
    let errors = steps(&windows, |w| w.errors_per_second);
    let y_max = responses.iter().map(|(_, y)| *y).fold(1.0, f64::max) * 1.15;
    let legend = vec![
        LegendEntry::new("responses", BLUE, false),
        LegendEntry::new("errors", RED, false),
        LegendEntry::new(
            format!(
                "scheduled: {:.1} iterations/s",
                report.settings.scheduled_rate_per_second
            ),
            RGBColor(120, 120, 120),
            true,
        ),
    ];
    let caption = format!(
        "Throughput over time (responses per second, counted per {} s)",
        trim_number(window_seconds)
    );
    picture(&legend, |plot| {
        let mut chart = chart_builder(plot, &caption, 30)
            .build_cartesian_2d(0f64..end, 0f64..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("seconds since start")
            .y_desc("per second")
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(responses, BLUE.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(errors, RED.stroke_width(2)))
            .map_err(err)?;
        let scheduled = report.settings.scheduled_rate_per_second;
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, scheduled), (report.settings.run_seconds, scheduled)],
                8,
                5,
                RGBColor(120, 120, 120).stroke_width(1),
            ))
            .map_err(err)?;
        Ok(())
    })
}

/// Percentile p drawn at -log10(1 - p), so 90 %, 99 %, 99.9 % are evenly spaced.
fn nines(percentile: f64) -> f64 {
    let remaining = (1.0 - percentile / 100.0).max(1e-5);
    -remaining.log10()
}

/// The distribution's points, without the maximum (100 % has no place on a nines axis;
/// the table gives it).
fn distribution(latency: &Latency) -> Vec<(f64, f64)> {
    latency
        .distribution
        .iter()
        .filter(|(p, _)| *p < 100.0)
        .map(|(p, ms)| (nines(*p), ms.max(FLOOR_MS)))
        .collect()
}

fn percentile_label(nines: f64) -> String {
    let percentile = 100.0 * (1.0 - 10f64.powf(-nines));
    format!("{}%", trim_number((percentile * 1000.0).round() / 1000.0))
}

/// Grid lines and labels at every whole nine of the percentile axis (90 %, 99 %, ...).
fn draw_nines_axis(
    chart: &mut LogChart<'_, '_>,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    x_max: f64,
    (y_low, y_high): (f64, f64),
) -> Result<(), String> {
    let font = ("sans-serif", 13).into_font();
    for tick in 0..=(x_max as u32) {
        let tick = f64::from(tick);
        chart
            .draw_series(LineSeries::new(
                [(tick, y_low), (tick, y_high)],
                GRID_COLOR.stroke_width(1),
            ))
            .map_err(err)?;
        let (x, y) = chart.backend_coord(&(tick, y_low));
        area.draw(&Text::new(
            percentile_label(tick),
            (x, y + 8),
            TextStyle::from(font.clone()).pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(err)?;
    }
    Ok(())
}

fn percentile_distribution(report: &Report) -> Result<String, String> {
    let steps = busiest_steps(report);
    /// A step's name and its corrected and uncorrected distribution.
    type Line = (String, Vec<(f64, f64)>, Vec<(f64, f64)>);
    let lines: Vec<Line> = steps
        .iter()
        .map(|(name, step)| {
            (
                name.clone(),
                distribution(&step.summary.corrected),
                distribution(&step.summary.uncorrected),
            )
        })
        .collect();
    // The axis ends at the highest percentile any line supports, at least 99 %.
    let x_max = lines
        .iter()
        .flat_map(|(_, c, u)| c.iter().chain(u).map(|(x, _)| *x))
        .fold(2.0, f64::max)
        .ceil();
    let slas = sla_lines(report);
    let y_range = latency_range(
        lines
            .iter()
            .flat_map(|(_, c, u)| c.iter().chain(u).map(|(_, y)| *y)),
        &slas,
    );
    let legend = with_sla_entries(
        lines.iter().enumerate().map(|(index, (name, _, _))| {
            LegendEntry::new(name.clone(), Palette99::pick(index), false)
        }),
        &slas,
    );
    picture(&legend, |plot| {
        // Room on the right for the last percentile label, centred on the edge.
        let caption = "Latency by percentile (solid: corrected, dashed: uncorrected)";
        let mut chart = chart_builder(plot, caption, 50)
            .build_cartesian_2d(0f64..x_max, (y_range.0..y_range.1).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_x_mesh()
            .y_label_formatter(&|_| String::new())
            .x_label_formatter(&|_| String::new())
            .x_desc("percentile (only those with at least 10 samples beyond them)")
            .y_desc("latency (ms, log scale)")
            .draw()
            .map_err(err)?;
        draw_log_axis(&mut chart, plot, (0.0, x_max), y_range)?;
        draw_nines_axis(&mut chart, plot, x_max, y_range)?;
        for (index, (_, corrected, uncorrected)) in lines.into_iter().enumerate() {
            let color = Palette99::pick(index).to_rgba();
            chart
                .draw_series(LineSeries::new(corrected, color.stroke_width(2)))
                .map_err(err)?;
            chart
                .draw_series(DashedLineSeries::new(
                    uncorrected,
                    6,
                    4,
                    color.stroke_width(1),
                ))
                .map_err(err)?;
        }
        draw_sla_lines(&mut chart, plot, &slas, (0.0, x_max))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_are_labelled_at_every_one_two_five_step() {
        assert_eq!(
            log_ticks(0.05, 20.0),
            [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
        );
        // Six decades: 1 and 3 per decade keep the labels apart.
        assert_eq!(log_ticks(0.01, 10_000.0).len(), 13);
        let labels: Vec<String> = [0.05, 1.0, 2.5, 500.0, 2000.0]
            .into_iter()
            .map(format_ms)
            .collect();
        assert_eq!(labels, ["0.05", "1", "2.5", "500", "2 s"]);
        assert_eq!(percentile_label(5.0), "99.999%");
        assert_eq!(percentile_label(1.0), "90%");
        assert_eq!(percentile_label(0.0), "0%");
    }

    #[test]
    fn a_steady_rate_reads_steady_per_second() {
        // 30 requests per second for 10 s, on the 50 ms buckets a 10 s run gets.
        let bucket = crate::stats::bucket_width(std::time::Duration::from_secs(10));
        assert_eq!(bucket.as_millis(), 50);
        let mut timeline = vec![Bucket::default(); crate::stats::TIMELINE_BUCKETS];
        for k in 0..300u32 {
            let finished = f64::from(k) / 30.0 + 0.001;
            timeline[(finished / bucket.as_secs_f64()) as usize].count += 1;
        }
        // Per bucket the rate jumps between 20 and 40 (and 0 after the run)...
        let per_bucket: Vec<f64> = timeline[..20]
            .iter()
            .map(|b| b.count as f64 / 0.05)
            .collect();
        assert!(per_bucket.contains(&20.0) && per_bucket.contains(&40.0));
        // ...per second it is 30 throughout, and nothing is drawn past the run.
        let windows = throughput_windows(&timeline, bucket.as_secs_f64(), 10.0);
        assert_eq!(windows.len(), 10);
        for window in windows {
            assert!(
                (window.responses_per_second - 30.0).abs() < 1e-9,
                "{window:?}"
            );
            assert_eq!(window.seconds, 1.0);
        }
    }

    #[test]
    fn a_partial_last_window_is_a_rate_over_its_own_length() {
        let mut timeline = vec![Bucket::default(); 200];
        // 3.5 s of 2 responses per 20 ms bucket: 100/s, the last window half a second.
        for bucket in timeline.iter_mut().take(175) {
            bucket.count = 2;
        }
        let windows = throughput_windows(&timeline, 0.02, 3.5);
        assert_eq!(windows.len(), 4);
        assert_eq!(windows[3].seconds, 0.5);
        for window in &windows {
            assert!(
                (window.responses_per_second - 100.0).abs() < 1e-9,
                "{window:?}"
            );
        }
    }
}
