//! The shared store: one PostgreSQL database used by every task of the service.
//!
//! Several processes compute and serve from the same rows, so beyond what SQLite does this
//! store must make sure that
//! - a profile is computed by one process at a time: `claim_due` picks rows with
//!   `FOR UPDATE SKIP LOCKED` (two claimers never wait on or take the same row) and marks them
//!   with a lease (`claimed_by`, `claim_expires_at`, on the database's clock), which a crashed
//!   process's profiles outlive only until it expires;
//! - every process sees every write: readers ask for "rows with seq > N", so a row must never
//!   become visible with a seq below one already seen. Transactions that assign seqs take an
//!   advisory lock first (see `save_results`), which makes seq order equal commit order;
//! - a dead database is an error within seconds, never a hang (timeouts in [`connect`]).
//!
//! Connection and SQL errors are reported as `StoreError::Unavailable` with the server's
//! message; the refresher treats any store error alike (not ready, retry with back-off).

mod connect;
mod schema;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use super::{NewProfile, PruneStep, Store, StoreError, database_id};
use crate::availability::Availability;
use crate::profile::{ComputedAvailability, HistoryEntry, Profile, ProfileId, ProfileRow};
use async_trait::async_trait;
use deadpool_postgres::{Object, Pool};
use service_kit::database::postgres::{self, describe, describe_chain};
use time::OffsetDateTime;
use tokio_postgres::Row;

pub struct PostgresStore {
    pool: Pool,
    /// The URL without credentials, for errors and logs.
    label: String,
}

/// The last column is `recent`: one probe of `availability_history_latest` per row (the
/// LIMIT is `RECENT_LEN`).
const ROW_COLUMNS: &str = "h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus,
                           a.availability, a.computed_at, a.seq,
                           ARRAY(SELECT ah.availability FROM availability_history ah
                                 WHERE ah.hardware_id = h.id
                                 ORDER BY ah.computed_at DESC, ah.id DESC LIMIT 12)";

/// Which due profiles a claim query picks.
#[derive(Clone, Copy)]
enum Due {
    NeverComputed,
    Stale,
}

impl PostgresStore {
    /// Connects, creates or migrates the schema and seeds an empty catalog. `label` names the
    /// database in errors; it must not hold a password.
    pub async fn open(url: &str, label: &str) -> Result<Self, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            path: label.to_owned(),
            reason,
        };
        let size = connect::pool_size().map_err(|err| open_error(err.to_string()))?;
        let pool = postgres::pg_config(url, &connect::SETTINGS)
            .and_then(|config| postgres::pool(config, size))
            .map_err(|err| open_error(err.to_string()))?;
        let store = Self {
            pool,
            label: label.to_owned(),
        };
        let mut client = store.client().await.map_err(|err| match err {
            StoreError::Unavailable(reason) => open_error(reason),
            other => other,
        })?;
        let migrated = postgres::within(
            connect::OPERATION_TIMEOUT * 3,
            schema::migrate(&mut client, &store.label),
            || open_error("migrating the schema timed out".into()),
        )
        .await;
        if migrated.is_err() {
            // Its session may still hold the migration lock: close it rather than pool it.
            drop(Object::take(client));
        }
        migrated?;
        tracing::info!(database = %store.label, pool_size = size, "PostgreSQL store ready");
        Ok(store)
    }

    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|err| {
            StoreError::Unavailable(format!(
                "no connection to {}: {}",
                self.label,
                describe_chain(&err)
            ))
        })
    }

    /// Runs `work` on a pooled connection within the operation timeout.
    async fn with_client<T, F, Fut>(&self, what: &'static str, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(Object) -> Fut,
        Fut: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let attempt = async {
            let client = self.client().await?;
            work(client).await.map_err(|err| db_error(what, err))
        };
        postgres::within(connect::OPERATION_TIMEOUT, attempt, || {
            StoreError::Unavailable(format!(
                "{what}: no answer from {} within {:?}",
                self.label,
                connect::OPERATION_TIMEOUT
            ))
        })
        .await
    }

    async fn claim(
        &self,
        due: Due,
        owner: &str,
        limit: usize,
        stale_before: OffsetDateTime,
        lease: Duration,
        exclude: &[ProfileId],
    ) -> Result<Vec<Profile>, StoreError> {
        // SKIP LOCKED: rows another process is claiming right now are passed over, not waited
        // for. After locking a row PostgreSQL re-checks the WHERE clause on its newest version,
        // so a row claimed and committed meanwhile drops out.
        let (filter, order) = match due {
            Due::NeverComputed => ("computed_at IS NULL", "hardware_id"),
            Due::Stale => ("computed_at < $5", "computed_at, hardware_id"),
        };
        let sql = format!(
            "WITH picked AS (
                 SELECT hardware_id FROM availability
                 WHERE {filter} AND (claimed_by IS NULL OR claim_expires_at < now())
                   AND hardware_id <> ALL($4::bigint[])
                 ORDER BY {order}
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED
             )
             UPDATE availability a
             SET claimed_by = $1, claim_expires_at = now() + make_interval(secs => $3)
             FROM picked JOIN hardware h ON h.id = picked.hardware_id
             WHERE a.hardware_id = picked.hardware_id
             RETURNING h.id, h.provider, h.name, h.vcpus, h.memory_gib, h.gpus, a.computed_at"
        );
        let owner = owner.to_owned();
        let limit = limit as i64;
        let lease = lease.as_secs_f64();
        let exclude = exclude.to_vec();
        let rows = self
            .with_client("claiming due profiles", |client| async move {
                let statement = client.prepare_cached(&sql).await?;
                match due {
                    Due::NeverComputed => {
                        client
                            .query(&statement, &[&owner, &limit, &lease, &exclude])
                            .await
                    }
                    Due::Stale => {
                        client
                            .query(
                                &statement,
                                &[&owner, &limit, &lease, &exclude, &stale_before],
                            )
                            .await
                    }
                }
            })
            .await?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let computed_at: Option<OffsetDateTime> = row.try_get(6)?;
                Ok((computed_at, profile_from_row(row)?))
            })
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(|err| db_error("reading claimed profiles", err))?;
        // RETURNING has no order: restore the one the claim used.
        claimed.sort_by_key(|(computed_at, profile)| (*computed_at, profile.id));
        Ok(claimed.into_iter().map(|(_, profile)| profile).collect())
    }
}

