//! Creating and migrating the PostgreSQL schema, and seeding the catalog.
//!
//! The schema itself lives in the versioned migrations (`migrations/postgres`), applied by
//! refinery under a session advisory lock; seeding runs after it in one transaction under the
//! same lock, so any number of processes may start at once against an empty database: the
//! first creates and seeds, the others find everything in place.

use service_kit::database::schema;
use tokio_postgres::{Client, Transaction};

use super::super::migrations;

use super::super::sqlite::SCHEMA_AND_SEED;
use super::super::{NewProfile, StoreError};

/// Advisory lock key held while migrating ("hwmigr" in ASCII).
const MIGRATION_LOCK: i64 = 0x6877_6d69_6772;
/// Advisory lock key held by every transaction that assigns change sequence numbers
/// ("hwseq"): see `PostgresStore::save_results` for why.
pub const CHANGE_LOCK: i64 = 0x0068_7773_6571;

/// Brings the schema to the newest version this binary knows (refusing a newer one), seeds an
/// empty catalog and gives every profile an availability row. `label` names the database in
/// errors (the URL without credentials). On error the caller drops the connection: that also
/// releases the session lock taken here.
pub async fn migrate(client: &mut Client, label: &str) -> Result<(), StoreError> {
    schema::lock_postgres(client, MIGRATION_LOCK, label).await?;
    migrate_schema(client, label).await?;
    schema::unlock_postgres(client, MIGRATION_LOCK, label).await?;
    let tx = client
        .transaction()
        .await
        .map_err(|err| super::db_error("migrating the schema", err))?;
    fill(&tx).await?;
    tx.commit()
        .await
        .map_err(|err| super::db_error("migrating the schema", err))
}

/// Applies the migrations not applied yet. A database from before migrations existed (it has
/// our tables but no migration history) is checked to be ours and adopted at the version its
/// `meta.schema_version` names.
async fn migrate_schema(client: &mut Client, label: &str) -> Result<(), StoreError> {
    let recorded = schema::postgres_recorded_version(client, &migrations::POSTGRES, label).await?;
    let legacy = legacy_schema_version(client, label).await?;
    let newer = schema::postgres_recorded_after(
        client,
        &migrations::POSTGRES,
        migrations::POSTGRES.latest(),
        label,
    )
    .await?;
    if let schema::Fit::RunsOnNewer { .. } =
        schema::fit(label, recorded.max(legacy), &newer, &migrations::POSTGRES)?
    {
        return check_columns(client, label).await;
    }
    let has_catalog = schema::postgres_has_table(client, "hardware")
        .await
        .map_err(|err| super::db_error("reading the schema", err))?;
    if recorded.is_none() && has_catalog {
        check_columns(client, label).await?;
        schema::baseline_postgres(client, &migrations::POSTGRES, legacy.unwrap_or(1), label)
            .await?;
    }
    let applied = schema::run_postgres(client, &migrations::POSTGRES, label).await?;
    if !applied.is_empty() {
        tracing::info!(database = label, ?applied, "applied schema migrations");
    }
    check_columns(client, label).await
}

/// The version a database records in `meta` (written since the first release).
async fn legacy_schema_version(client: &Client, label: &str) -> Result<Option<i64>, StoreError> {
    let has_meta = schema::postgres_has_table(client, "meta")
        .await
        .map_err(|err| super::db_error("reading the schema", err))?;
    if !has_meta {
        return Ok(None);
    }
    let value: Option<String> = client
        .query_opt("SELECT value FROM meta WHERE key = 'schema_version'", &[])
        .await
        .map_err(|err| not_ours(label, &err))?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(|err| not_ours(label, &err))?;
    value.map(super::super::parse_schema_version).transpose()
}

/// A table of the same name from something else passes `CREATE TABLE IF NOT EXISTS`: check
/// the columns we use.
async fn check_columns(client: &Client, label: &str) -> Result<(), StoreError> {
    client
        .query_opt(
            "SELECT h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus,
                    a.availability, a.computed_at, a.seq, a.claimed_by, a.claim_expires_at
             FROM hardware h LEFT JOIN availability a ON a.hardware_id = h.id LIMIT 1",
            &[],
        )
        .await
        .map(drop)
        .map_err(|err| not_ours(label, &err))
}

