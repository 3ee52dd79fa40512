//! Following pagination to the last page: by `Link` header, by page number with
//! `X-Total-Count`, and by an HTML `rel="next"` link.

mod common;

use common::{ITEMS, TestServer, options, run, settings, step, write_workflow};
use loadtest::report::Report;

fn paging_workflow(path: &str, paginate: &str) -> String {
    format!(
        r#"
name = "paging"
duration = "1s"

[[actor]]
name = "reader"
target = "api"
count = 1
start = "together"
schedule = {{ requests = 2, every = "1s" }}

[[actor.step]]
name = "list"
path = "{path}"
paginate = {paginate}
"#
    )
}

/// The workflow with an `errors = 0` threshold on the whole run.
fn with_sla(workflow: &str) -> String {
    workflow.replacen(
        "duration = \"1s\"",
        "duration = \"1s\"\nsla = [\"errors = 0\"]",
        1,
    )
}

/// Runs [`paging_workflow`] against `server` over 8 connections.
async fn crawl(server: &TestServer, path: &str, paginate: &str) -> Report {
    server.run_inline(&paging_workflow(path, paginate), 8).await
}

/// [`crawl`] with the `errors = 0` threshold of [`with_sla`].
async fn crawl_with_sla(server: &TestServer, path: &str, paginate: &str) -> Report {
    server
        .run_inline(&with_sla(&paging_workflow(path, paginate)), 8)
        .await
}

fn expected_pages(per_page: u64) -> Vec<u64> {
    (1..=ITEMS.div_ceil(per_page)).collect()
}

