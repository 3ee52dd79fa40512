//! Versioned schema migrations, for SQLite and PostgreSQL alike, and the start-time check of
//! the schema version.
//!
//! Each service keeps its migrations as files (`V1__initial.sql`, `V2__...`) embedded with
//! `refinery::embed_migrations!`; refinery records what it applied in the service's history
//! table ([`Migrations::history_table`]) and refuses an applied migration whose file changed
//! (so a change is always a new file). What refinery does not do, and this module adds:
//! - refusing, before touching anything, a database whose schema is newer than the binary
//!   knows ([`fit`]; a schema newer only by `expand_` migrations is run on as it is), with a message that says what to do;
//! - adopting a database created before migrations existed ([`baseline_sqlite`],
//!   [`baseline_postgres`]): its schema is recorded as applied at the version it has,
//!   without running anything on it, so it opens unchanged and upgrades in place from there;
//! - one lock around migrating a shared PostgreSQL database, so any number of processes may
//!   start at once.
//!
//! refinery 0.10 was chosen because one crate covers both backends at the versions this
//! workspace pins (its rusqlite range ends at 0.41, its tokio-postgres range at 0.7).

use refinery::{Runner, Target};

use super::postgres::{describe, describe_chain};

/// One service's migrations for one backend.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// refinery's runner for the embedded files (`embedded::migrations::runner`).
    pub runner: fn() -> Runner,
    /// Where the applied migrations are recorded: one table per service (not refinery's
    /// default name), since several services may keep their tables in one PostgreSQL
    /// database.
    pub history_table: &'static str,
}

impl Migrations {
    pub fn runner(&self) -> Runner {
        let mut runner = (self.runner)();
        runner.set_migration_table_name(self.history_table);
        runner
    }

    /// The newest schema version these migrations reach.
    pub fn latest(&self) -> i64 {
        latest(&self.runner())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "database {database} has schema version {found}, but this binary knows versions up to \
         {supported} only: run the release that wrote it (or a newer one), or restore a backup \
         taken before it was upgraded"
    )]
    TooNew {
        database: String,
        found: i64,
        supported: i64,
    },
    #[error("database {database}: reading its schema version: {reason}")]
    Read { database: String, reason: String },
    #[error("database {database}: migrating its schema: {reason}")]
    Migrate { database: String, reason: String },
}

fn latest(runner: &Runner) -> i64 {
    runner
        .get_migrations()
        .iter()
        .map(|migration| i64::from(migration.version()))
        .max()
        .unwrap_or(0)
}

/// Prefix of a migration's name (`V2__expand_...sql`) that says it only adds (a nullable
/// column, a table, an index): the release before it runs on the schema it leaves, so
/// blue and green can share one database during a release. Anything else (dropping,
/// renaming, tightening) is a contract step, shipped a release after the code stopped using
/// what it removes, and older binaries refuse the schema it leaves.
pub const EXPAND_PREFIX: &str = "expand_";

/// What a binary does with the schema it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// Not newer than the binary knows: apply what is missing.
    Migrate,
    /// Newer, but only by expand migrations: run on it as it is, migrating nothing.
    RunsOnNewer { found: i64, supported: i64 },
}

/// Decides on a schema at version `found` whose migrations past this binary's newest are
/// named `newer` (from the history table): migrate, run on it as it is, or refuse.
pub fn fit(
    database: &str,
    found: Option<i64>,
    newer: &[String],
    migrations: &Migrations,
) -> Result<Fit, SchemaError> {
    let supported = migrations.latest();
    match found {
        Some(found) if found > supported => {
            let only_expands =
                !newer.is_empty() && newer.iter().all(|name| name.starts_with(EXPAND_PREFIX));
            if only_expands {
                tracing::info!(
                    database,
                    found,
                    supported,
                    ?newer,
                    "the schema is newer than this binary but only expanded: running on it as it is"
                );
                Ok(Fit::RunsOnNewer { found, supported })
            } else {
                Err(SchemaError::TooNew {
                    database: database.to_owned(),
                    found,
                    supported,
                })
            }
        }
        _ => Ok(Fit::Migrate),
    }
}

/// The names of the migrations recorded past `version`, oldest first.
pub fn sqlite_recorded_after(
    connection: &rusqlite::Connection,
    migrations: &Migrations,
    version: i64,
    database: &str,
) -> Result<Vec<String>, SchemaError> {
    let table = migrations.history_table;
    let read = || -> rusqlite::Result<Vec<String>> {
        if !sqlite_has_table(connection, table)? {
            return Ok(Vec::new());
        }
        let mut statement = connection.prepare(&format!(
            "SELECT name FROM {table} WHERE version > ?1 ORDER BY version"
        ))?;
        statement.query_map([version], |row| row.get(0))?.collect()
    };
    read().map_err(|err| SchemaError::Read {
        database: database.to_owned(),
        reason: err.to_string(),
    })
}

