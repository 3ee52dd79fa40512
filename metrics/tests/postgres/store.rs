//! The storage contract, written once and run against a SQLite file and a PostgreSQL server:
//! flushes merge, data survives reopening, and the schema is versioned (an older database
//! opens unchanged, a newer one is refused).

use metrics::aggregate::{HourStats, Pending};
use metrics::domain::{StatType, UtcHour};
use metrics::storage::{Database, StorageError, Store};

use test_support::postgres::PgServer;

/// Where the applied migrations are recorded (see metrics/src/storage/migrations.rs).
const HISTORY: &str = "metrics_schema_history";

/// A fresh, empty database of one kind, and raw SQL on it (to simulate what a newer release
/// or the release before migrations left there).
trait Backend: Sized {
    /// The schema of the release before migrations, run by hand.
    const FIRST_RELEASE_SCHEMA: &'static str;

    fn start() -> Self;
    fn database(&self) -> Database;
    async fn execute(&self, sql: &str);
    async fn query_i64(&self, sql: &str) -> i64;

    async fn try_open(&self) -> Result<Store, StorageError> {
        Store::open(&self.database()).await
    }

    async fn open(&self) -> Store {
        self.try_open().await.unwrap()
    }
}

struct Sqlite {
    dir: tempfile::TempDir,
}

impl Backend for Sqlite {
    const FIRST_RELEASE_SCHEMA: &'static str =
        include_str!("../../src/storage/migrations/sqlite/V1__initial_schema.sql");

    fn start() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn database(&self) -> Database {
        Database::Sqlite(self.dir.path().join("metrics.db"))
    }

    async fn execute(&self, sql: &str) {
        rusqlite::Connection::open(self.dir.path().join("metrics.db"))
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }

    async fn query_i64(&self, sql: &str) -> i64 {
        rusqlite::Connection::open(self.dir.path().join("metrics.db"))
            .unwrap()
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    }
}

struct Postgres {
    server: PgServer,
}

impl Backend for Postgres {
    const FIRST_RELEASE_SCHEMA: &'static str =
        include_str!("../../src/storage/migrations/postgres/V1__initial_schema.sql");

    fn start() -> Self {
        Self {
            server: PgServer::start(),
        }
    }

    fn database(&self) -> Database {
        crate::database(&self.server)
    }

    async fn execute(&self, sql: &str) {
        self.server.client().await.batch_execute(sql).await.unwrap();
    }

    async fn query_i64(&self, sql: &str) -> i64 {
        let row = self
            .server
            .client()
            .await
            .query_one(sql, &[])
            .await
            .unwrap();
        match row.try_get::<_, i64>(0) {
            Ok(value) => value,
            Err(_) => i64::from(row.get::<_, i32>(0)),
        }
    }
}

fn pending(entries: &[(&str, i64, f64)]) -> Pending {
    let mut pending = Pending::default();
    for &(key, hour, value) in entries {
        let mut stats = HourStats::default();
        stats.add(value);
        pending.merge_series(key.into(), UtcHour(hour), stats);
    }
    pending
}

async fn merge(store: &Store, entries: &[(&str, i64, f64)]) {
    let (_, result) = store.merge(pending(entries)).await;
    result.unwrap();
}

async fn flushes_merge_into_the_stored_row_even_from_another_connection<B: Backend>() {
    let database = B::start();
    let first = database.open().await;
    let second = database.open().await;
    merge(&first, &[("a", 5, 1.0), ("b", 5, 9.0)]).await;
    merge(&second, &[("a", 5, 3.0), ("a", 6, 100.0)]).await;

    let a5 = first.read("a", UtcHour(5)).await.unwrap().unwrap();
    assert_eq!(a5.count, 2);
    assert_eq!(a5.value(StatType::Average), Some(2.0));
    assert_eq!(a5.value(StatType::Max), Some(3.0));
    assert_eq!(first.read("a", UtcHour(6)).await.unwrap().unwrap().count, 1);
    assert!(first.read("a", UtcHour(7)).await.unwrap().is_none());
    assert!(first.read("c", UtcHour(5)).await.unwrap().is_none());
}

async fn data_survives_reopening_the_database<B: Backend>() {
    let database = B::start();
    merge(&database.open().await, &[("a", 1, 4.0)]).await;
    let reopened = database.open().await;
    reopened.ping().await.unwrap();
    assert_eq!(
        reopened.read("a", UtcHour(1)).await.unwrap().unwrap().min,
        4.0
    );
}

async fn a_schema_newer_than_the_binary_is_refused_saying_what_to_do<B: Backend>() {
    let database = B::start();
    drop(database.open().await);
    let supported = database
        .query_i64(&format!("SELECT MAX(version) FROM {HISTORY}"))
        .await;
    let newer = supported + 1;
    database
        .execute(&format!(
            "INSERT INTO {HISTORY} (version, name, applied_on, checksum)
             VALUES ({newer}, 'from_a_newer_release', '2030-01-01T00:00:00Z', '1')"
        ))
        .await;
    let err = database
        .try_open()
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains(&format!("schema version {newer}")), "{err}");
    assert!(err.contains(&format!("up to {supported}")), "{err}");
    assert!(err.contains("run the release"), "{err}");
    assert!(err.contains("restore a backup"), "{err}");
    assert!(err.contains(&database.database().redacted()), "{err}");
}

async fn a_database_from_before_migrations_opens_unchanged_at_version_1<B: Backend>() {
    let database = B::start();
    database.execute(B::FIRST_RELEASE_SCHEMA).await;
    merge(&database.open().await, &[("kept", 3, 7.0)]).await;
    assert_eq!(
        database
            .query_i64(&format!("SELECT MAX(version) FROM {HISTORY}"))
            .await,
        1
    );
    let reopened = database.open().await;
    assert_eq!(
        reopened
            .read("kept", UtcHour(3))
            .await
            .unwrap()
            .unwrap()
            .count,
        1
    );
}

macro_rules! storage_contract {
    ($backend:ty) => {
        #[tokio::test]
        async fn flushes_merge_into_the_stored_row_even_from_another_connection() {
            super::flushes_merge_into_the_stored_row_even_from_another_connection::<$backend>()
                .await;
        }

        #[tokio::test]
        async fn data_survives_reopening_the_database() {
            super::data_survives_reopening_the_database::<$backend>().await;
        }

        #[tokio::test]
        async fn a_schema_newer_than_the_binary_is_refused_saying_what_to_do() {
            super::a_schema_newer_than_the_binary_is_refused_saying_what_to_do::<$backend>().await;
        }

        #[tokio::test]
        async fn a_database_from_before_migrations_opens_unchanged_at_version_1() {
            super::a_database_from_before_migrations_opens_unchanged_at_version_1::<$backend>()
                .await;
        }
    };
}

mod sqlite {
    storage_contract!(super::Sqlite);
}

mod postgres {
    storage_contract!(super::Postgres);
}
