//! End-to-end tests of the metrics service: real UDP and HTTP on 127.0.0.1 (port 0), real
//! SQLite files in temporary directories, and the real `metrics-client` as the sender.

mod helpers;

mod bad_input;
mod collectors;
mod events;
mod flood;
mod hours;
mod import;
mod lifecycle;
mod openapi;
mod query_accuracy;
mod statsd;