/// The two claim queries of `claim_due`: never computed first, then stale ones for the slots
/// left. Each query commits on its own, so when the second fails the first batch is already
/// leased to us: it is returned (and computed) rather than dropped, which would leave those
/// profiles leased but uncomputed until the lease expires. The error surfaces again on the
/// next claim, which then has nothing leased to lose.
async fn claim_never_then_stale<First, Stale, StaleFut>(
    limit: usize,
    first: First,
    stale: Stale,
) -> Result<Vec<Profile>, StoreError>
where
    First: Future<Output = Result<Vec<Profile>, StoreError>>,
    Stale: FnOnce(usize) -> StaleFut,
    StaleFut: Future<Output = Result<Vec<Profile>, StoreError>>,
{
    let mut claimed = first.await?;
    if claimed.len() < limit {
        match stale(limit - claimed.len()).await {
            Ok(more) => claimed.extend(more),
            Err(err) if !claimed.is_empty() => {
                tracing::warn!(
                    error = %err,
                    claimed = claimed.len(),
                    "claiming stale profiles failed; computing the never-computed ones claimed already"
                );
            }
            Err(err) => return Err(err),
        }
    }
    Ok(claimed)
}

#[async_trait]
impl Store for PostgresStore {
    async fn database_id(&self) -> Result<String, StoreError> {
        let id: String = self
            .with_client("reading the database id", |client| async move {
                let row = client
                    .query_one("SELECT value FROM meta WHERE key = 'database_id'", &[])
                    .await?;
                row.try_get(0)
            })
            .await?;
        if database_id::is_header_safe(&id) {
            return Ok(id);
        }
        let fresh = database_id::fresh();
        let value = fresh.clone();
        self.with_client("replacing a bad database id", |client| async move {
            client
                .execute(
                    "UPDATE meta SET value = $1 WHERE key = 'database_id'",
                    &[&value],
                )
                .await
        })
        .await?;
        database_id::warn_replaced(&id, &fresh);
        Ok(fresh)
    }