/// Seeds an empty catalog and gives every profile an availability row.
async fn fill(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let db = |err| super::db_error("migrating the schema", err);
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db)?;
    let empty: bool = tx
        .query_one("SELECT NOT EXISTS (SELECT 1 FROM hardware)", &[])
        .await
        .map_err(db)?
        .get(0);
    if empty {
        seed(tx).await?;
    }
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK])
        .await
        .map_err(db)?;
    // Rows added to `hardware` by hand (psql) get their availability row here.
    let added = tx
        .execute(
            "INSERT INTO availability (hardware_id, seq)
             SELECT id, nextval('availability_change_seq') FROM hardware h
             WHERE NOT EXISTS (SELECT 1 FROM availability a WHERE a.hardware_id = h.id)",
            &[],
        )
        .await
        .map_err(db)?;
    // Data copied in from elsewhere may carry seqs beyond the sequence: move it past them.
    tx.execute(
        "SELECT setval('availability_change_seq', s.top)
         FROM (SELECT MAX(seq) AS top FROM availability) s
         WHERE s.top >= (SELECT last_value FROM availability_change_seq)",
        &[],
    )
    .await
    .map_err(db)?;
    if added > 0 {
        tracing::info!(added, "gave new catalog rows their availability rows");
    }
    Ok(())
}

async fn seed(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let catalog = seed_catalog()?;
    tracing::info!(
        profiles = catalog.len(),
        "seeding the empty PostgreSQL catalog from database.sql"
    );
    let ids: Vec<i64> = catalog.iter().map(|(id, _)| *id).collect();
    let providers: Vec<&str> = catalog.iter().map(|(_, p)| p.provider.as_str()).collect();
    let names: Vec<&str> = catalog.iter().map(|(_, p)| p.name.as_str()).collect();
    let vcpus: Vec<i64> = catalog.iter().map(|(_, p)| p.vcpus).collect();
    let memory: Vec<f64> = catalog.iter().map(|(_, p)| p.memory_gib).collect();
    let gpus: Vec<i64> = catalog.iter().map(|(_, p)| p.gpus).collect();
    let db = |err| super::db_error("seeding the catalog", err);
    // The seed's own ids are kept, so the two original rows stay 1 and 2 and come first.
    tx.execute(
        "INSERT INTO hardware (id, provider, name, vcpus, memory_gib, gpus)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],
                              $5::float8[], $6::bigint[])
         ON CONFLICT DO NOTHING",
        &[&ids, &providers, &names, &vcpus, &memory, &gpus],
    )
    .await
    .map_err(db)?;
    // Explicit ids do not advance the identity: move it past them for later inserts.
    tx.execute(
        "SELECT setval(pg_get_serial_sequence('hardware', 'id'), MAX(id)) FROM hardware",
        &[],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// The seed catalog of `database.sql`, with its ids, read by running that very file in an
/// in-memory SQLite database: no hand-kept copy, no SQL parser of our own. Takes about a
/// millisecond, once per database creation.
pub fn seed_catalog() -> Result<Vec<(i64, NewProfile)>, StoreError> {
    let connection = rusqlite::Connection::open_in_memory()?;
    connection.execute_batch(SCHEMA_AND_SEED)?;
    let mut statement = connection
        .prepare("SELECT id, provider, name, vcpus, memory_gib, gpus FROM hardware ORDER BY id")?;
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                NewProfile {
                    provider: row.get(1)?,
                    name: row.get(2)?,
                    vcpus: row.get(3)?,
                    memory_gib: row.get(4)?,
                    gpus: row.get(5)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn not_ours(label: &str, err: &tokio_postgres::Error) -> StoreError {
    StoreError::NotOurSchema {
        path: label.to_owned(),
        reason: service_kit::database::postgres::describe(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_catalog_comes_from_database_sql_with_the_original_rows_first() {
        let catalog = seed_catalog().unwrap();
        assert_eq!(catalog.len(), SCHEMA_AND_SEED.matches("\n    (").count());
        assert_eq!(catalog[0].0, 1);
        assert_eq!(
            (catalog[0].1.provider.as_str(), catalog[0].1.name.as_str()),
            ("Amazon", "c5")
        );
        assert_eq!(
            (catalog[1].1.provider.as_str(), catalog[1].1.name.as_str()),
            ("Azure", "H16mr")
        );
    }
}
