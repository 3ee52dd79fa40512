//! `hardware`: the private JSON service that owns the hardware catalog and its availability.
//!
//! The availability of a profile comes from a deliberately slow computation (5 s, see
//! [`availability::slow_process_to_calculate_availability`]). Nothing waits for it: the
//! [`refresher`] computes every profile ahead of time on a bounded [`compute_pool`], persists
//! each result in the [`store`], and publishes it in an in-memory [`snapshot`] from which the
//! [`routes`] answer in microseconds.

pub mod app_metrics;
pub mod availability;
pub mod backlog;
pub mod compute_pool;
pub mod compute_status;
pub mod config;
pub mod history_pruner;
pub mod profile;
pub mod query;
pub mod refresher;
pub mod routes;
pub mod seed;
pub mod snapshot;
pub mod startup;
pub mod state;
pub mod store;

pub use routes::router;
pub use startup::Application;
