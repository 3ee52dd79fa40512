//! Errors from reading workflow files. Every variant names the file; parse and validation
//! errors also name the line, column and field, so a person editing TOML can fix it without
//! reading Rust.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a workflow file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The key the value belongs to, when it can be told from the line (`every` in
    /// `schedule = { requests = 60, every = "2x" }`).
    pub field: Option<String>,
    /// The offending line, shown under the message.
    pub source_line: String,
}

impl Location {
    /// Resolves a byte offset in `source` to a line and column.
    pub fn at(path: &Path, source: &str, offset: usize) -> Self {
        let offset = offset.min(source.len());
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let source_line = source[line_start..]
            .split('\n')
            .next()
            .unwrap_or_default()
            .trim_end()
            .to_owned();
        let field = key_before(&source[line_start..offset]);
        Self {
            path: path.to_owned(),
            line,
            column,
            field,
            source_line,
        }
    }
}

/// The last `key =` on a line before the value being reported.
fn key_before(line_prefix: &str) -> Option<String> {
    let equals = line_prefix.rfind('=')?;
    let key: String = line_prefix[..equals]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let key = key.trim_matches('"').to_owned();
    (!key.is_empty()).then_some(key)
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}, column {}",
            self.path.display(),
            self.line,
            self.column
        )?;
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("cannot read workflow file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax, a wrong type, an unknown or missing field, or a value that does not parse.
    #[error("{location}: {message}\n    {}", location.source_line)]
    Invalid {
        location: Box<Location>,
        message: String,
    },
    /// Valid TOML whose error toml could not place (rare: whole-document problems).
    #[error("{}: {message}", path.display())]
    Unplaced { path: PathBuf, message: String },
    #[error("{}: workflow includes itself through {chain}", path.display())]
    IncludeCycle { path: PathBuf, chain: String },
}

impl WorkflowError {
    pub(crate) fn from_toml(path: &Path, source: &str, error: toml::de::Error) -> Self {
        let message = error.message().trim().to_owned();
        match error.span() {
            Some(span) => WorkflowError::Invalid {
                location: Box::new(Location::at(path, source, span.start)),
                message,
            },
            None => WorkflowError::Unplaced {
                path: path.to_owned(),
                message,
            },
        }
    }

    pub(crate) fn invalid(
        path: &Path,
        source: &str,
        span: std::ops::Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        let mut location = Location::at(path, source, span.start);
        location.field = Some(field.to_owned());
        WorkflowError::Invalid {
            location: Box::new(location),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_names_the_line_column_and_key_of_an_inline_table_value() {
        let source = "name = \"w\"\nschedule = { requests = 60, every = \"2x\" }\n";
        let offset = source.find("\"2x\"").unwrap();
        let location = Location::at(Path::new("w.toml"), source, offset);
        assert_eq!(location.line, 2);
        assert_eq!(location.column, 37);
        assert_eq!(location.field.as_deref(), Some("every"));
        assert_eq!(
            location.to_string(),
            "w.toml, line 2, column 37, field `every`"
        );
    }
}
