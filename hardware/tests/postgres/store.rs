//! The PostgreSQL store on its own, mirroring the SQLite store's tests, plus what only a
//! shared database needs: concurrent claimers, and rows written by another process.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hardware::availability::Availability;
use hardware::profile::{ComputedAvailability, Profile};
use hardware::store::{DatabaseUrl, NewProfile, Store, open_store, timestamp};

use crate::pg_server::{PgServer, free_port};

async fn open(server: &PgServer) -> Arc<dyn Store> {
    open_store(&DatabaseUrl::Postgres(server.url()))
        .await
        .unwrap()
}

fn result_for(profile: &Profile, availability: Availability) -> ComputedAvailability {
    ComputedAvailability {
        profile: profile.clone(),
        availability,
        computed_at: timestamp::now(),
    }
}

#[tokio::test]
async fn a_new_database_is_created_and_seeded_once_with_the_original_rows_first() {
    let server = PgServer::start();
    let first = open(&server).await;
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
    assert!(
        rows.iter()
            .all(|row| row.availability.is_none() && row.seq > 0)
    );

    // A second process opening the same database migrates nothing and seeds nothing.
    let second = open(&server).await;
    assert_eq!(second.count_profiles().await.unwrap(), rows.len());
    assert_eq!(
        first.database_id().await.unwrap(),
        second.database_id().await.unwrap()
    );
    second.ping().await.unwrap();
}

#[tokio::test]
async fn claims_are_exclusive_until_saved_and_results_bump_the_sequence() {
    let server = PgServer::start();
    let store = open(&server).await;
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

#[tokio::test]
async fn expired_leases_are_taken_over_and_stale_values_come_oldest_first() {
    let server = PgServer::start();
    let store = open(&server).await;
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

#[tokio::test]
async fn inserted_profiles_get_availability_rows_and_duplicates_are_skipped() {
    let server = PgServer::start();
    let store = open(&server).await;
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
}

#[tokio::test]
async fn concurrent_claimers_in_two_processes_never_get_the_same_profile() {
    let server = PgServer::start();
    let stores = [open(&server).await, open(&server).await];
    let total = stores[0].count_profiles().await.unwrap();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let store = stores[worker % 2].clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_due(
                        &format!("w{worker}"),
                        3,
                        timestamp::now(),
                        Duration::from_secs(60),
                        &[],
                    )
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|p| p.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut claims = 0;
    for task in tasks {
        for id in task.await.unwrap() {
            claims += 1;
            assert!(seen.insert(id), "profile {id} was claimed twice");
        }
    }
    assert_eq!((claims, seen.len()), (total, total));
}

#[tokio::test]
async fn rows_two_processes_save_come_back_from_load_rows_in_commit_order() {
    let server = PgServer::start();
    let (a, b) = (open(&server).await, open(&server).await);
    let seq_a = a
        .load_rows(None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .max()
        .unwrap();
    b.load_rows(None).await.unwrap();
    let lease = Duration::from_secs(60);
    let for_a = a
        .claim_due("a", 1, timestamp::now(), lease, &[])
        .await
        .unwrap();
    let for_b = b
        .claim_due("b", 1, timestamp::now(), lease, &[])
        .await
        .unwrap();
    let by_b = b
        .save_results("b", &[result_for(&for_b[0], Availability::Low)])
        .await
        .unwrap();
    let by_a = a
        .save_results("a", &[result_for(&for_a[0], Availability::High)])
        .await
        .unwrap();
    // b committed first, so its row has the lower seq, and a's reload from before both
    // brings b's row too: the refresher's reload never steps over another process's write.
    assert!(by_b[0].seq < by_a[0].seq);
    let reloaded = a.load_rows(Some(seq_a)).await.unwrap();
    assert_eq!(reloaded.len(), 2);
    let from_b = reloaded
        .iter()
        .find(|r| r.id == for_b[0].id)
        .expect("b's row");
    assert_eq!(from_b.availability, Some(Availability::Low));
}

#[tokio::test]
async fn a_database_holding_other_tables_of_the_same_name_is_refused() {
    let server = PgServer::start();
    server
        .client()
        .await
        .batch_execute("CREATE TABLE hardware (serial_number TEXT)")
        .await
        .unwrap();
    let err = open_store(&DatabaseUrl::Postgres(server.url()))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("not a hardware database"), "{err}");
    assert!(err.contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn an_unreachable_database_fails_fast_with_its_address_and_no_password() {
    let port = free_port();
    let url = format!("postgres://hw:secret@127.0.0.1:{port}/hw");
    let started = Instant::now();
    let err = open_store(&DatabaseUrl::Postgres(url))
        .await
        .err()
        .expect("nothing listens there")
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains("secret"), "{err}");
}

#[tokio::test]
async fn profiles_the_claimer_has_in_flight_are_skipped_even_with_an_expired_lease() {
    let server = PgServer::start();
    let store = open(&server).await;
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

#[tokio::test]
async fn a_database_id_that_is_not_header_safe_is_replaced_once_and_kept() {
    let server = PgServer::start();
    drop(open(&server).await);
    let client = server.client().await;
    for bad in ["a\"b", "a b", "caf\u{e9}", "ab\r\nx-forged: 1"] {
        client
            .execute(
                "UPDATE meta SET value = $1 WHERE key = 'database_id'",
                &[&bad],
            )
            .await
            .unwrap();
        let store = open(&server).await;
        let id = store.database_id().await.unwrap();
        assert!(
            hardware::store::database_id::is_header_safe(&id),
            "{bad:?} became {id:?}"
        );
        assert_eq!(
            store.database_id().await.unwrap(),
            id,
            "the replacement is stored"
        );
    }
}
