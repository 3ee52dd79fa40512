//! `fresh_database` gives every test a database of its own, whether the tests share the
//! process's server (`cargo test`) or each has its own process (`cargo nextest run`).

#![cfg(feature = "postgres")]

use test_support::postgres::{TestDatabase, fresh_database};

/// Creates the same table in the test's database: it fails if another test's database (or a
/// previous use of this one) already has it.
async fn claim(database: &TestDatabase, who: &str) {
    let client = database.client().await;
    client
        .batch_execute("CREATE TABLE claimed (by text NOT NULL)")
        .await
        .unwrap_or_else(|err| panic!("{who}: the database is not fresh: {err}"));
    client
        .execute("INSERT INTO claimed VALUES ($1)", &[&who])
        .await
        .unwrap();
    let rows = client.query("SELECT by FROM claimed", &[]).await.unwrap();
    let owners: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(owners, [who]);
}

#[tokio::test]
async fn each_test_gets_an_empty_database_of_its_own() {
    let first = fresh_database().await;
    let second = fresh_database().await;
    assert_ne!(first.url(), second.url());
    claim(&first, "first").await;
    claim(&second, "second").await;
}

#[tokio::test]
async fn a_concurrent_test_is_not_disturbed() {
    let database = fresh_database().await;
    claim(&database, "concurrent").await;
}
