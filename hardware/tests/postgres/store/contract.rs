//! What every store must do, whatever its database: written once, run against SQLite and
//! PostgreSQL (see `store_contract!` in `mod.rs`).

use std::time::Duration;

use hardware::availability::Availability;
use hardware::profile::{ComputedAvailability, Profile, ProfileId};
use hardware::store::{NewProfile, database_id, timestamp};

use super::backends::Backend;

/// Why opening the database was refused (it must be).
async fn refusal<B: Backend>(database: &B) -> String {
    database
        .try_open()
        .await
        .err()
        .expect("refused")
        .to_string()
}

fn result_for(profile: &Profile, availability: Availability) -> ComputedAvailability {
    ComputedAvailability {
        profile: profile.clone(),
        availability,
        computed_at: timestamp::now(),
    }
}

pub async fn a_new_database_is_created_and_seeded_once_with_the_original_rows_first<B: Backend>() {
    let database = B::start();
    let first = database.open().await;
    let rows = first.load_rows(None).await.unwrap();
    assert!(rows.len() >= 50, "catalog has {} rows", rows.len());
    assert_eq!(
        (rows[0].provider.as_str(), rows[0].name.as_str()),
        ("Amazon", "c5")
    );
    assert_eq!(
        (rows[1].provider.as_str(), rows[1].name.as_str()),
        ("Azure", "H16mr")
    );
    assert!(rows.iter().all(|row| row.availability.is_none()));

    // A second process opening the same database migrates nothing and seeds nothing.
    let second = database.open().await;
    assert_eq!(second.count_profiles().await.unwrap(), rows.len());
    assert_eq!(
        first.database_id().await.unwrap(),
        second.database_id().await.unwrap()
    );
    second.ping().await.unwrap();
}

pub async fn a_database_id_that_is_not_header_safe_is_replaced_once_and_kept<B: Backend>() {
    for bad in ["a\"b", "a b", "caf\u{e9}", "ab\r\nx-forged: 1", ""] {
        let database = B::start();
        drop(database.open().await);
        database
            .execute(&format!(
                "UPDATE meta SET value = '{}' WHERE key = 'database_id'",
                bad.replace('\'', "''")
            ))
            .await;
        let store = database.open().await;
        let id = store.database_id().await.unwrap();
        assert!(database_id::is_header_safe(&id), "{bad:?} became {id:?}");
        assert_eq!(
            store.database_id().await.unwrap(),
            id,
            "the replacement is stored, not made afresh on every read"
        );
        axum::http::HeaderValue::from_str(&format!("\"{id}-1\"")).expect("a valid ETag");
    }
}

pub async fn a_header_safe_database_id_is_left_alone<B: Backend>() {
    let database = B::start();
    let store = database.open().await;
    let first = store.database_id().await.unwrap();
    assert!(database_id::is_header_safe(&first));
    assert_eq!(store.database_id().await.unwrap(), first);
}

pub async fn claims_are_exclusive_until_saved_and_results_bump_the_sequence<B: Backend>() {
    let database = B::start();
    let store = database.open().await;
    let stale_before = timestamp::now();
    let lease = Duration::from_secs(60);
    let first = store
        .claim_due("a", 2, stale_before, lease, &[])
        .await
        .unwrap();
    let second = store
        .claim_due("b", 2, stale_before, lease, &[])
        .await
        .unwrap();
    assert_eq!(first.iter().map(|p| p.id).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(second.iter().map(|p| p.id).collect::<Vec<_>>(), vec![3, 4]);

    let before = store.load_rows(None).await.unwrap();
    let max_seq = before.iter().map(|row| row.seq).max().unwrap();
    let saved = store
        .save_results("a", &[result_for(&first[0], Availability::High)])
        .await
        .unwrap();
    assert_eq!(saved.len(), 1);
    assert!(saved[0].seq > max_seq);

    let changed = store.load_rows(Some(max_seq)).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].id, first[0].id);
    assert_eq!(changed[0].availability, Some(Availability::High));
    assert_eq!(
        changed[0].computed_at, saved[0].computed_at,
        "timestamps round-trip"
    );

    // Someone else's result for a profile leased to "b" is refused.
    let foreign = result_for(&second[0], Availability::Low);
    assert!(
        store
            .save_results("a", &[foreign])
            .await
            .unwrap()
            .is_empty()
    );

    // Released claims are due again at once.
    store.release_claims("b", &[second[0].id]).await.unwrap();
    let again = store
        .claim_due("c", 1, stale_before, lease, &[])
        .await
        .unwrap();
    assert_eq!(again[0].id, second[0].id);
}

