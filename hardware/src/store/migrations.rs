//! The versioned migrations of both backends (the files in `migrations/`, see its README),
//! compiled into the binary.

mod sqlite_files {
    refinery::embed_migrations!("src/store/migrations/sqlite");
}

mod postgres_files {
    refinery::embed_migrations!("src/store/migrations/postgres");
}

use service_kit::database::schema::Migrations;

/// Where each backend records its applied migrations: named after the service, since metrics
/// may keep its tables in the same PostgreSQL database.
const HISTORY_TABLE: &str = "hardware_schema_history";

pub const SQLITE: Migrations = Migrations {
    runner: sqlite_files::migrations::runner,
    history_table: HISTORY_TABLE,
};

pub const POSTGRES: Migrations = Migrations {
    runner: postgres_files::migrations::runner,
    history_table: HISTORY_TABLE,
};

#[cfg(test)]
fn sqlite() -> refinery::Runner {
    SQLITE.runner()
}

#[cfg(test)]
fn postgres() -> refinery::Runner {
    POSTGRES.runner()
}

/// `database.sql` at the repository root: the SQLite migrations in order, behind this header.
#[cfg(test)]
const DATABASE_SQL_HEADER: &str = "\
-- Schema and seed catalog for the `hardware` service (SQLite).
--   sqlite3 database.db < database.sql
-- Generated from hardware/src/store/migrations/sqlite, which the service applies itself, in
-- order, to a new or older database: do not edit it by hand. After adding a migration:
--   UPDATE_DATABASE_SQL=1 cargo test -p hardware database_sql
";

#[cfg(test)]
mod tests {
    use refinery::Target;
    use rusqlite::Connection;

    use super::*;

    const DATABASE_SQL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../database.sql");

    fn generated_database_sql() -> String {
        let runner = sqlite();
        let mut migrations: Vec<_> = runner.get_migrations().iter().collect();
        migrations.sort_by_key(|migration| migration.version());
        let mut text = DATABASE_SQL_HEADER.to_owned();
        for migration in migrations {
            text.push('\n');
            text.push_str(migration.sql().expect("an embedded migration has its SQL"));
        }
        text
    }

    /// (name, SQL) of every table and index, and (id, provider/name) of every catalog row.
    type Contents = (Vec<(String, String)>, Vec<(i64, String)>);

    /// Every table, index and row of the catalog, to compare two databases.
    fn contents(connection: &Connection) -> Contents {
        let mut schema = connection
            .prepare(
                "SELECT name, sql FROM sqlite_master
                 WHERE sql IS NOT NULL AND name NOT LIKE '%schema_history' ORDER BY name",
            )
            .unwrap();
        let schema = schema
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        let mut catalog = connection
            .prepare("SELECT id, provider || '/' || name FROM hardware ORDER BY id")
            .unwrap();
        let catalog = catalog
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<Vec<_>>>()
            .unwrap();
        (schema, catalog)
    }

    #[test]
    fn database_sql_is_generated_from_the_sqlite_migrations() {
        let expected = generated_database_sql();
        if std::env::var_os("UPDATE_DATABASE_SQL").is_some() {
            std::fs::write(DATABASE_SQL_PATH, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(DATABASE_SQL_PATH).unwrap();
        assert!(
            actual == expected,
            "database.sql differs from hardware/src/store/migrations/sqlite: run \
             UPDATE_DATABASE_SQL=1 cargo test -p hardware database_sql"
        );
    }

    #[test]
    fn database_sql_and_the_migrations_build_the_same_database() {
        let by_hand = Connection::open_in_memory().unwrap();
        by_hand
            .execute_batch(&std::fs::read_to_string(DATABASE_SQL_PATH).unwrap())
            .unwrap();
        let mut migrated = Connection::open_in_memory().unwrap();
        sqlite().run(&mut migrated).unwrap();
        assert_eq!(contents(&by_hand), contents(&migrated));
    }

    #[test]
    fn every_migration_records_its_version_in_meta() {
        let runner = sqlite();
        let versions: Vec<i32> = runner
            .get_migrations()
            .iter()
            .map(|m| m.version())
            .collect();
        for version in versions {
            let mut connection = Connection::open_in_memory().unwrap();
            sqlite()
                .set_target(Target::Version(version))
                .run(&mut connection)
                .unwrap();
            let recorded: String = connection
                .query_row(
                    "SELECT value FROM meta WHERE key = 'schema_version'",
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(recorded, version.to_string());
        }
    }

    /// The expand_ rule (README): the previous release runs on a schema an `expand_`
    /// migration produced, so such a migration may only add. Checked on SQLite: every table
    /// and index before it is still there, with the same definition, after it.
    #[test]
    fn expand_migrations_only_add_to_the_schema() {
        let runner = sqlite();
        let expanding: Vec<i32> = runner
            .get_migrations()
            .iter()
            .filter(|m| m.name().contains("expand_"))
            .map(|m| m.version())
            .collect();
        assert!(
            expanding.contains(&2),
            "V2__expand_availability_history is one"
        );
        for version in expanding {
            let mut connection = Connection::open_in_memory().unwrap();
            sqlite()
                .set_target(Target::Version(version - 1))
                .run(&mut connection)
                .unwrap();
            let (before, catalog_before) = contents(&connection);
            sqlite()
                .set_target(Target::Version(version))
                .run(&mut connection)
                .unwrap();
            let (after, catalog_after) = contents(&connection);
            for object in &before {
                assert!(
                    after.contains(object),
                    "migration {version} changed or dropped {}",
                    object.0
                );
            }
            assert!(
                after.len() > before.len(),
                "migration {version} adds nothing"
            );
            assert_eq!(catalog_before, catalog_after, "migration {version}");
        }
    }

    #[test]
    fn both_backends_have_the_same_migration_versions() {
        let versions = |runner: refinery::Runner| {
            let mut versions: Vec<i32> = runner
                .get_migrations()
                .iter()
                .map(|m| m.version())
                .collect();
            versions.sort();
            versions
        };
        assert_eq!(versions(sqlite()), versions(postgres()));
    }
}
