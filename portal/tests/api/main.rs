//! In-process tests of the portal: router tests (page, filters, paging, bad parameters,
//! caching headers), sync tests against a fake hardware, and the served application.
//! One test binary keeps link time down on small machines.

mod extras;
mod fake_hardware;
mod helpers;

mod freshness;
mod page;
mod profile_page;
mod query_errors;
mod serve;
mod sync;
