//! The store contract, written once ([`contract`]) and run against both backends, plus what
//! only a shared PostgreSQL database needs ([`shared`]: seqs from a sequence, concurrent
//! claimers, rows written by another process, an unreachable server).

mod backends;
mod contract;
mod shared;

/// One `#[tokio::test]` per contract function, for the backend `$backend`.
macro_rules! store_contract {
    ($backend:ty: $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                super::contract::$name::<$backend>().await;
            }
        )+
    };
}

macro_rules! every_contract_test {
    ($backend:ty) => {
        store_contract!($backend:
            a_new_database_is_created_and_seeded_once_with_the_original_rows_first,
            a_database_id_that_is_not_header_safe_is_replaced_once_and_kept,
            a_header_safe_database_id_is_left_alone,
            claims_are_exclusive_until_saved_and_results_bump_the_sequence,
            expired_leases_are_taken_over_and_stale_values_come_oldest_first,
            profiles_in_flight_are_not_claimed_again_even_when_their_lease_expired,
            profiles_the_claimer_has_in_flight_are_skipped_even_with_an_expired_lease,
            inserted_profiles_get_availability_rows_and_duplicates_are_skipped,
            a_database_holding_other_tables_of_the_same_name_is_refused,
            a_schema_newer_than_the_binary_is_refused_saying_what_to_do,
            a_schema_newer_only_by_an_expand_migration_is_served_as_it_is,
            a_database_from_before_migrations_opens_unchanged_at_version_1,
            the_schema_version_is_the_newest_migration,
            saved_results_are_kept_as_history_and_pruned_by_age_and_count,
        );
    };
}

mod sqlite {
    every_contract_test!(super::backends::Sqlite);
}

mod postgres {
    every_contract_test!(super::backends::Postgres);
}
