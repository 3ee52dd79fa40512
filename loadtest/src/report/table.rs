//! The reports' one table formatter. The latency columns (header and number format) are
//! defined here once; tabled lays a table out as Markdown for the report page or as aligned
//! text for the terminal summary, so neither report pads or joins cells by hand.

use tabled::builder::Builder;
use tabled::grid::config::Offset;
use tabled::settings::object::{Cell, Columns};
use tabled::settings::style::{LineChar, Style, VerticalLine};
use tabled::settings::{Alignment, Padding, Width};

use super::build::Summary;

/// Text to the left, numbers to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table's header and rows, before it is laid out.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
    /// The terminal layout draws a `|` before this column (the raw latencies).
    split_before: Option<usize>,
    /// The terminal layout cuts the first column to this many characters (`~` marks a cut).
    first_width: Option<usize>,
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            columns: columns
                .iter()
                .map(|(header, align)| ((*header).to_owned(), *align))
                .collect(),
            rows: Vec::new(),
            split_before: None,
            first_width: None,
        }
    }

    pub fn push<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A Markdown table; right-aligned columns are marked `---:` so they render that way.
    pub fn markdown(&self) -> String {
        let mut table = self.builder().build();
        table.with(Style::markdown());
        for (index, (_, align)) in self.columns.iter().enumerate() {
            if *align == Align::Right {
                table.modify(Columns::one(index), Alignment::right());
                table.modify(
                    Cell::new(1, index),
                    LineChar::horizontal(':', Offset::End(0)),
                );
            }
        }
        table.to_string()
    }

    /// Columns separated by spaces, numbers right-aligned, no trailing blanks.
    pub fn terminal(&self) -> String {
        let mut table = self.builder().build();
        match self.split_before {
            Some(column) => {
                table.with(Style::blank().verticals([(column, VerticalLine::new('|'))]))
            }
            None => table.with(Style::blank()),
        };
        for (index, (_, align)) in self.columns.iter().enumerate() {
            if *align == Align::Right {
                table.modify(Columns::one(index), Alignment::right());
            }
        }
        if let Some(width) = self.first_width {
            table.modify(Columns::first(), Width::truncate(width).suffix("~"));
        }
        table.modify(Columns::first(), Padding::new(0, 1, 0, 0));
        table.modify(Columns::last(), Padding::new(1, 0, 0, 0));
        table.to_string()
    }

    fn builder(&self) -> Builder {
        let mut builder = Builder::with_capacity(self.rows.len() + 1, self.columns.len());
        builder.push_record(self.columns.iter().map(|(header, _)| header.clone()));
        for row in &self.rows {
            builder.push_record(row.iter().cloned());
        }
        builder
    }
}

/// One latency column: its header and how a step's summary fills it.
#[derive(Clone, Copy)]
struct Stat {
    header: &'static str,
    cell: fn(&Summary) -> String,
}

/// Every latency column, in the reports' order.
const STATS: [Stat; 12] = [
    stat("count", |s| s.count.to_string()),
    stat("errors", |s| s.errors.to_string()),
    stat("req/s", |s| format!("{:.1}", s.throughput)),
    stat("mean", |s| ms(s.corrected.mean)),
    stat("stddev", |s| ms(s.corrected.stddev)),
    stat("p50", |s| ms(s.corrected.p50)),
    stat(P90, |s| ms(s.corrected.p90)),
    stat("p99", |s| ms(s.corrected.p99)),
    stat("p99.9", |s| ms(s.corrected.p99_9)),
    stat("max", |s| ms(s.corrected.max)),
    stat(RAW_P99, |s| ms(s.uncorrected.p99)),
    stat("raw max", |s| ms(s.uncorrected.max)),
];
const P90: &str = "p90";
/// The first uncorrected column: the terminal draws a bar before it.
const RAW_P99: &str = "raw p99";

const fn stat(header: &'static str, cell: fn(&Summary) -> String) -> Stat {
    Stat { header, cell }
}

fn ms(value: f64) -> String {
    format!("{value:.2}")
}

/// A table of latency figures: a label column, then one column per [`Stat`].
pub struct LatencyTable {
    stats: Vec<Stat>,
    table: Table,
}

impl LatencyTable {
    /// Every column: the Markdown page's tables.
    pub fn full(label: &str) -> Self {
        Self::with_stats(label, STATS.to_vec())
    }

    /// Without p90 and with step names cut to `label_width` characters, so that each row
    /// of the terminal summary stays one line.
    pub fn narrow(label: &str, label_width: usize) -> Self {
        let stats = STATS
            .into_iter()
            .filter(|stat| stat.header != P90)
            .collect();
        let mut table = Self::with_stats(label, stats);
        table.table.first_width = Some(label_width);
        table
    }

    fn with_stats(label: &str, stats: Vec<Stat>) -> Self {
        let columns: Vec<(&str, Align)> = std::iter::once((label, Align::Left))
            .chain(stats.iter().map(|stat| (stat.header, Align::Right)))
            .collect();
        let mut table = Table::new(&columns);
        // Corrected figures to the left of the bar, raw ones to the right.
        table.split_before = stats
            .iter()
            .position(|stat| stat.header == RAW_P99)
            .map(|index| index + 1);
        Self { stats, table }
    }

    pub fn row(&mut self, label: impl Into<String>, summary: &Summary) {
        let cells = self.stats.iter().map(|stat| (stat.cell)(summary));
        self.table.push(std::iter::once(label.into()).chain(cells));
    }

    pub fn table(&self) -> &Table {
        &self.table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::build::Latency;

    #[test]
    fn markdown_tables_mark_number_columns_right_aligned() {
        let mut table = Table::new(&[("step", Align::Left), ("count", Align::Right)]);
        table.push(["a / b", "12"]);
        table.push(["**all requests**", "1234567"]);
        let lines: Vec<String> = table.markdown().lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert!(lines[0].starts_with("| step ") && lines[0].ends_with(" count |"));
        assert!(
            lines[1].starts_with("|---") && lines[1].ends_with("-:|"),
            "{}",
            lines[1]
        );
        assert!(lines[2].ends_with("      12 |"), "{}", lines[2]);
        assert!(lines[3].starts_with("| **all requests** |"), "{}", lines[3]);
    }

    #[test]
    fn terminal_tables_align_cut_long_labels_and_split_raw_figures() {
        let summary = Summary {
            count: 3,
            errors: 1,
            errors_by_kind: Default::default(),
            statuses: Default::default(),
            throughput: 2.0,
            corrected: latency(12.5),
            uncorrected: latency(1.0),
        };
        let mut table = LatencyTable::narrow("step", 10);
        table.row("a very long step name", &summary);
        table.row("short", &summary);
        let text = table.table().terminal();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[1].starts_with("a very lo~ "), "{text}");
        assert!(lines[2].starts_with("short "), "{text}");
        // Corrected p99 12.50 left of the bar, raw p99 1.00 right of it, 2 decimals each.
        let (corrected, raw) = lines[2]
            .split_once('|')
            .expect("a bar before the raw figures");
        assert!(corrected.trim_end().ends_with("12.50"), "{text}");
        assert_eq!(raw.split_whitespace().collect::<Vec<_>>(), ["1.00", "1.00"]);
        assert!(lines[2].contains(" 2.0 "), "{text}");
        assert!(text.lines().all(|line| !line.ends_with(' ')), "{text:?}");
    }

    fn latency(value: f64) -> Latency {
        Latency {
            mean: value,
            stddev: value,
            min: value,
            p50: value,
            p90: value,
            p99: value,
            p99_9: value,
            max: value,
            distribution: Vec::new(),
        }
    }
}
