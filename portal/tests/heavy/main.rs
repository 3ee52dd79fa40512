//! Tests that run the real `portal` and `hardware` binaries (and a browser). Named
//! `heavy_*` so nextest runs them one at a time.

mod audit;
mod browser;
mod e2e;
mod layout;
mod live;
mod probe;
mod processes;