fn pages_seen(requests: &[String]) -> Vec<u64> {
    requests
        .iter()
        .map(|r| {
            let page = r.split("page=").nth(1).unwrap().split('&').next().unwrap();
            page.parse().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn link_headers_are_followed_to_the_last_page_in_order() {
    let server = TestServer::start().await;
    let report = crawl(
        &server,
        "/items?page={page}&per_page=50",
        r#"{ by = "link" }"#,
    )
    .await;

    // Two iterations, each pages 1..=5 (230 items, 50 per page).
    let pages = pages_seen(&server.requests());
    let one_pass = expected_pages(50);
    assert_eq!(pages, [one_pass.clone(), one_pass].concat());
    assert_eq!(step(&report, "paging", "reader", "list").count, 10);
    let retrieval = step(&report, "paging", "reader", "list (all pages)");
    assert_eq!(retrieval.count, 2);
    // A retrieval takes at least as long as its slowest page.
    assert!(retrieval.corrected.max >= step(&report, "paging", "reader", "list").corrected.max);
}

#[tokio::test]
async fn page_numbers_are_followed_until_the_total_count_is_exhausted() {
    let server = TestServer::start().await;
    let report = crawl(
        &server,
        "/numbered?page={page}&per_page=100",
        r#"{ by = "page", per_page = 100 }"#,
    )
    .await;

    let one_pass = expected_pages(100);
    assert_eq!(one_pass, vec![1, 2, 3]);
    assert_eq!(
        pages_seen(&server.requests()),
        [one_pass.clone(), one_pass].concat()
    );
    assert_eq!(step(&report, "paging", "reader", "list").count, 6);
}

#[tokio::test]
async fn html_next_links_are_followed_like_a_person_clicking_next() {
    let server = TestServer::start().await;
    let report = crawl(
        &server,
        "/html?page={page}&per_page=40",
        r#"{ by = "link" }"#,
    )
    .await;

    let one_pass = expected_pages(40);
    assert_eq!(one_pass.len(), 6);
    assert_eq!(
        pages_seen(&server.requests()),
        [one_pass.clone(), one_pass].concat()
    );
    assert_eq!(step(&report, "paging", "reader", "list").errors, 0);
}

#[tokio::test]
async fn hitting_max_pages_is_an_error_of_the_step_not_a_success() {
    let server = TestServer::start().await;
    let report = crawl_with_sla(
        &server,
        "/items?page={page}&per_page=10",
        r#"{ by = "link", max_pages = 3 }"#,
    )
    .await;
    assert_eq!(pages_seen(&server.requests()), vec![1, 2, 3, 1, 2, 3]);
    // The third page of each retrieval still had a next link: two incomplete retrievals.
    let requests = step(&report, "paging", "reader", "list");
    assert_eq!(requests.errors, 2);
    assert_eq!(requests.errors_by_kind["page_limit"], 2);
    let retrievals = step(&report, "paging", "reader", "list (all pages)");
    assert_eq!(retrievals.errors, 2);
    assert!(!report.passed, "{:#?}", report.checks);
}

#[tokio::test]
async fn max_pages_reached_on_the_last_page_is_a_success() {
    let server = TestServer::start().await;
    let report = crawl_with_sla(
        &server,
        "/items?page={page}&per_page=50",
        r#"{ by = "link", max_pages = 5 }"#,
    )
    .await;
    assert_eq!(pages_seen(&server.requests()).len(), 10);
    assert_eq!(step(&report, "paging", "reader", "list").errors, 0);
    assert!(report.passed, "{:#?}", report.checks);
}

/// The portal's pages: `&#38;` between parameters and a page size other than the default.
#[tokio::test]
async fn numeric_character_references_keep_every_parameter_of_the_next_link() {
    let server = TestServer::start().await;
    let report = crawl_with_sla(&server, "/portal?page=1&per_page=25", r#"{ by = "link" }"#).await;
    let requests = server.requests();
    let one_pass = expected_pages(25);
    assert_eq!(one_pass.len(), 10);
    assert_eq!(pages_seen(&requests), [one_pass.clone(), one_pass].concat());
    assert!(
        requests.iter().all(|r| r.ends_with("per_page=25")),
        "{requests:?}"
    );
    assert!(report.passed, "{:#?}", report.checks);
}

#[tokio::test]
async fn a_sort_parameter_before_the_page_does_not_make_it_fetch_page_one_again() {
    let server = TestServer::start().await;
    let report = crawl_with_sla(&server, "/portal?sort=name", r#"{ by = "link" }"#).await;
    let requests = server.requests();
    // Page 1 has no page parameter; pages 2..=5 follow, each keeping the sort order.
    let one_pass: Vec<String> = std::iter::once("/portal?sort=name".to_owned())
        .chain((2..=5).map(|page| format!("/portal?sort=name&page={page}&per_page=50")))
        .collect();
    assert_eq!(requests, [one_pass.clone(), one_pass].concat());
    assert!(report.passed, "{:#?}", report.checks);
}

#[tokio::test]
async fn compressed_pages_are_decoded_before_the_next_link_is_searched() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let workflow = paging_workflow("/portal?page=1&per_page=40", r#"{ by = "link" }"#)
        + "headers = { accept-encoding = \"gzip\" }\n";
    let path = write_workflow(dir.path(), "gzip.toml", &with_sla(&workflow));
    let report = run(&path, &settings(&server, 1.0, 1.0), &options(8)).await;
    let one_pass = expected_pages(40);
    assert_eq!(one_pass.len(), 6);
    assert_eq!(
        pages_seen(&server.requests()),
        [one_pass.clone(), one_pass].concat()
    );
    assert!(report.passed, "{:#?}", report.checks);
}

#[tokio::test]
async fn a_next_link_back_to_a_fetched_page_is_an_error_not_a_crawl_to_the_limit() {
    let server = TestServer::start().await;
    let report = crawl_with_sla(&server, "/loop?page=1", r#"{ by = "link" }"#).await;
    assert_eq!(
        server.requests(),
        [
            "/loop?page=1",
            "/loop?page=2",
            "/loop?page=1",
            "/loop?page=2"
        ]
    );
    let requests = step(&report, "paging", "reader", "list");
    assert_eq!(requests.errors_by_kind["page_loop"], 2);
    assert!(!report.passed);
}
