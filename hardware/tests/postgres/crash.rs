//! A process killed mid-computation loses nothing: its leases expire and the others compute
//! its profiles.

use std::time::Duration;

use test_support::postgres::PgServer;
use test_support::wait;

use crate::services::{SHARED_ARGS, Service, profile_count, wait_all_computed_and_equal};

#[tokio::test]
async fn heavy_a_process_killed_mid_computation_has_its_profiles_computed_by_the_others() {
    let server = PgServer::start();
    let url = server.url();
    let db = server.client().await;
    let a = Service::spawn(&url, SHARED_ARGS).await;
    let b = Service::spawn(&url, SHARED_ARGS).await;
    let mut victim = Service::spawn(&url, SHARED_ARGS).await;
    let profiles = profile_count(&db).await;

    // The lease owner names the process id: wait until the victim holds claims, then kill it.
    let owner_pattern = format!("%-{}-%", victim.pid());
    let held: Vec<i64> = wait::until(
        Duration::from_secs(20),
        Duration::from_millis(10),
        async || {
            let rows = db
                .query(
                    "SELECT hardware_id FROM availability
                 WHERE claimed_by LIKE $1 AND claim_expires_at > now()",
                    &[&owner_pattern],
                )
                .await
                .unwrap();
            if rows.is_empty() {
                return Err("the victim never claimed anything");
            }
            victim.kill();
            Ok(rows.iter().map(|row| row.get(0)).collect())
        },
    )
    .await;
    let killed_at = time::OffsetDateTime::now_utc();

    // The 3 s lease expires, the survivors take the profiles over; nothing is lost.
    wait_all_computed_and_equal(&[&a, &b], profiles, Duration::from_secs(40)).await;
    let rows = db
        .query(
            "SELECT hardware_id, computed_at, claimed_by FROM availability
             WHERE hardware_id = ANY($1)",
            &[&held],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), held.len());
    for row in rows {
        let id: i64 = row.get(0);
        let computed_at: Option<time::OffsetDateTime> = row.get(1);
        let claimed_by: Option<String> = row.get(2);
        assert!(
            computed_at.is_some_and(|at| at > killed_at),
            "profile {id}, held by the killed process, was computed after the kill"
        );
        assert_eq!(claimed_by, None, "profile {id} is not claimed any more");
    }
}
