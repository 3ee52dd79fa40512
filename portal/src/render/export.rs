//! The current view (filters and sort, every matching row rather than one page) as CSV or
//! JSON, for people who compare profiles in a spreadsheet or a script. Rendered once per
//! snapshot and query and cached like pages.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::domain::listing::Listing;
use crate::domain::query::MAX_PER_PAGE;
use crate::domain::{Catalog, PageQuery};

/// The two formats, named by the path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

#[derive(Serialize)]
struct ExportRow<'a> {
    id: i64,
    provider: &'a str,
    name: &'a str,
    /// `null` while not computed yet.
    availability: Option<&'static str>,
    computed_at: Option<String>,
    vcpus: Option<u32>,
    memory_gib: Option<f64>,
    gpus: Option<u32>,
}

/// The query's rows in its order, all pages at once (the page and page size are ignored).
pub fn export(catalog: &Catalog, query: &PageQuery, format: Format) -> String {
    // Every row on "page 1": MAX_PER_PAGE rows at a time would cut a large catalog short.
    let all = PageQuery {
        page: 1,
        per_page: u32::try_from(catalog.profiles.len())
            .unwrap_or(u32::MAX)
            .max(MAX_PER_PAGE),
        ..query.clone()
    };
    let listing = Listing::build(catalog, &all);
    let rows = listing.rows.iter().map(|p| ExportRow {
        id: p.id,
        provider: &p.provider,
        name: &p.name,
        availability: p.availability.map(|a| a.as_str()),
        computed_at: p.computed_at.and_then(|at| at.format(&Rfc3339).ok()),
        vcpus: p.vcpus,
        memory_gib: p.memory_gib,
        gpus: p.gpus,
    });
    match format {
        Format::Json => {
            serde_json::to_string(&rows.collect::<Vec<_>>()).expect("plain data always serializes")
        }
        Format::Csv => {
            let mut out =
                String::from("id,provider,name,availability,computed_at,vcpus,memory_gib,gpus\r\n");
            for row in rows {
                let fields = [
                    row.id.to_string(),
                    row.provider.to_owned(),
                    row.name.to_owned(),
                    row.availability.unwrap_or_default().to_owned(),
                    row.computed_at.unwrap_or_default(),
                    row.vcpus.map(|n| n.to_string()).unwrap_or_default(),
                    row.memory_gib.map(|n| n.to_string()).unwrap_or_default(),
                    row.gpus.map(|n| n.to_string()).unwrap_or_default(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            }
            out
        }
    }
}

/// RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`): names come from a database, not from us.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed_and_formulas_defused() {
        assert_eq!(csv_field("c5"), "c5");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1.5"), "-1.5");
    }
}