pub async fn expired_leases_are_taken_over_and_stale_values_come_oldest_first<B: Backend>() {
    let database = B::start();
    let store = database.open().await;
    let taken = store
        .claim_due("crashed", 1, timestamp::now(), Duration::ZERO, &[])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = store
        .claim_due(
            "survivor",
            1,
            timestamp::now(),
            Duration::from_secs(60),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(taken[0].id, again[0].id);

    // Compute everything, then: nothing is due until values are older than stale_before,
    // and then the oldest comes first.
    store.load_rows(None).await.unwrap();
    let all = store
        .claim_due("w", 1000, timestamp::now(), Duration::from_secs(60), &[])
        .await
        .unwrap();
    let mut everything = again.clone();
    everything.extend(all);
    for profile in everything.iter().rev() {
        store
            .save_results(
                if profile.id == again[0].id {
                    "survivor"
                } else {
                    "w"
                },
                &[result_for(profile, Availability::Medium)],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let long_ago = timestamp::now() - Duration::from_secs(3600);
    assert!(
        store
            .claim_due("w", 5, long_ago, Duration::from_secs(60), &[])
            .await
            .unwrap()
            .is_empty()
    );
    let oldest = store
        .claim_due("w", 2, timestamp::now(), Duration::from_secs(60), &[])
        .await
        .unwrap();
    let last = everything.last().unwrap().id;
    assert_eq!(oldest[0].id, last, "saved first, so the oldest value");
}

pub async fn profiles_in_flight_are_not_claimed_again_even_when_their_lease_expired<B: Backend>() {
    let database = B::start();
    let store = database.open().await;
    let stale_before = timestamp::now();
    let first = store
        .claim_due("me", 2, stale_before, Duration::ZERO, &[])
        .await
        .unwrap();
    let in_flight: Vec<ProfileId> = first.iter().map(|p| p.id).collect();
    assert_eq!(in_flight, vec![1, 2]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    // The leases expired, but this process is still computing 1 and 2.
    let next = store
        .claim_due("me", 2, stale_before, Duration::from_secs(60), &in_flight)
        .await
        .unwrap();
    assert_eq!(next.iter().map(|p| p.id).collect::<Vec<_>>(), vec![3, 4]);

    // The same holds for stale profiles: compute everything, then claim with 1 in flight.
    let all = store.load_rows(None).await.unwrap();
    let computed_at = timestamp::now() - Duration::from_secs(3600);
    let everything: Vec<ComputedAvailability> = all
        .iter()
        .map(|row| ComputedAvailability {
            profile: Profile {
                id: row.id,
                provider: row.provider.clone(),
                name: row.name.clone(),
                vcpus: row.vcpus,
                memory_gib: row.memory_gib,
                gpus: row.gpus,
            },
            availability: Availability::Low,
            computed_at,
        })
        .collect();
    store.release_claims("me", &[1, 2, 3, 4]).await.unwrap();
    assert_eq!(
        store.save_results("me", &everything).await.unwrap().len(),
        all.len()
    );
    let stale = store
        .claim_due("me", 2, timestamp::now(), Duration::from_secs(60), &[1])
        .await
        .unwrap();
    assert_eq!(stale.iter().map(|p| p.id).collect::<Vec<_>>(), vec![2, 3]);
}

pub async fn profiles_the_claimer_has_in_flight_are_skipped_even_with_an_expired_lease<
    B: Backend,
>() {
    let database = B::start();
    let store = database.open().await;
    let first = store
        .claim_due("me", 2, timestamp::now(), Duration::ZERO, &[])
        .await
        .unwrap();
    let in_flight: Vec<i64> = first.iter().map(|p| p.id).collect();
    assert_eq!(in_flight, vec![1, 2]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let next = store
        .claim_due(
            "me",
            2,
            timestamp::now(),
            Duration::from_secs(60),
            &in_flight,
        )
        .await
        .unwrap();
    assert_eq!(next.iter().map(|p| p.id).collect::<Vec<_>>(), vec![3, 4]);

    // Stale profiles too: with 1 computed long ago and in flight, 2 is the oldest to claim.
    let old = timestamp::now() - Duration::from_secs(3600);
    let mut results = vec![result_for(&first[0], Availability::Low)];
    results[0].computed_at = old;
    let mut second = result_for(&first[1], Availability::Low);
    second.computed_at = old + Duration::from_secs(1);
    results.push(second);
    store.save_results("me", &results).await.unwrap();
    store.release_claims("me", &[3, 4]).await.unwrap();
    let all: Vec<i64> = store
        .load_rows(None)
        .await
        .unwrap()
        .iter()
        .map(|row| row.id)
        .filter(|id| *id > 2)
        .collect();
    // Claim every never-computed profile so that only the two stale ones remain due.
    let rest = store
        .claim_due(
            "other",
            all.len(),
            timestamp::now(),
            Duration::from_secs(60),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rest.len(), all.len());
    let stale = store
        .claim_due("me", 2, timestamp::now(), Duration::from_secs(60), &[1])
        .await
        .unwrap();
    assert_eq!(stale.iter().map(|p| p.id).collect::<Vec<_>>(), vec![2]);
}

pub async fn inserted_profiles_get_availability_rows_and_duplicates_are_skipped<B: Backend>() {
    let database = B::start();
    let store = database.open().await;
    let before = store.load_rows(None).await.unwrap();
    let top = before.iter().map(|row| row.seq).max().unwrap();
    let new = NewProfile {
        provider: "Google".into(),
        name: "test-standard-1".into(),
        vcpus: 1,
        memory_gib: 1.5,
        gpus: 0,
    };
    assert_eq!(
        store
            .insert_profiles(&[new.clone(), new.clone()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.insert_profiles(&[new]).await.unwrap(), 0);
    assert_eq!(store.count_profiles().await.unwrap(), before.len() + 1);
    let added = store.load_rows(Some(top)).await.unwrap();
    assert_eq!(added.len(), 1);
    assert_eq!(
        (added[0].name.as_str(), added[0].memory_gib),
        ("test-standard-1", 1.5)
    );
    assert!(
        added[0].id > before.last().unwrap().id,
        "the identity moved past the seed's ids"
    );
    let rows = store.load_rows(None).await.unwrap();
    assert_eq!(rows.last().unwrap().name, "test-standard-1");
}

pub async fn a_database_holding_other_tables_of_the_same_name_is_refused<B: Backend>() {
    let database = B::start();
    database
        .execute("CREATE TABLE hardware (serial_number TEXT)")
        .await;
    let err = refusal(&database).await;
    assert!(err.contains("not a hardware database"), "{err}");
    assert!(err.contains(&database.name_in_errors()), "{err}");
}

pub async fn a_schema_newer_than_the_binary_is_refused_saying_what_to_do<B: Backend>() {
    let database = B::start();
    drop(database.open().await);
    let supported = database
        .query_i64("SELECT MAX(version) FROM hardware_schema_history")
        .await;
    let newer = supported + 1;
    // A newer release records its migrations in refinery's history ...
    database
        .execute(&format!(
            "INSERT INTO hardware_schema_history (version, name, applied_on, checksum)
             VALUES ({newer}, 'from_a_newer_release', '2030-01-01T00:00:00Z', '1')"
        ))
        .await;
    let err = refusal(&database).await;
    assert!(err.contains(&format!("schema version {newer}")), "{err}");
    assert!(err.contains(&format!("up to {supported}")), "{err}");
    assert!(err.contains("run the release"), "{err}");
    assert!(err.contains("restore a backup"), "{err}");
    assert!(err.contains(&database.name_in_errors()), "{err}");

    // ... and in meta.schema_version, which is checked too (a file made from a newer
    // database.sql has only that).
    database
        .execute(&format!(
            "DELETE FROM hardware_schema_history WHERE version = {newer};
             UPDATE meta SET value = '{newer}' WHERE key = 'schema_version'"
        ))
        .await;
    let err = refusal(&database).await;
    assert!(err.contains(&format!("schema version {newer}")), "{err}");

    // Nothing was changed on the way: restoring the version opens the database again.
    database
        .execute(&format!(
            "UPDATE meta SET value = '{supported}' WHERE key = 'schema_version'"
        ))
        .await;
    database.open().await.ping().await.unwrap();
}

pub async fn a_database_from_before_migrations_opens_unchanged_at_version_1<B: Backend>() {
    let database = B::start();
    database.execute(B::FIRST_RELEASE_SCHEMA).await;
    // Its own catalog, unlike the seed: opening must neither seed nor re-run migration 1.
    database
        .execute(
            "DELETE FROM hardware;
             INSERT INTO hardware (provider, name, vcpus, memory_gib, gpus)
             VALUES ('Test', 'kept-1', 1, 1, 0)",
        )
        .await;
    let id_before = database
        .query_i64("SELECT COUNT(*) FROM meta WHERE key = 'database_id'")
        .await;
    assert_eq!(id_before, 1);
    let store = database.open().await;
    let rows = store.load_rows(None).await.unwrap();
    assert_eq!(
        rows.iter().map(|row| row.name.as_str()).collect::<Vec<_>>(),
        vec!["kept-1"]
    );
    // Adopted at 1 (migration 1 not run: the catalog above is kept), then brought up to date
    // by the later migrations.
    assert_eq!(
        database
            .query_i64("SELECT MIN(version) FROM hardware_schema_history")
            .await,
        1
    );
    assert_eq!(
        database
            .query_i64("SELECT MAX(version) FROM hardware_schema_history")
            .await,
        2
    );
    drop(store);
    assert_eq!(database.open().await.count_profiles().await.unwrap(), 1);
}

pub async fn the_schema_version_is_the_newest_migration<B: Backend>() {
    let database = B::start();
    drop(database.open().await);
    let recorded = database
        .query_i64("SELECT MAX(version) FROM hardware_schema_history")
        .await;
    let in_meta = database
        .query_i64("SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'schema_version'")
        .await;
    assert_eq!(recorded, in_meta);
    assert!(recorded >= 1);
}

/// Expand then contract: release N runs on the schema release N+1 expanded (a column added,
/// recorded as an `expand_` migration), reading and writing as before; a contract step
/// (anything else) on top makes N refuse.
pub async fn a_schema_newer_only_by_an_expand_migration_is_served_as_it_is<B: Backend>() {
    let database = B::start();
    drop(database.open().await);
    let supported = database
        .query_i64("SELECT MAX(version) FROM hardware_schema_history")
        .await;
    let expanded = supported + 1;
    // What N+1's `V{expanded}__expand_...sql` does: add a nullable column, record itself.
    database
        .execute(&format!(
            "ALTER TABLE availability ADD COLUMN compute_ms BIGINT;
             UPDATE meta SET value = '{expanded}' WHERE key = 'schema_version';
             INSERT INTO hardware_schema_history (version, name, applied_on, checksum)
             VALUES ({expanded}, 'expand_availability_compute_ms', '2030-01-01T00:00:00Z', '1')"
        ))
        .await;
    let store = database.open().await;
    let rows = store.load_rows(None).await.unwrap();
    assert!(!rows.is_empty(), "N still reads the expanded schema");
    let claimed = store
        .claim_due("n", 1, timestamp::now(), Duration::from_secs(60), &[])
        .await
        .unwrap();
    let profile = claimed.first().expect("a profile to compute");
    let saved = store
        .save_results("n", &[result_for(profile, Availability::High)])
        .await
        .unwrap();
    assert_eq!(saved.len(), 1, "N writes on the expanded schema");
    drop(store);
    assert_eq!(
        database
            .query_i64("SELECT MAX(version) FROM hardware_schema_history")
            .await,
        expanded,
        "N migrated nothing"
    );

    let contracted = expanded + 1;
    database
        .execute(&format!(
            "UPDATE meta SET value = '{contracted}' WHERE key = 'schema_version';
             INSERT INTO hardware_schema_history (version, name, applied_on, checksum)
             VALUES ({contracted}, 'drop_availability_old_column', '2030-01-02T00:00:00Z', '1')"
        ))
        .await;
    let err = refusal(&database).await;
    assert!(
        err.contains(&format!("schema version {contracted}")),
        "{err}"
    );
}

pub async fn saved_results_are_kept_as_history_and_pruned_by_age_and_count<B: Backend>() {
    use Availability::{High, Low, Medium};
    let database = B::start();
    let store = database.open().await;
    let lease = Duration::from_secs(60);
    let claimed = store
        .claim_due("w", 2, timestamp::now(), lease, &[])
        .await
        .unwrap();
    let (first, second) = (&claimed[0], &claimed[1]);
    let day = Duration::from_secs(86_400);
    let base = timestamp::now() - day * 10;
    // Five results of `first`, a day apart, the oldest ten days ago. Each save releases the
    // lease, so the next one (same owner) is accepted too.
    for (n, availability) in [Low, Medium, High, Low, Medium].into_iter().enumerate() {
        let result = ComputedAvailability {
            profile: first.clone(),
            availability,
            computed_at: base + day * n as u32,
        };
        assert_eq!(store.save_results("w", &[result]).await.unwrap().len(), 1);
    }
    store
        .save_results("w", &[result_for(second, High)])
        .await
        .unwrap();
    // A result refused by the lease check is not history either.
    let foreign = store
        .claim_due("other", 1, timestamp::now(), lease, &[])
        .await
        .unwrap();
    assert!(
        store
            .save_results("w", &[result_for(&foreign[0], Low)])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .load_history(foreign[0].id, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let values = |history: Vec<hardware::profile::HistoryEntry>| {
        history.iter().map(|e| e.availability).collect::<Vec<_>>()
    };
    let history = store.load_history(first.id, 10).await.unwrap();
    assert_eq!(history[0].computed_at, base + day * 4, "newest first");
    assert_eq!(values(history), vec![Medium, Low, High, Medium, Low]);
    assert_eq!(
        values(store.load_history(first.id, 2).await.unwrap()),
        vec![Medium, Low]
    );
    let rows = store.load_rows(None).await.unwrap();
    let row = |id: ProfileId| rows.iter().find(|row| row.id == id).unwrap().clone();
    assert_eq!(row(first.id).recent, vec![Medium, Low, High, Medium, Low]);
    assert_eq!(row(second.id).recent, vec![High]);
    assert!(row(foreign[0].id).recent.is_empty());
    let delta = store.load_rows(Some(row(first.id).seq - 1)).await.unwrap();
    assert_eq!(delta[0].recent, row(first.id).recent, "deltas carry it too");

    // By age, in batches of one: the two results from before base + 2 days go, one per call.
    let cutoff = base + day * 2;
    assert_eq!(store.prune_history_older_than(cutoff, 1).await.unwrap(), 1);
    assert_eq!(store.prune_history_older_than(cutoff, 1).await.unwrap(), 1);
    assert_eq!(store.prune_history_older_than(cutoff, 1).await.unwrap(), 0);
    assert_eq!(
        values(store.load_history(first.id, 10).await.unwrap()),
        vec![Medium, Low, High]
    );

    // By count, one profile per step, walking the catalog to its end.
    let mut after = 0;
    let mut deleted = 0;
    let mut steps = 0;
    loop {
        let step = store.prune_history_beyond(2, after, 1).await.unwrap();
        deleted += step.deleted;
        steps += 1;
        match step.next {
            Some(next) => {
                assert!(next > after);
                after = next;
            }
            None => break,
        }
    }
    assert_eq!(deleted, 1, "only `first` had more than two");
    assert!(steps >= rows.len(), "one profile per step: {steps} steps");
    assert_eq!(
        values(store.load_history(first.id, 10).await.unwrap()),
        vec![Medium, Low]
    );
    assert_eq!(
        values(store.load_history(second.id, 10).await.unwrap()),
        vec![High]
    );
    // A bigger step covers the whole (seeded) catalog at once.
    let whole = store.prune_history_beyond(1, 0, 10_000).await.unwrap();
    assert_eq!((whole.deleted, whole.next), (1, None));
}
