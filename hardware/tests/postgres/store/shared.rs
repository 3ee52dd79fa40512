//! What only a shared PostgreSQL database needs beyond the contract: seqs from a sequence,
//! concurrent claimers, rows written by another process, an unreachable server.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hardware::availability::Availability;
use hardware::profile::{ComputedAvailability, Profile};
use hardware::store::{DatabaseUrl, Store, open_store, timestamp};

use test_support::free_port;
use test_support::postgres::PgServer;

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

/// The rest of what a new database promises is in the contract; only here do seeded rows take
/// their seqs from a sequence (SQLite's seed leaves them at 0, its next write takes MAX + 1).
#[tokio::test]
async fn seeded_rows_carry_change_sequence_numbers() {
    let server = PgServer::start();
    let rows = open(&server).await.load_rows(None).await.unwrap();
    assert!(rows.len() >= 50, "catalog has {} rows", rows.len());
    assert!(
        rows.iter()
            .all(|row| row.availability.is_none() && row.seq > 0)
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
