//! The two databases the contract runs on: a fresh SQLite file, a fresh PostgreSQL server.

use std::sync::Arc;

use hardware::store::{DatabaseUrl, Store, StoreError, open_store};

use test_support::postgres::PgServer;

/// A fresh, empty database of one kind, and raw SQL on it (to simulate what another program,
/// a person with a SQL shell, or another release would have left there).
pub trait Backend: Sized {
    /// The schema of the first release, run by hand: a database from before migrations.
    const FIRST_RELEASE_SCHEMA: &'static str;

    fn start() -> Self;
    fn url(&self) -> DatabaseUrl;
    async fn execute(&self, sql: &str);
    async fn query_i64(&self, sql: &str) -> i64;

    /// How the database is named in errors.
    fn name_in_errors(&self) -> String {
        self.url().redacted()
    }

    async fn try_open(&self) -> Result<Arc<dyn Store>, StoreError> {
        open_store(&self.url()).await
    }

    async fn open(&self) -> Arc<dyn Store> {
        self.try_open().await.unwrap()
    }
}

pub struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    fn connection(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("hw.db")).unwrap()
    }
}

impl Backend for Sqlite {
    const FIRST_RELEASE_SCHEMA: &'static str =
        include_str!("../../../src/store/migrations/sqlite/V1__initial_schema_and_seed.sql");

    fn start() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn url(&self) -> DatabaseUrl {
        DatabaseUrl::Sqlite(self.dir.path().join("hw.db"))
    }

    async fn execute(&self, sql: &str) {
        self.connection().execute_batch(sql).unwrap();
    }

    async fn query_i64(&self, sql: &str) -> i64 {
        self.connection()
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    }
}

pub struct Postgres {
    server: PgServer,
}

impl Backend for Postgres {
    const FIRST_RELEASE_SCHEMA: &'static str =
        include_str!("../../../src/store/migrations/postgres/V1__initial_schema.sql");

    fn start() -> Self {
        Self {
            server: PgServer::start(),
        }
    }

    fn url(&self) -> DatabaseUrl {
        DatabaseUrl::Postgres(self.server.url())
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
