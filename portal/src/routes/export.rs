//! `GET /export.csv` and `GET /export.json`: the dashboard's current view (same query
//! parameters, every matching row) as a download, cached per snapshot and query like pages.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::dashboard::respond;
use super::errors::{bad_request, html_error};
use crate::domain::PageQuery;
use crate::render::RenderedPage;
use crate::render::export::{Format, export};
use crate::state::AppState;

pub async fn csv(state: State<AppState>, request: Request) -> Response {
    download(state, request, Format::Csv)
}

pub async fn json(state: State<AppState>, request: Request) -> Response {
    download(state, request, Format::Json)
}

fn download(State(state): State<AppState>, request: Request, format: Format) -> Response {
    let snapshot = state.store.peek();
    let query = match PageQuery::parse_for(request.uri().query(), snapshot.catalog.as_deref()) {
        Ok(query) => query,
        Err(err) => return bad_request(err.to_string()),
    };
    let Some(catalog) = snapshot.catalog.clone() else {
        return html_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "No data yet",
            "Live data is not available yet; try again in a moment.".to_owned(),
        );
    };
    // Page and page size do not change an export: one cache entry for all pages of a view.
    let key = format!(
        "export.{}?{}",
        format.extension(),
        query.with_page(1).canonical()
    );
    let page = state
        .pages
        .get_or_render(snapshot.revision, key.clone(), || {
            let body = export(&catalog, &query, format);
            RenderedPage::new(body, state.store.boot_id(), snapshot.revision, &key)
        });
    let mut response = respond(
        &page,
        request.headers(),
        HeaderValue::from_static(format.content_type()),
    );
    let disposition = format!(
        "attachment; filename=\"hardware-profiles.{}\"",
        format.extension()
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).expect("ASCII"),
    );
    response
}
