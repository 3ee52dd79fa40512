//! The `metrics` service: collects `key:value` response times over UDP and HTTP, aggregates
//! them per key and UTC hour (exact count/sum/min/max and a DDSketch for the median), flushes
//! them to SQLite or PostgreSQL, and answers `GET /<key>/<stat_type>/<date>/<hour>`. See docs/metrics.md.

pub mod admission;
pub mod aggregate;
pub mod bench;
pub mod config;
pub mod domain;
pub mod flush;
pub mod import;
pub mod ingest;
pub mod retention;
pub mod routes;
pub mod startup;
pub mod storage;
pub mod telemetry;

pub use config::{Cli, Command, Role};
pub use startup::{Application, ServeConfig};
