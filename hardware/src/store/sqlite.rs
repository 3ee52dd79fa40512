//! The embedded default: one SQLite file, used by one `hardware` process.
//!
//! rusqlite is blocking, so every call runs on tokio's blocking pool (never on the async
//! worker threads) over a single connection. One connection is enough: the service reads the
//! whole catalog once at start and then only writes small batches and reads small deltas.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use service_kit::database::schema;

use super::{NewProfile, PruneStep, Store, StoreError, database_id, migrations, timestamp};
use crate::availability::Availability;
use crate::profile::{
    ComputedAvailability, HistoryEntry, Profile, ProfileId, ProfileRow, RECENT_LEN,
};

/// The schema and seed catalog as of the newest migration (generated from
/// `migrations/sqlite`, see the test below), for `sqlite3 hw.db < database.sql` and the
/// PostgreSQL seed.
pub const SCHEMA_AND_SEED: &str = include_str!("../../../database.sql");

#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    /// Corrupt values met while loading rows (each logged once, where it was found).
    corrupt_seen: Arc<AtomicU64>,
}

impl SqliteStore {
    /// Opens the file, creating it from `database.sql` when it does not exist. Leases left by
    /// a previous process on this file are cleared: a SQLite file has one process.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let opened = path.to_path_buf();
        let connection = tokio::task::spawn_blocking(move || open_blocking(&opened))
            .await
            .map_err(|err| StoreError::TaskFailed(err.to_string()))??;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            corrupt_seen: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn with_connection<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = connection
                .lock()
                .map_err(|_| StoreError::TaskFailed("a database task panicked".into()))?;
            work(&mut connection)
        })
        .await
        .map_err(|err| StoreError::TaskFailed(err.to_string()))?
    }
}

fn open_blocking(path: &Path) -> Result<Connection, StoreError> {
    let existed = path.exists();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|err| StoreError::Open {
            path: path.display().to_string(),
            reason: err.to_string(),
        })?;
    }
    let mut connection = Connection::open(path).map_err(|err| StoreError::Open {
        path: path.display().to_string(),
        reason: err.to_string(),
    })?;
    // WAL lets `sqlite3` read the file while the service writes; NORMAL sync is durable
    // across process crashes (only an OS crash may lose the last transactions).
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.busy_timeout(Duration::from_secs(5))?;

    if !existed {
        tracing::info!(path = %path.display(), "creating and seeding a new database");
    }
    migrate(&mut connection, path, existed)?;
    check_schema(&connection, path)?;
    // Rows added to `hardware` by hand (sqlite3) get their availability row here.
    connection.execute(
        "INSERT OR IGNORE INTO availability (hardware_id, seq)
         SELECT id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM availability) FROM hardware",
        [],
    )?;
    connection.execute(
        "UPDATE availability SET claimed_by = NULL, claim_expires_at = NULL
         WHERE claimed_by IS NOT NULL",
        [],
    )?;
    Ok(connection)
}

/// Brings the schema to the newest version this binary knows, refusing a newer one. A file
/// from before migrations existed (our tables, no migration history) is checked to be ours
/// and adopted at the version its `meta.schema_version` names, without running anything on
/// it: migration 1 would seed it again.
fn migrate(connection: &mut Connection, path: &Path, existed: bool) -> Result<(), StoreError> {
    let label = path.display().to_string();
    let recorded = schema::sqlite_recorded_version(connection, &migrations::SQLITE, &label)?;
    let legacy = legacy_schema_version(connection, path)?;
    let newer = schema::sqlite_recorded_after(
        connection,
        &migrations::SQLITE,
        migrations::SQLITE.latest(),
        &label,
    )?;
    if let schema::Fit::RunsOnNewer { .. } =
        schema::fit(&label, recorded.max(legacy), &newer, &migrations::SQLITE)?
    {
        return Ok(());
    }
    if existed && recorded.is_none() {
        check_schema(connection, path)?;
        schema::baseline_sqlite(connection, &migrations::SQLITE, legacy.unwrap_or(1), &label)?;
    }
    let applied = schema::run_sqlite(connection, &migrations::SQLITE, &label)?;
    if existed && !applied.is_empty() {
        tracing::info!(path = %path.display(), ?applied, "applied schema migrations");
    }
    Ok(())
}