    async fn load_rows(&self, since_seq: Option<i64>) -> Result<Vec<ProfileRow>, StoreError> {
        let rows = self
            .with_client("loading rows", |client| async move {
                match since_seq {
                    None => {
                        let statement = client
                            .prepare_cached(&format!(
                                "SELECT {ROW_COLUMNS}
                                 FROM hardware h LEFT JOIN availability a ON a.hardware_id = h.id
                                 ORDER BY h.id"
                            ))
                            .await?;
                        client.query(&statement, &[]).await
                    }
                    Some(since) => {
                        // Driven by the seq index: a delta costs what changed, not the table.
                        let statement = client
                            .prepare_cached(&format!(
                                "SELECT {ROW_COLUMNS}
                                 FROM availability a JOIN hardware h ON h.id = a.hardware_id
                                 WHERE a.seq > $1
                                 ORDER BY h.id"
                            ))
                            .await?;
                        client.query(&statement, &[&since]).await
                    }
                }
            })
            .await?;
        let rows = rows
            .iter()
            .map(profile_row_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
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
        claim_never_then_stale(
            limit,
            self.claim(
                Due::NeverComputed,
                owner,
                limit,
                stale_before,
                lease,
                exclude,
            ),
            |rest| self.claim(Due::Stale, owner, rest, stale_before, lease, exclude),
        )
        .await
    }

    async fn save_results(
        &self,
        owner: &str,
        results: &[ComputedAvailability],
    ) -> Result<Vec<ProfileRow>, StoreError> {
        if results.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = results.iter().map(|r| r.profile.id).collect();
        let values: Vec<&str> = results.iter().map(|r| r.availability.as_str()).collect();
        let times: Vec<OffsetDateTime> = results.iter().map(|r| r.computed_at).collect();
        let owner = owner.to_owned();
        let stored = self
            .with_client("saving results", |mut client| async move {
                let tx = client.transaction().await?;
                // With a plain sequence, a transaction holding seq 901 could commit after
                // one holding 902, and a reader that already saw 902 would skip 901 forever.
                // Holding this lock from taking seqs until commit makes seq order equal commit
                // order; writes are small batches, so the wait is a few milliseconds at most.
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::CHANGE_LOCK])
                    .await?;
                // The lease check keeps a slow process from overwriting a newer value computed
                // after its lease expired and another process took the profile over.
                let statement = tx
                    .prepare_cached(
                        "WITH saved AS (
                         UPDATE availability a
                         SET availability = r.availability, computed_at = r.computed_at,
                             seq = nextval('availability_change_seq'),
                             claimed_by = NULL, claim_expires_at = NULL
                         FROM unnest($1::bigint[], $2::text[], $3::timestamptz[])
                              AS r(id, availability, computed_at)
                         WHERE a.hardware_id = r.id
                           AND (a.claimed_by IS NULL OR a.claimed_by = $4)
                         RETURNING a.hardware_id, a.seq, a.availability, a.computed_at
                         ),
                         -- Only what was saved is history: a result dropped by the lease
                         -- check never happened, as far as readers can tell.
                         logged AS (
                             INSERT INTO availability_history
                                 (hardware_id, availability, computed_at)
                             SELECT hardware_id, availability, computed_at FROM saved
                         )
                         SELECT hardware_id, seq FROM saved",
                    )
                    .await?;
                let rows = tx
                    .query(&statement, &[&ids, &values, &times, &owner])
                    .await?;
                let stored = rows
                    .iter()
                    .map(|row| Ok((row.try_get::<_, i64>(0)?, row.try_get::<_, i64>(1)?)))
                    .collect::<Result<HashMap<i64, i64>, tokio_postgres::Error>>()?;
                tx.commit().await?;
                Ok(stored)
            })
            .await?;
        let saved: Vec<ProfileRow> = results
            .iter()
            .filter_map(|result| {
                let seq = *stored.get(&result.profile.id)?;
                let profile = &result.profile;
                Some(ProfileRow {
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
                })
            })
            .collect();
        Ok(saved)
    }

    async fn load_history(
        &self,
        id: ProfileId,
        limit: usize,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let limit = limit as i64;
        let rows = self
            .with_client("loading history", |client| async move {
                let statement = client
                    .prepare_cached(
                        "SELECT availability, computed_at FROM availability_history
                         WHERE hardware_id = $1
                         ORDER BY computed_at DESC, id DESC LIMIT $2",
                    )
                    .await?;
                client.query(&statement, &[&id, &limit]).await
            })
            .await?;
        let read = |err| db_error("reading history", err);
        rows.iter()
            .map(|row| {
                let text: String = row.try_get(0).map_err(read)?;
                Ok(HistoryEntry {
                    availability: text.parse::<Availability>().map_err(|_| {
                        StoreError::BadValue {
                            column: "availability_history.availability",
                            value: text,
                        }
                    })?,
                    computed_at: row.try_get(1).map_err(read)?,
                })
            })
            .collect()
    }

    async fn prune_history_older_than(
        &self,
        cutoff: OffsetDateTime,
        batch: usize,
    ) -> Result<usize, StoreError> {
        let batch = batch as i64;
        let deleted = self
            .with_client("pruning old history", |client| async move {
                client
                    .execute(
                        "DELETE FROM availability_history WHERE id IN (
                             SELECT id FROM availability_history WHERE computed_at < $1
                             ORDER BY computed_at LIMIT $2
                         )",
                        &[&cutoff, &batch],
                    )
                    .await
            })
            .await?;
        Ok(deleted as usize)
    }

    async fn prune_history_beyond(
        &self,
        keep: usize,
        after: ProfileId,
        profiles: usize,
    ) -> Result<PruneStep, StoreError> {
        let keep = keep as i64;
        let limit = profiles as i64;
        let row = self
            .with_client("pruning history per profile", |client| async move {
                client
                    .query_one(
                        "WITH chunk AS (
                             SELECT id FROM hardware WHERE id > $1 ORDER BY id LIMIT $2
                         ),
                         old AS (
                             SELECT x.id FROM chunk CROSS JOIN LATERAL (
                                 SELECT ah.id FROM availability_history ah
                                 WHERE ah.hardware_id = chunk.id
                                 ORDER BY ah.computed_at DESC, ah.id DESC OFFSET $3
                             ) x
                         ),
                         gone AS (
                             DELETE FROM availability_history d USING old WHERE d.id = old.id
                             RETURNING 1
                         )
                         SELECT (SELECT COUNT(*) FROM chunk), (SELECT MAX(id) FROM chunk),
                                (SELECT COUNT(*) FROM gone)",
                        &[&after, &limit, &keep],
                    )
                    .await
            })
            .await?;
        let read = |err| db_error("pruning history per profile", err);
        let looked_at: i64 = row.try_get(0).map_err(read)?;
        let last: Option<i64> = row.try_get(1).map_err(read)?;
        let deleted: i64 = row.try_get(2).map_err(read)?;
        Ok(PruneStep {
            deleted: deleted as usize,
            next: if looked_at < limit { None } else { last },
        })
    }

    async fn release_claims(&self, owner: &str, ids: &[ProfileId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let owner = owner.to_owned();
        let ids = ids.to_vec();
        self.with_client("releasing claims", |client| async move {
            client
                .execute(
                    "UPDATE availability SET claimed_by = NULL, claim_expires_at = NULL
                     WHERE hardware_id = ANY($1) AND claimed_by = $2",
                    &[&ids, &owner],
                )
                .await
        })
        .await?;
        Ok(())
    }

    async fn insert_profiles(&self, profiles: &[NewProfile]) -> Result<usize, StoreError> {
        if profiles.is_empty() {
            return Ok(0);
        }
        let providers: Vec<&str> = profiles.iter().map(|p| p.provider.as_str()).collect();
        let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        let vcpus: Vec<i64> = profiles.iter().map(|p| p.vcpus).collect();
        let memory: Vec<f64> = profiles.iter().map(|p| p.memory_gib).collect();
        let gpus: Vec<i64> = profiles.iter().map(|p| p.gpus).collect();
        let added = self
            .with_client("adding profiles", |mut client| async move {
                let tx = client.transaction().await?;
                // New availability rows take seqs too: same ordering rule as save_results.
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::CHANGE_LOCK])
                    .await?;
                let added = tx
                    .execute(
                        "WITH new AS (
                             INSERT INTO hardware (provider, name, vcpus, memory_gib, gpus)
                             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[],
                                                  $4::float8[], $5::bigint[])
                             ON CONFLICT (provider, name) DO NOTHING
                             RETURNING id
                         )
                         INSERT INTO availability (hardware_id, seq)
                         SELECT id, nextval('availability_change_seq') FROM new",
                        &[&providers, &names, &vcpus, &memory, &gpus],
                    )
                    .await?;
                tx.commit().await?;
                Ok(added)
            })
            .await?;
        Ok(added as usize)
    }

    async fn count_profiles(&self) -> Result<usize, StoreError> {
        let count: i64 = self
            .with_client("counting profiles", |client| async move {
                client
                    .query_one("SELECT COUNT(*) FROM hardware", &[])
                    .await?
                    .try_get(0)
            })
            .await?;
        Ok(count as usize)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with_client("ping", |client| async move {
            client.simple_query("SELECT 1").await.map(|_| ())
        })
        .await
    }
}

