//! Prints what one response-cache entry with an empty body really costs in memory, beside
//! what the cache's weigher charges for it (`state::entry_weight`), so the weigher's
//! per-entry overhead can be checked against a measurement. A measurement, not a test:
//!
//!     cargo run --release -p hardware --example cache_entry_overhead
//!
//! Run it alone: RSS is the whole process's.

use std::sync::Arc;

use bytes::Bytes;
use hardware::state::{CachedBody, ResponseCache, entry_weight};

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's resident pages");
    pages * 4096
}

fn main() {
    let empty = || CachedBody {
        body: Bytes::from_static(b"[]"),
        total: 0,
        link: None,
    };
    let cache: ResponseCache = moka::sync::Cache::builder()
        .max_capacity(u64::MAX)
        .weigher(entry_weight)
        .build();
    let version: Arc<str> = Arc::from("v1");
    let entries = 200_000;
    let before = rss_bytes();
    let mut weighed = 0u64;
    for i in 0..entries {
        let key = (version.clone(), format!("name=no-such-profile-{i:08}"));
        weighed += u64::from(entry_weight(&key, &empty()));
        cache.insert(key, empty());
    }
    cache.run_pending_tasks();
    let per_entry = rss_bytes().saturating_sub(before) / entries;
    println!(
        "{entries} entries: RSS per entry {per_entry} bytes; the weigher charges {} bytes",
        weighed / entries as u64
    );
}