/// The version a file records in `meta` (written since the first release), if it has one.
fn legacy_schema_version(connection: &Connection, path: &Path) -> Result<Option<i64>, StoreError> {
    let not_ours = |err: rusqlite::Error| StoreError::NotOurSchema {
        path: path.display().to_string(),
        reason: err.to_string(),
    };
    if !schema::sqlite_has_table(connection, "meta").map_err(not_ours)? {
        return Ok(None);
    }
    let value: Option<String> = connection
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(not_ours)?;
    value.map(super::parse_schema_version).transpose()
}

fn check_schema(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    connection
        .query_row(
            "SELECT h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus,
                    a.availability, a.computed_at, a.seq, a.claimed_by, a.claim_expires_at
             FROM hardware h LEFT JOIN availability a ON a.hardware_id = h.id LIMIT 1",
            [],
            |_| Ok(()),
        )
        .optional()
        .map_err(|err| StoreError::NotOurSchema {
            path: path.display().to_string(),
            reason: err.to_string(),
        })?;
    let id: Option<String> = connection
        .query_row(
            "SELECT value FROM meta WHERE key = 'database_id'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|err| StoreError::NotOurSchema {
            path: path.display().to_string(),
            reason: err.to_string(),
        })?;
    if id.is_none() {
        connection.execute(
            "INSERT INTO meta (key, value) VALUES ('database_id', lower(hex(randomblob(6))))",
            [],
        )?;
    }
    Ok(())
}

fn next_seq(tx: &rusqlite::Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM availability",
        [],
        |row| row.get(0),
    )?)
}

/// A row as read, before its values are checked: SQLite keeps whatever a column was given
/// (any text, a number where text belongs), so nothing is trusted until [`check_row`].
struct RawRow {
    id: ProfileId,
    values: [rusqlite::types::Value; 8],
}

fn row_from_sql(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: row.get(0)?,
        values: [
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
            row.get(6)?,
            row.get(7)?,
            row.get(8)?,
        ],
    })
}

/// What one row's values amount to. A corrupt value costs its row only: a bad catalog column
/// leaves the profile out, a bad availability column makes it "never computed" (and
/// recomputed), so one bad row never stops the service from starting.
enum Checked {
    Good(ProfileRow),
    /// Served as never computed; its availability columns are reset so it is recomputed.
    BadAvailability(ProfileRow, Corrupt),
    /// Left out: a profile without a usable name or size cannot be shown.
    BadProfile(Corrupt),
}

#[derive(Debug)]
struct Corrupt {
    id: ProfileId,
    column: &'static str,
    value: String,
}

fn check_row(raw: RawRow) -> Checked {
    use rusqlite::types::Value;
    let id = raw.id;
    let [
        provider,
        name,
        vcpus,
        memory_gib,
        gpus,
        availability,
        computed_at,
        seq,
    ] = raw.values;
    let bad = |column: &'static str, value: &Value| Corrupt {
        id,
        column,
        value: format!("{value:?}"),
    };
    let text = |column, value: Value| match value {
        Value::Text(text) => Ok(text),
        other => Err(bad(column, &other)),
    };
    let integer = |column, value: Value| match value {
        Value::Integer(n) => Ok(n),
        other => Err(bad(column, &other)),
    };
    let profile = (|| {
        Ok::<_, Corrupt>(ProfileRow {
            id,
            provider: text("hardware.provider", provider)?,
            name: text("hardware.name", name)?,
            vcpus: integer("hardware.vcpus", vcpus)?,
            memory_gib: match memory_gib {
                Value::Real(gib) => gib,
                Value::Integer(gib) => gib as f64,
                other => return Err(bad("hardware.memory_gib", &other)),
            },
            gpus: integer("hardware.gpus", gpus)?,
            recent: Vec::new(),
            availability: None,
            computed_at: None,
            seq: match seq {
                Value::Integer(seq) => seq,
                _ => 0,
            },
        })
    })();
    let mut row = match profile {
        Ok(row) => row,
        Err(corrupt) => return Checked::BadProfile(corrupt),
    };
    let values = (|| {
        let availability = match availability {
            Value::Null => None,
            Value::Text(text) => Some(
                text.parse::<Availability>()
                    .map_err(|_| bad("availability.availability", &Value::Text(text)))?,
            ),
            other => return Err(bad("availability.availability", &other)),
        };
        let computed_at = match computed_at {
            Value::Null => None,
            Value::Text(text) => Some(
                timestamp::parse(&text)
                    .ok_or_else(|| bad("availability.computed_at", &Value::Text(text)))?,
            ),
            other => return Err(bad("availability.computed_at", &other)),
        };
        Ok((availability, computed_at))
    })();
    match values {
        Ok((availability, computed_at)) => {
            row.availability = availability;
            row.computed_at = computed_at;
            Checked::Good(row)
        }
        Err(corrupt) => Checked::BadAvailability(row, corrupt),
    }
}

