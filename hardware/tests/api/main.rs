//! Integration tests of the `hardware` service: one test binary, one module per concern.

mod binary;
mod changes;
mod corrupt_rows;
mod helpers;
mod history;
mod hygiene;
mod lifecycle;
mod list;
mod openapi;
mod real_computation;
mod status;
