//! `GET /profiles/{provider}/{name}`: one profile's page. The profile comes from the synced
//! snapshot (an unknown one is a 404 without asking `hardware`); its history from
//! [`HistorySource`](crate::sync::HistorySource), at most one bounded request per view.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::errors::html_error;
use crate::domain::SyncHealth;
use crate::render::profile_page::{HistoryView, ProfilePage};
use crate::state::AppState;

pub async fn profile(
    State(state): State<AppState>,
    Path((provider, name)): Path<(String, String)>,
) -> Response {
    let snapshot = state.store.load();
    let Some(catalog) = snapshot.catalog.clone() else {
        return html_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not available yet",
            "The portal is waiting for the first data from hardware; try again in a moment."
                .to_owned(),
        );
    };
    let found = catalog.canonical_provider(&provider).and_then(|provider| {
        catalog
            .profiles
            .iter()
            .find(|profile| profile.provider == provider && profile.name == name)
    });
    let Some(profile) = found else {
        return html_error(
            StatusCode::NOT_FOUND,
            "Profile not found",
            format!(
                "There is no profile named \u{201c}{}\u{201d} from \u{201c}{}\u{201d}.",
                name.chars().take(100).collect::<String>(),
                provider.chars().take(60).collect::<String>()
            ),
        );
    };
    // A hardware the sync already finds unreachable is not asked again (and not waited on).
    let fetched = match (&state.history, &snapshot.health) {
        (None, _) => Err("The history is not available from this portal."),
        (Some(_), SyncHealth::Unreachable { .. }) => {
            Err("The history cannot be fetched right now: live data is paused.")
        }
        (Some(source), _) => source.history(profile).await.map_err(|err| {
            tracing::debug!(error = %err, profile = profile.id, "no history from hardware");
            "The history cannot be fetched right now."
        }),
    };
    let view = match &fetched {
        Ok(history) => HistoryView::Fetched(history),
        Err(reason) => HistoryView::Unavailable(reason),
    };
    let html = ProfilePage::new(profile, view)
        .render()
        .unwrap_or_else(|err| format!("<!doctype html><p>template error: {err}</p>"));
    let mut response = (StatusCode::OK, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