/// [`sqlite_recorded_after`] for PostgreSQL.
pub async fn postgres_recorded_after(
    client: &tokio_postgres::Client,
    migrations: &Migrations,
    version: i64,
    database: &str,
) -> Result<Vec<String>, SchemaError> {
    let table = migrations.history_table;
    let read = async {
        if !postgres_has_table(client, table).await? {
            return Ok(Vec::new());
        }
        let rows = client
            .query(
                &format!("SELECT name FROM {table} WHERE version > $1 ORDER BY version"),
                &[&schema_version(version)],
            )
            .await?;
        rows.iter().map(|row| row.try_get(0)).collect()
    };
    read.await
        .map_err(|err: tokio_postgres::Error| SchemaError::Read {
            database: database.to_owned(),
            reason: describe(&err),
        })
}

/// Whether a SQLite database has a table of this name.
pub fn sqlite_has_table(connection: &rusqlite::Connection, table: &str) -> rusqlite::Result<bool> {
    connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [table],
        |row| row.get(0),
    )
}

/// The newest migration refinery recorded, `None` when it never ran on this database.
pub fn sqlite_recorded_version(
    connection: &rusqlite::Connection,
    migrations: &Migrations,
    database: &str,
) -> Result<Option<i64>, SchemaError> {
    let table = migrations.history_table;
    let read = || -> rusqlite::Result<Option<i64>> {
        if !sqlite_has_table(connection, table)? {
            return Ok(None);
        }
        connection.query_row(&format!("SELECT MAX(version) FROM {table}"), [], |row| {
            row.get(0)
        })
    };
    read().map_err(|err| SchemaError::Read {
        database: database.to_owned(),
        reason: err.to_string(),
    })
}

/// Records migrations up to `version` as applied without running them (a database created
/// before migrations existed already has that schema).
pub fn baseline_sqlite(
    connection: &mut rusqlite::Connection,
    migrations: &Migrations,
    version: i64,
    database: &str,
) -> Result<(), SchemaError> {
    migrations
        .runner()
        .set_target(Target::FakeVersion(schema_version(version)))
        .run(connection)
        .map(drop)
        .map_err(|err| migrate_error(database, &err))
}

/// Applies every migration not applied yet, each in its own transaction; returns the
/// versions applied.
///
/// SQLite has no advisory lock: two processes opening one file at once may both find a
/// migration unapplied, and the second to record it fails. A second pass then finds it
/// recorded; a migration that truly fails fails again.
pub fn run_sqlite(
    connection: &mut rusqlite::Connection,
    migrations: &Migrations,
    database: &str,
) -> Result<Vec<i64>, SchemaError> {
    let runner = migrations.runner();
    runner
        .run(connection)
        .or_else(|_| runner.run(connection))
        .map(|report| applied_versions(&report))
        .map_err(|err| migrate_error(database, &err))
}

/// Whether a PostgreSQL database has a table of this name (on its search path).
pub async fn postgres_has_table(
    client: &tokio_postgres::Client,
    table: &str,
) -> Result<bool, tokio_postgres::Error> {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await?
        .try_get(0)
}

/// The newest migration refinery recorded, `None` when it never ran on this database.
pub async fn postgres_recorded_version(
    client: &tokio_postgres::Client,
    migrations: &Migrations,
    database: &str,
) -> Result<Option<i64>, SchemaError> {
    let table = migrations.history_table;
    let read = async {
        if !postgres_has_table(client, table).await? {
            return Ok(None);
        }
        let version: Option<i32> = client
            .query_one(&format!("SELECT MAX(version) FROM {table}"), &[])
            .await?
            .try_get(0)?;
        Ok(version.map(i64::from))
    };
    read.await
        .map_err(|err: tokio_postgres::Error| SchemaError::Read {
            database: database.to_owned(),
            reason: describe(&err),
        })
}

/// Takes the session-level advisory lock `key`: processes migrating one database take turns.
/// Release it with [`unlock_postgres`], or drop the connection (which releases it too).
pub async fn lock_postgres(
    client: &tokio_postgres::Client,
    key: i64,
    database: &str,
) -> Result<(), SchemaError> {
    advisory(client, "SELECT pg_advisory_lock($1)", key, database).await
}

pub async fn unlock_postgres(
    client: &tokio_postgres::Client,
    key: i64,
    database: &str,
) -> Result<(), SchemaError> {
    advisory(client, "SELECT pg_advisory_unlock($1)", key, database).await
}

async fn advisory(
    client: &tokio_postgres::Client,
    statement: &str,
    key: i64,
    database: &str,
) -> Result<(), SchemaError> {
    client
        .execute(statement, &[&key])
        .await
        .map(drop)
        .map_err(|err| SchemaError::Migrate {
            database: database.to_owned(),
            reason: describe(&err),
        })
}

/// [`baseline_sqlite`] for PostgreSQL.
pub async fn baseline_postgres(
    client: &mut tokio_postgres::Client,
    migrations: &Migrations,
    version: i64,
    database: &str,
) -> Result<(), SchemaError> {
    migrations
        .runner()
        .set_target(Target::FakeVersion(schema_version(version)))
        .run_async(client)
        .await
        .map(drop)
        .map_err(|err| migrate_error(database, &err))
}

