//! Where a service's data lives, as named by `--database` (or a `--source`), and how that
//! name is shown in logs.

use std::path::{Path, PathBuf};

/// Why a `--database` value was refused; the message names the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDatabaseUrl {
    #[error("the database URL is empty")]
    Empty,
    #[error("'{0}' names no SQLite file")]
    NoSqlitePath(String),
    #[error(
        "unsupported database scheme '{0}' (use a SQLite path, sqlite://PATH, sqlite:PATH or postgres://...)"
    )]
    UnsupportedScheme(String),
}

/// A database as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    /// The full URL, credentials included: never print it, print [`DatabaseUrl::redacted`].
    Postgres(String),
}

impl DatabaseUrl {
    /// A SQLite database may be created, its directory not: a mistyped path is refused before
    /// anything is bound or created. The message names `flag`.
    pub fn check_directory(&self, flag: &str) -> Result<(), String> {
        match self {
            DatabaseUrl::Sqlite(path) => {
                crate::config::check_parent_dir(path).map_err(|problem| format!("{flag} {problem}"))
            }
            DatabaseUrl::Postgres(_) => Ok(()),
        }
    }

    /// Accepts a plain path, `sqlite://PATH`, `sqlite:PATH`, or `postgres://...` /
    /// `postgresql://...`.
    pub fn parse(raw: &str) -> Result<Self, InvalidDatabaseUrl> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(InvalidDatabaseUrl::Empty);
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if let Some((scheme, _)) = raw.split_once("://")
            && scheme != "sqlite"
        {
            return Err(InvalidDatabaseUrl::UnsupportedScheme(scheme.to_owned()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .unwrap_or(raw);
        if path.is_empty() {
            return Err(InvalidDatabaseUrl::NoSqlitePath(raw.to_owned()));
        }
        Ok(Self::Sqlite(path.into()))
    }

    /// The database for logs and errors, with no secret in it: a SQLite file is its path; a
    /// PostgreSQL URL loses its user and password, and its whole query string when that
    /// mentions a password (`?password=...`), since a query string may carry it under any
    /// spelling the driver accepts.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => redact_postgres(url),
        }
    }
}

fn redact_postgres(url: &str) -> String {
    let url = match url.split_once('?') {
        Some((base, query)) if query.to_ascii_lowercase().contains("password") => base,
        _ => url,
    };
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl From<PathBuf> for DatabaseUrl {
    fn from(path: PathBuf) -> Self {
        Self::Sqlite(path)
    }
}

impl From<&Path> for DatabaseUrl {
    fn from(path: &Path) -> Self {
        Self::Sqlite(path.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_parse_paths_sqlite_and_postgres() {
        assert_eq!(
            DatabaseUrl::parse("hardware.db"),
            Ok(DatabaseUrl::Sqlite("hardware.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db"),
            Ok(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/m.db"),
            Ok(DatabaseUrl::Sqlite("/var/m.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:rel/m.db"),
            Ok(DatabaseUrl::Sqlite("rel/m.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@db/hw"),
            Ok(DatabaseUrl::Postgres("postgres://u:p@db/hw".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@db/m"),
            Ok(DatabaseUrl::Postgres("postgresql://u@db/m".into()))
        );
        assert!(
            DatabaseUrl::parse("mysql://x")
                .unwrap_err()
                .to_string()
                .contains("'mysql'")
        );
        assert!(DatabaseUrl::parse(" ").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite:").is_err());
    }

    #[test]
    fn redaction_hides_credentials() {
        let url = DatabaseUrl::parse("postgres://user:secret@db:5432/hw").unwrap();
        assert_eq!(url.redacted(), "postgres://***@db:5432/hw");
        let url = DatabaseUrl::parse("postgres://user:s3cret@db:5432/m").unwrap();
        assert_eq!(url.redacted(), "postgres://***@db:5432/m");
        let url = DatabaseUrl::parse("postgres://db/m?user=u&password=s3cret").unwrap();
        assert_eq!(url.redacted(), "postgres://db/m");
        let url = DatabaseUrl::parse("postgres://db/m?connect_timeout=2").unwrap();
        assert_eq!(url.redacted(), "postgres://db/m?connect_timeout=2");
    }

    #[test]
    fn no_secret_survives_redaction_in_any_accepted_form() {
        for url in [
            "postgres://hw:secret@127.0.0.1:5432/hw",
            "postgresql://hw:secret@db/hw?sslmode=disable",
            "postgres://db/hw?password=secret",
            "postgres://db/hw?user=hw&PASSWORD=secret&connect_timeout=2",
            "postgres://hw:p%40ss@word:secret@db/hw",
        ] {
            let redacted = DatabaseUrl::parse(url).unwrap().redacted();
            assert!(!redacted.contains("secret"), "{url} -> {redacted}");
        }
        let sqlite = DatabaseUrl::parse("sqlite:data/hw.db").unwrap();
        assert_eq!(sqlite.redacted(), "data/hw.db");
    }
}