fn profile_from_row(row: &Row) -> Result<Profile, tokio_postgres::Error> {
    Ok(Profile {
        id: row.try_get(0)?,
        provider: row.try_get(1)?,
        name: row.try_get(2)?,
        vcpus: row.try_get(3)?,
        memory_gib: row.try_get(4)?,
        gpus: row.try_get(5)?,
    })
}

fn profile_row_from_row(row: &Row) -> Result<ProfileRow, StoreError> {
    let read = |err| db_error("reading a row", err);
    let profile = profile_from_row(row).map_err(read)?;
    let availability = row
        .try_get::<_, Option<String>>(6)
        .map_err(read)?
        .map(|text| {
            text.parse::<Availability>()
                .map_err(|_| StoreError::BadValue {
                    column: "availability.availability",
                    value: text,
                })
        })
        .transpose()?;
    Ok(ProfileRow {
        id: profile.id,
        provider: profile.provider,
        name: profile.name,
        availability,
        computed_at: row.try_get(7).map_err(read)?,
        vcpus: profile.vcpus,
        memory_gib: profile.memory_gib,
        gpus: profile.gpus,
        seq: row.try_get::<_, Option<i64>>(8).map_err(read)?.unwrap_or(0),
        // The CHECK constraint keeps other values out; one that got in anyway is left out.
        recent: row
            .try_get::<_, Vec<String>>(9)
            .map_err(read)?
            .iter()
            .filter_map(|text| text.parse::<Availability>().ok())
            .collect(),
    })
}

