//! Following pagination to the last page: by `Link` header, by page number with
//! `X-Total-Count`, and by an HTML `rel="next"` link.

mod common;

use common::{ITEMS, TestServer, options, run, settings, step, write_workflow};

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
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(
        dir.path(),
        "link.toml",
        &paging_workflow("/items?page={page}&per_page=50", r#"{ by = "link" }"#),
    );
    let report = run(&path, &settings(&server, 1.0, 1.0), &options(8)).await;

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
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(
        dir.path(),
        "numbered.toml",
        &paging_workflow(
            "/numbered?page={page}&per_page=100",
            r#"{ by = "page", per_page = 100 }"#,
        ),
    );
    let report = run(&path, &settings(&server, 1.0, 1.0), &options(8)).await;

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
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(
        dir.path(),
        "html.toml",
        &paging_workflow("/html?page={page}&per_page=40", r#"{ by = "link" }"#),
    );
    let report = run(&path, &settings(&server, 1.0, 1.0), &options(8)).await;

    let one_pass = expected_pages(40);
    assert_eq!(one_pass.len(), 6);
    assert_eq!(
        pages_seen(&server.requests()),
        [one_pass.clone(), one_pass].concat()
    );
    assert_eq!(step(&report, "paging", "reader", "list").errors, 0);
}

#[tokio::test]
async fn max_pages_stops_a_pagination_that_would_go_on() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_workflow(
        dir.path(),
        "capped.toml",
        &paging_workflow(
            "/items?page={page}&per_page=10",
            r#"{ by = "link", max_pages = 3 }"#,
        ),
    );
    run(&path, &settings(&server, 1.0, 1.0), &options(8)).await;
    assert_eq!(pages_seen(&server.requests()), vec![1, 2, 3, 1, 2, 3]);
}
