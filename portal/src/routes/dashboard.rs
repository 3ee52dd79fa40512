//! `GET /`: the dashboard. The hot path is parse query -> cache lookup -> shared bytes.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::errors::bad_request;
use crate::domain::PageQuery;
use crate::render::{PageContext, RenderedPage, render_dashboard};
use crate::state::AppState;

const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
/// Browsers revalidate every time; the ETag makes that a 304 without a body.
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");
const VARY: HeaderValue = HeaderValue::from_static("accept-encoding");
const GZIP: HeaderValue = HeaderValue::from_static("gzip");

pub async fn dashboard(State(state): State<AppState>, request: Request) -> Response {
    // A guard, not an `Arc` clone: no shared reference count bouncing between cores.
    let snapshot = state.store.peek();
    let query = match PageQuery::parse_for(request.uri().query(), snapshot.catalog.as_deref()) {
        Ok(query) => query,
        Err(err) => return bad_request(err.to_string()),
    };
    let canonical = query.canonical();
    let page = state
        .pages
        .get_or_render(snapshot.revision, canonical.clone(), || {
            state.metrics.page_renders.inc();
            let context = PageContext {
                version_token: state.store.version_token(&snapshot),
                poll_ms: state.poll_ms,
            };
            let html = render_dashboard(&snapshot, &query, &context);
            RenderedPage::new(html, state.store.boot_id(), snapshot.revision, &canonical)
        });
    respond(&page, request.headers(), HTML)
}

/// The cached body in the encoding the client takes, with its ETag (304 when it matches).
pub(super) fn respond(
    page: &RenderedPage,
    request_headers: &HeaderMap,
    content_type: HeaderValue,
) -> Response {
    let gzip = accepts_gzip(request_headers);
    let (etag, body) = if gzip {
        (&page.etag_gzip, &page.gzip)
    } else {
        (&page.etag, &page.html)
    };
    let not_modified = service_kit::headers::is_not_modified_value(request_headers, etag);
    let mut response = if not_modified {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        Response::new(Body::from(body.clone()))
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, NO_CACHE);
    headers.insert(header::VARY, VARY);
    if !not_modified {
        headers.insert(header::CONTENT_TYPE, content_type);
        if gzip {
            headers.insert(header::CONTENT_ENCODING, GZIP);
        }
    }
    response
}

/// `gzip` listed in Accept-Encoding without `q=0`.
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn gzip_is_used_only_when_accepted() {
        assert!(accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )));
        assert!(accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "br;q=1.0, GZIP;q=0.5"
        )));
        assert!(!accepts_gzip(&headers(
            header::ACCEPT_ENCODING,
            "gzip;q=0, br"
        )));
        assert!(!accepts_gzip(&headers(header::ACCEPT_ENCODING, "identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
