//! Where flushed hours live. SQLite by default; several collectors can share one file (each
//! flush merges into the stored row inside a write transaction), and the query service can read
//! several files (`--source`) and merge their rows.

pub mod sources;
pub mod sqlite;

pub use sources::Sources;
pub use sqlite::SqliteStore;

use crate::aggregate::SketchDecodeError;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database {path}: row ({key}, hour {hour}): {source}")]
    CorruptRow {
        path: String,
        key: String,
        hour: i64,
        #[source]
        source: SketchDecodeError,
    },
}
