//! The versioned migrations of both backends (the files in `migrations/`), compiled into the
//! binary and applied at start by `service_kit::database::schema`.
//!
//! Migration 1 is the schema as it was before migrations existed; every statement in it is
//! idempotent, so a database from before runs it unchanged and is recorded at version 1.
//! Never edit an applied migration: a change is a new file in both directories, named
//! `V2__expand_<what>.sql` when it only adds (the release before it then runs on the new schema
//! without migrating) and anything else when it removes or tightens (older binaries refuse it).

use service_kit::database::schema::Migrations;

mod sqlite_files {
    refinery::embed_migrations!("src/storage/migrations/sqlite");
}

mod postgres_files {
    refinery::embed_migrations!("src/storage/migrations/postgres");
}

/// Named after the service: hardware's tables may live in the same PostgreSQL database.
const HISTORY_TABLE: &str = "metrics_schema_history";

pub const SQLITE: Migrations = Migrations {
    runner: sqlite_files::migrations::runner,
    history_table: HISTORY_TABLE,
};

pub const POSTGRES: Migrations = Migrations {
    runner: postgres_files::migrations::runner,
    history_table: HISTORY_TABLE,
};

/// Refuses a schema newer than this binary knows, then applies what is missing.
pub fn migrate_sqlite(
    connection: &mut rusqlite::Connection,
    database: &str,
) -> Result<(), super::StorageError> {
    use service_kit::database::schema;
    let recorded = schema::sqlite_recorded_version(connection, &SQLITE, database)?;
    let newer = schema::sqlite_recorded_after(connection, &SQLITE, SQLITE.latest(), database)?;
    if let schema::Fit::RunsOnNewer { .. } = schema::fit(database, recorded, &newer, &SQLITE)? {
        return Ok(());
    }
    schema::run_sqlite(connection, &SQLITE, database)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let versions = |migrations: Migrations| {
            let mut versions: Vec<i32> = migrations
                .runner()
                .get_migrations()
                .iter()
                .map(|m| m.version())
                .collect();
            versions.sort();
            versions
        };
        assert_eq!(versions(SQLITE), versions(POSTGRES));
    }
}