fn db_error(what: &str, err: tokio_postgres::Error) -> StoreError {
    StoreError::Unavailable(format!("{what}: {}", describe(&err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles(ids: std::ops::Range<ProfileId>) -> Vec<Profile> {
        ids.map(|id| Profile {
            id,
            provider: "Amazon".into(),
            name: format!("p{id}"),
            vcpus: 2,
            memory_gib: 4.0,
            gpus: 0,
        })
        .collect()
    }

    #[test]
    fn rows_carry_recent_results_up_to_recent_len() {
        let limit = format!("LIMIT {})", crate::profile::RECENT_LEN);
        assert!(ROW_COLUMNS.contains(&limit), "{ROW_COLUMNS}");
    }

    fn down() -> StoreError {
        StoreError::Unavailable("connection reset".into())
    }

    #[tokio::test]
    async fn a_failing_stale_claim_keeps_the_never_computed_batch_claimed_already() {
        let claimed = claim_never_then_stale(4, async { Ok(profiles(1..3)) }, |rest| async move {
            assert_eq!(rest, 2, "the stale query fills the slots left");
            Err(down())
        })
        .await
        .unwrap();
        let ids: Vec<ProfileId> = claimed.iter().map(|p| p.id).collect();
        assert_eq!(
            ids,
            vec![1, 2],
            "leased profiles must be handed back to compute"
        );
    }

    #[tokio::test]
    async fn claims_combine_and_errors_with_nothing_claimed_are_reported() {
        let both = claim_never_then_stale(3, async { Ok(profiles(1..2)) }, |rest| async move {
            Ok(profiles(10..10 + rest as ProfileId))
        })
        .await
        .unwrap();
        let ids: Vec<ProfileId> = both.iter().map(|p| p.id).collect();
        assert_eq!(ids, vec![1, 10, 11]);

        let full = claim_never_then_stale(2, async { Ok(profiles(1..3)) }, |_| async {
            panic!("no stale query when the first one filled every slot")
        })
        .await
        .unwrap();
        assert_eq!(full.len(), 2);

        let nothing =
            claim_never_then_stale(2, async { Ok(Vec::new()) }, |_| async { Err(down()) }).await;
        assert!(matches!(nothing, Err(StoreError::Unavailable(_))));
        let first_fails =
            claim_never_then_stale(2, async { Err(down()) }, |_| async { Ok(Vec::new()) }).await;
        assert!(first_fails.is_err());
    }
}