/// Checks every row read, logs each corrupt value once (with its row and column) and resets
/// the availability of rows whose value cannot be read, so the refresher recomputes them.
fn check_rows(
    connection: &Connection,
    raw: Vec<RawRow>,
    corrupt_seen: &AtomicU64,
) -> Vec<ProfileRow> {
    let mut rows = Vec::with_capacity(raw.len());
    let mut reset = Vec::new();
    for raw in raw {
        match check_row(raw) {
            Checked::Good(row) => rows.push(row),
            Checked::BadAvailability(row, corrupt) => {
                tracing::warn!(
                    profile = corrupt.id,
                    column = corrupt.column,
                    value = %corrupt.value,
                    "corrupt value: serving the profile as never computed and recomputing it"
                );
                corrupt_seen.fetch_add(1, Ordering::Relaxed);
                reset.push(row.id);
                rows.push(row);
            }
            Checked::BadProfile(corrupt) => {
                tracing::warn!(
                    profile = corrupt.id,
                    column = corrupt.column,
                    value = %corrupt.value,
                    "corrupt value: leaving the profile out of the catalog"
                );
                corrupt_seen.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    for id in reset {
        // Best effort: on a read-only file the row stays corrupt on disk and is served as
        // never computed; the next start logs it again.
        if let Err(err) = connection.execute(
            "UPDATE availability SET availability = NULL, computed_at = NULL
             WHERE hardware_id = ?1",
            params![id],
        ) {
            tracing::warn!(profile = id, %err, "cannot reset the corrupt availability");
        }
    }
    rows
}

fn profile_from_sql(row: &rusqlite::Row<'_>) -> rusqlite::Result<Profile> {
    Ok(Profile {
        id: row.get(0)?,
        provider: row.get(1)?,
        name: row.get(2)?,
        vcpus: row.get(3)?,
        memory_gib: row.get(4)?,
        gpus: row.get(5)?,
    })
}

const PROFILE_COLUMNS: &str = "h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus";

/// The whole catalog with its availability, by id.
const LOAD_ALL: &str = "SELECT h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus,
                               a.availability, a.computed_at, a.seq
                        FROM hardware h LEFT JOIN availability a ON a.hardware_id = h.id
                        ORDER BY h.id";

/// The rows written after seq ?1, found through `availability_by_seq`. CROSS JOIN fixes the
/// join order in SQLite (availability outside): with a plain JOIN some SQLite versions scan
/// `hardware` in id order to save the sort, which reads the whole catalog on every delta.
const LOAD_SINCE: &str = "SELECT h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus,
                                 a.availability, a.computed_at, a.seq
                          FROM availability a CROSS JOIN hardware h ON h.id = a.hardware_id
                          WHERE a.seq > ?1
                          ORDER BY h.id";

/// The latest results of one profile, newest first, through `availability_history_latest`.
const LOAD_HISTORY: &str = "SELECT availability, computed_at FROM availability_history
                            WHERE hardware_id = ?1
                            ORDER BY computed_at DESC, id DESC LIMIT ?2";

/// History rows that cannot be read are skipped (and logged): one bad row must not hide the
/// others, nor fail the catalog load.
fn history_from_rows(
    id: ProfileId,
    rows: Vec<(rusqlite::types::Value, rusqlite::types::Value)>,
) -> Vec<HistoryEntry> {
    use rusqlite::types::Value;
    rows.into_iter()
        .filter_map(|(availability, computed_at)| {
            let entry = match (&availability, &computed_at) {
                (Value::Text(availability), Value::Text(computed_at)) => availability
                    .parse::<Availability>()
                    .ok()
                    .zip(timestamp::parse(computed_at))
                    .map(|(availability, computed_at)| HistoryEntry {
                        availability,
                        computed_at,
                    }),
                _ => None,
            };
            if entry.is_none() {
                tracing::warn!(
                    profile = id,
                    ?availability,
                    ?computed_at,
                    "corrupt history row: left out"
                );
            }
            entry
        })
        .collect()
}

fn read_history(
    connection: &Connection,
    id: ProfileId,
    limit: usize,
) -> Result<Vec<HistoryEntry>, StoreError> {
    let rows = connection
        .prepare_cached(LOAD_HISTORY)?
        .query_map(params![id, limit as i64], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(history_from_rows(id, rows))
}

/// Fills each row's `recent`: one indexed probe of `availability_history_latest` per row, so
/// a full load (once, at start) pays one per profile and a delta only what changed.
fn fill_recent(connection: &Connection, rows: &mut [ProfileRow]) -> Result<(), StoreError> {
    for row in rows {
        row.recent = read_history(connection, row.id, RECENT_LEN)?
            .into_iter()
            .map(|entry| entry.availability)
            .collect();
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    fn corrupt_values(&self) -> u64 {
        self.corrupt_seen.load(Ordering::Relaxed)
    }

    async fn database_id(&self) -> Result<String, StoreError> {
        self.with_connection(|connection| {
            let id: String = connection.query_row(
                "SELECT value FROM meta WHERE key = 'database_id'",
                [],
                |row| row.get(0),
            )?;
            if database_id::is_header_safe(&id) {
                return Ok(id);
            }
            let fresh = database_id::fresh();
            connection.execute(
                "UPDATE meta SET value = ?1 WHERE key = 'database_id'",
                [&fresh],
            )?;
            database_id::warn_replaced(&id, &fresh);
            Ok(fresh)
        })
        .await
    }

    async fn load_rows(&self, since_seq: Option<i64>) -> Result<Vec<ProfileRow>, StoreError> {
        let corrupt_seen = self.corrupt_seen.clone();
        self.with_connection(move |connection| {
            let rows = match since_seq {
                None => connection
                    .prepare_cached(LOAD_ALL)?
                    .query_map([], row_from_sql)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
                // Its own statement, so that the seq index drives it: a delta costs what
                // changed, not a scan of the catalog (`?1 IS NULL OR a.seq > ?1` scanned it).
                Some(since) => connection
                    .prepare_cached(LOAD_SINCE)?
                    .query_map(params![since], row_from_sql)?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            };
            let mut rows = check_rows(connection, rows, &corrupt_seen);
            fill_recent(connection, &mut rows)?;
            Ok(rows)
        })
        .await
    }

    async fn claim_due(
        &self,
        owner: &str,
        limit: usize,
        stale_before: OffsetDateTime,
        lease: Duration,
        exclude: &[ProfileId],
    ) -> Result<Vec<Profile>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let owner = owner.to_owned();
        let exclude: std::collections::HashSet<ProfileId> = exclude.iter().copied().collect();
        // Excluded profiles are dropped after reading, so each query reads that many more rows
        // (a few: the caller's in-flight computations) and still fills `limit`.
        let read = (limit + exclude.len()) as i64;
        self.with_connection(move |connection| {
            let now = timestamp::now();
            let now_text = timestamp::format(now);
            let expires = timestamp::format(now + lease);
            let stale_before = timestamp::format(stale_before);
            let tx = connection.transaction()?;
            let mut claimed = Vec::with_capacity(limit);
            // Two indexed queries rather than one sort over the whole table: never computed
            // first (by id), then the oldest values.
            {
                let mut never = tx.prepare_cached(&format!(
                    "SELECT {PROFILE_COLUMNS} FROM availability a JOIN hardware h ON h.id = a.hardware_id
                     WHERE a.computed_at IS NULL
                       AND (a.claimed_by IS NULL OR a.claim_expires_at < ?1)
                     ORDER BY a.hardware_id LIMIT ?2"
                ))?;
                for profile in never.query_map(params![now_text, read], profile_from_sql)? {
                    // A corrupt catalog row cannot be computed; it must not block the others.
                    let Ok(profile) = profile else { continue };
                    if claimed.len() < limit && !exclude.contains(&profile.id) {
                        claimed.push(profile);
                    }
                }
            }
            if claimed.len() < limit {
                let mut oldest = tx.prepare_cached(&format!(
                    "SELECT {PROFILE_COLUMNS} FROM availability a JOIN hardware h ON h.id = a.hardware_id
                     WHERE a.computed_at < ?1
                       AND (a.claimed_by IS NULL OR a.claim_expires_at < ?2)
                     ORDER BY a.computed_at, a.hardware_id LIMIT ?3"
                ))?;
                let rest = (limit - claimed.len()) as i64 + exclude.len() as i64;
                for profile in
                    oldest.query_map(params![stale_before, now_text, rest], profile_from_sql)?
                {
                    let Ok(profile) = profile else { continue };
                    if claimed.len() < limit && !exclude.contains(&profile.id) {
                        claimed.push(profile);
                    }
                }
            }
            {
                let mut lease_it = tx.prepare_cached(
                    "UPDATE availability SET claimed_by = ?1, claim_expires_at = ?2 WHERE hardware_id = ?3",
                )?;
                for profile in &claimed {
                    lease_it.execute(params![owner, expires, profile.id])?;
                }
            }
            tx.commit()?;
            Ok(claimed)
        })
        .await
    }

    async fn save_results(
        &self,
        owner: &str,
        results: &[ComputedAvailability],
    ) -> Result<Vec<ProfileRow>, StoreError> {
        let owner = owner.to_owned();
        let results = results.to_vec();
        self.with_connection(move |connection| {
            let tx = connection.transaction()?;
            let mut seq = next_seq(&tx)?;
            let mut saved = Vec::with_capacity(results.len());
            {
                // The lease check keeps a slow process from overwriting a newer value computed
                // after its lease expired and another process took the profile over.
                let mut update = tx.prepare_cached(
                    "UPDATE availability
                     SET availability = ?1, computed_at = ?2, seq = ?3,
                         claimed_by = NULL, claim_expires_at = NULL
                     WHERE hardware_id = ?4 AND (claimed_by IS NULL OR claimed_by = ?5)",
                )?;
                let mut append = tx.prepare_cached(
                    "INSERT INTO availability_history (hardware_id, availability, computed_at)
                     VALUES (?1, ?2, ?3)",
                )?;
                for result in &results {
                    let changed = update.execute(params![
                        result.availability.as_str(),
                        timestamp::format(result.computed_at),
                        seq,
                        result.profile.id,
                        owner,
                    ])?;
                    if changed == 1 {
                        append.execute(params![
                            result.profile.id,
                            result.availability.as_str(),
                            timestamp::format(result.computed_at),
                        ])?;
                        let profile = &result.profile;
                        saved.push(ProfileRow {
                            id: profile.id,
                            provider: profile.provider.clone(),
                            name: profile.name.clone(),
                            availability: Some(result.availability),
                            computed_at: Some(result.computed_at),
                            vcpus: profile.vcpus,
                            memory_gib: profile.memory_gib,
                            gpus: profile.gpus,
                            recent: Vec::new(),
                            seq,
                        });
                        seq += 1;
                    }
                }
            }
            tx.commit()?;
            Ok(saved)
        })
        .await
    }

    async fn load_history(
        &self,
        id: ProfileId,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.with_connection(move |connection| read_history(connection, id, limit))
            .await
    }

    async fn prune_history_older_than(
        &self,
        cutoff: OffsetDateTime,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let cutoff = timestamp::format(cutoff);
        self.with_connection(move |connection| {
            Ok(connection
                .prepare_cached(
                    "DELETE FROM availability_history WHERE id IN (
                     SELECT id FROM availability_history WHERE computed_at < ?1
                     ORDER BY computed_at LIMIT ?2
                 )",
                )?
                .execute(params![cutoff, batch as i64])?)
        })
        .await
    }

    async fn prune_history_beyond(
        &self,
        keep: usize,
        after: ProfileId,
        profiles: usize,
    ) -> Result<PruneStep, StoreError> {
        self.with_connection(move |connection| {
            let tx = connection.transaction()?;
            let ids = tx
                .prepare_cached("SELECT id FROM hardware WHERE id > ?1 ORDER BY id LIMIT ?2")?
                .query_map(params![after, profiles as i64], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<ProfileId>>>()?;
            let mut deleted = 0;
            {
                // Walks the profile's index entries past the newest `keep`: what is deleted
                // plus `keep` entries read, per profile.
                let mut prune = tx.prepare_cached(
                    "DELETE FROM availability_history WHERE id IN (
                         SELECT id FROM availability_history WHERE hardware_id = ?1
                         ORDER BY computed_at DESC, id DESC LIMIT -1 OFFSET ?2
                     )",
                )?;
                for id in &ids {
                    deleted += prune.execute(params![id, keep as i64])?;
                }
            }
            tx.commit()?;
            let next = if ids.len() < profiles {
                None
            } else {
                ids.last().copied()
            };
            Ok(PruneStep { deleted, next })
        })
        .await
    }

    async fn release_claims(&self, owner: &str, ids: &[ProfileId]) -> Result<(), StoreError> {
        let owner = owner.to_owned();
        let ids = ids.to_vec();
        self.with_connection(move |connection| {
            let tx = connection.transaction()?;
            {
                let mut release = tx.prepare_cached(
                    "UPDATE availability SET claimed_by = NULL, claim_expires_at = NULL
                     WHERE hardware_id = ?1 AND claimed_by = ?2",
                )?;
                for id in ids {
                    release.execute(params![id, owner])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn insert_profiles(&self, profiles: &[NewProfile]) -> Result<usize, StoreError> {
        let profiles = profiles.to_vec();
        self.with_connection(move |connection| {
            let tx = connection.transaction()?;
            let mut seq = next_seq(&tx)?;
            let mut added = 0;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO hardware (provider, name, vcpus, memory_gib, gpus)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                let mut availability = tx.prepare_cached(
                    "INSERT OR IGNORE INTO availability (hardware_id, seq) VALUES (?1, ?2)",
                )?;
                for profile in &profiles {
                    let inserted = insert.execute(params![
                        profile.provider,
                        profile.name,
                        profile.vcpus,
                        profile.memory_gib,
                        profile.gpus
                    ])?;
                    if inserted == 1 {
                        availability.execute(params![tx.last_insert_rowid(), seq])?;
                        seq += 1;
                        added += 1;
                    }
                }
            }
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    async fn count_profiles(&self) -> Result<usize, StoreError> {
        self.with_connection(|connection| {
            let count: i64 =
                connection.query_row("SELECT COUNT(*) FROM hardware", [], |row| row.get(0))?;
            Ok(count as usize)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with_connection(|connection| {
            connection.query_row("SELECT 1", [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh_store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hw.db")).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_delta_load_uses_the_seq_index_and_returns_only_what_changed() {
        let (_dir, store) = fresh_store().await;
        let plan = store
            .with_connection(|connection| {
                let mut statement =
                    connection.prepare(&format!("EXPLAIN QUERY PLAN {LOAD_SINCE}"))?;
                let details = statement
                    .query_map(params![0_i64], |row| row.get::<_, String>(3))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(details.join("\n"))
            })
            .await
            .unwrap();
        assert!(plan.contains("availability_by_seq"), "plan:\n{plan}");
        assert!(
            !plan.contains("SCAN"),
            "no full scan of either table; plan:\n{plan}"
        );

        let all = store.load_rows(None).await.unwrap();
        let max_seq = all.iter().map(|row| row.seq).max().unwrap();
        assert!(store.load_rows(Some(max_seq)).await.unwrap().is_empty());
        let since = store.load_rows(Some(max_seq - 1)).await.unwrap();
        assert!(since.iter().all(|row| row.seq == max_seq) && !since.is_empty());
    }

    #[tokio::test]
    async fn a_file_that_is_not_ours_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE unrelated (x)")
            .unwrap();
        let err = SqliteStore::open(&path).await.err().unwrap().to_string();
        assert!(err.contains("other.db"), "{err}");
    }
}
