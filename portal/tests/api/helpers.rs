//! Builds a portal in-process (state, router and syncer, no server) around a fake hardware.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use portal::domain::SnapshotStore;
use portal::sync::{HardwareClient, SyncOutcome, Syncer};
use portal::telemetry::PortalMetrics;
use portal::{AppState, router};
use service_kit::HttpMetrics;
use tower::ServiceExt;

use crate::fake_hardware::FakeHardware;

pub struct TestPortal {
    pub state: AppState,
    pub syncer: Syncer,
    pub router: Router,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("missing header {name}"))
            .to_str()
            .unwrap()
    }
}

pub fn portal_for(hardware_url: &str) -> TestPortal {
    let http_metrics = HttpMetrics::new("portal");
    let metrics = PortalMetrics::register(&http_metrics).unwrap();
    let store = Arc::new(SnapshotStore::new(0x5eed));
    let client = HardwareClient::new(&hardware_url.parse().unwrap()).unwrap();
    let state = AppState::new(store.clone(), http_metrics, metrics.clone(), 16 << 20, 2000)
        .with_history(client.clone());
    TestPortal {
        syncer: Syncer::new(client, store, metrics),
        router: router(state.clone()),
        state,
    }
}

/// A portal that has completed one successful sync with `fake`.
pub async fn synced_portal(fake: &FakeHardware) -> TestPortal {
    let mut portal = portal_for(&fake.url());
    let outcome = portal.syncer.sync_once().await;
    assert!(
        matches!(outcome, SyncOutcome::Updated { full: true, .. }),
        "{outcome:?}"
    );
    portal
}

impl TestPortal {
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.get_with(uri, &[]).await
    }

    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// `n` profiles spread over three providers, every fourth not computed yet.
pub fn catalog(n: i64) -> Vec<serde_json::Value> {
    (1..=n)
        .map(|id| {
            let provider = ["Amazon", "Azure", "Google"][(id % 3) as usize];
            let availability = ["HIGH", "MEDIUM", "LOW"][(id % 4).min(2) as usize];
            let availability = (id % 4 != 3).then_some(availability);
            crate::fake_hardware::profile(id, provider, &format!("type-{id:04}"), availability)
        })
        .collect()
}

/// Number of table body rows in a rendered page.
pub fn row_count(html: &str) -> usize {
    html.matches("<th scope=\"row\">").count()
}
