//! One corrupt row costs that row only: the service starts, serves the rest, counts the bad
//! value in /metrics and recomputes the row.

use std::time::Duration;

use crate::helpers::{TestApp, computed, fast, never};

async fn corrupt(db: &std::path::Path, statements: &[&str]) {
    let db = db.to_path_buf();
    let statements: Vec<String> = statements.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let connection = rusqlite::Connection::open(db).unwrap();
        for statement in statements {
            connection.execute(&statement, []).unwrap();
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn unreadable_availability_values_are_served_as_never_computed_and_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hw.db");
    let first = TestApp::spawn(db.clone(), fast(), &[]).await;
    let total = first
        .wait_until(Duration::from_secs(20), |rows| computed(rows) == rows.len())
        .await
        .len();
    first.stop().await;

    corrupt(
        &db,
        &[
            "UPDATE availability SET computed_at = '' WHERE hardware_id = 1",
            "UPDATE availability SET computed_at = 'yesterday' WHERE hardware_id = 2",
            "UPDATE availability SET computed_at = 42 WHERE hardware_id = 3",
            "UPDATE availability SET computed_at = x'00ff' WHERE hardware_id = 4",
        ],
    )
    .await;

    // The refresher cannot finish anything here: what is served is what was loaded.
    let second = TestApp::spawn(db.clone(), never(), &[]).await;
    let rows = second.get_json("/hardware/").await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), total, "every profile is still served");
    assert_eq!(
        computed(rows),
        total - 4,
        "the four corrupt rows count as never computed"
    );
    assert_eq!(second.metric("hardware_store_corrupt_values").await, 4.0);
    second.stop().await;

    // Reset on disk: the next start finds nothing corrupt and recomputes the four rows.
    let third = TestApp::spawn(db, fast(), &[]).await;
    third
        .wait_until(Duration::from_secs(20), |rows| computed(rows) == total)
        .await;
    assert_eq!(third.metric("hardware_store_corrupt_values").await, 0.0);
    third.stop().await;
}

#[tokio::test]
async fn a_corrupt_catalog_row_is_left_out_and_the_rest_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hw.db");
    let first = TestApp::spawn(db.clone(), never(), &[]).await;
    let total = first.get_json("/hardware/").await.as_array().unwrap().len();
    first.stop().await;

    corrupt(&db, &["UPDATE hardware SET vcpus = 'many' WHERE id = 5"]).await;

    let second = TestApp::spawn(db, fast(), &[]).await;
    let rows = second
        .wait_until(Duration::from_secs(20), |rows| computed(rows) == rows.len())
        .await;
    assert_eq!(rows.len(), total - 1);
    assert!(
        rows.iter().all(|row| row["id"] != 5),
        "profile 5 is left out"
    );
    second.stop().await;
}