/// [`run_sqlite`] for PostgreSQL.
pub async fn run_postgres(
    client: &mut tokio_postgres::Client,
    migrations: &Migrations,
    database: &str,
) -> Result<Vec<i64>, SchemaError> {
    migrations
        .runner()
        .run_async(client)
        .await
        .map(|report| applied_versions(&report))
        .map_err(|err| migrate_error(database, &err))
}

fn schema_version(version: i64) -> i32 {
    i32::try_from(version).unwrap_or(i32::MAX)
}

fn applied_versions(report: &refinery::Report) -> Vec<i64> {
    report
        .applied_migrations()
        .iter()
        .map(|migration| i64::from(migration.version()))
        .collect()
}

fn migrate_error(database: &str, err: &refinery::Error) -> SchemaError {
    SchemaError::Migrate {
        database: database.to_owned(),
        reason: describe_chain(err),
    }
}

#[cfg(test)]
mod tests {
    use refinery::Migration;

    use super::*;

    const TWO: Migrations = Migrations {
        runner: || {
            Runner::new(&[
                Migration::unapplied("V1__first", "CREATE TABLE a (x INTEGER);").unwrap(),
                Migration::unapplied("V2__second", "ALTER TABLE a ADD COLUMN y TEXT;").unwrap(),
            ])
        },
        history_table: "test_schema_history",
    };

    #[test]
    fn a_schema_newer_than_the_binary_is_refused_saying_what_was_found_and_what_to_do() {
        let err = fit("hw.db", Some(3), &[], &TWO).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("hw.db"), "{text}");
        assert!(text.contains("schema version 3"), "{text}");
        assert!(text.contains("up to 2"), "{text}");
        assert!(
            text.contains("newer") && text.contains("restore a backup"),
            "{text}"
        );
        for known in [None, Some(1), Some(2)] {
            assert_eq!(fit("hw.db", known, &[], &TWO), Ok(Fit::Migrate));
        }
    }

    #[test]
    fn a_newer_schema_made_only_by_expand_migrations_is_run_on_as_it_is() {
        let expand = vec!["expand_add_compute_ms".to_owned()];
        assert_eq!(
            fit("hw.db", Some(3), &expand, &TWO),
            Ok(Fit::RunsOnNewer {
                found: 3,
                supported: 2
            })
        );
        let mixed = vec!["expand_add_x".to_owned(), "drop_y".to_owned()];
        assert!(matches!(
            fit("hw.db", Some(4), &mixed, &TWO),
            Err(SchemaError::TooNew { found: 4, .. })
        ));
        // A version with no history row to explain it is not known to be an expansion.
        assert!(fit("hw.db", Some(3), &[], &TWO).is_err());
        assert_eq!(fit("hw.db", Some(2), &[], &TWO), Ok(Fit::Migrate));
    }

    #[test]
    fn the_names_past_a_version_are_read_from_the_history() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        assert!(
            sqlite_recorded_after(&connection, &TWO, 0, "m")
                .unwrap()
                .is_empty()
        );
        run_sqlite(&mut connection, &TWO, "m").unwrap();
        assert_eq!(
            sqlite_recorded_after(&connection, &TWO, 1, "m").unwrap(),
            vec!["second".to_owned()]
        );
    }

    #[test]
    fn migrations_apply_in_order_once_and_are_recorded() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        assert_eq!(
            sqlite_recorded_version(&connection, &TWO, "m").unwrap(),
            None
        );
        assert_eq!(run_sqlite(&mut connection, &TWO, "m").unwrap(), vec![1, 2]);
        assert_eq!(
            sqlite_recorded_version(&connection, &TWO, "m").unwrap(),
            Some(2)
        );
        assert!(run_sqlite(&mut connection, &TWO, "m").unwrap().is_empty());
        connection
            .execute("INSERT INTO a (x, y) VALUES (1, 'y')", [])
            .unwrap();
    }

    #[test]
    fn a_database_from_before_migrations_is_adopted_without_running_its_version() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        // Created by hand at version 1: running V1 again would fail (the table exists).
        connection
            .execute_batch("CREATE TABLE a (x INTEGER);")
            .unwrap();
        baseline_sqlite(&mut connection, &TWO, 1, "m").unwrap();
        assert_eq!(
            sqlite_recorded_version(&connection, &TWO, "m").unwrap(),
            Some(1)
        );
        assert_eq!(run_sqlite(&mut connection, &TWO, "m").unwrap(), vec![2]);
    }

    #[test]
    fn a_failing_migration_names_the_database() {
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE a (x INTEGER);")
            .unwrap();
        let err = run_sqlite(&mut connection, &TWO, "m.db").unwrap_err();
        assert!(err.to_string().contains("m.db"), "{err}");
    }
}
