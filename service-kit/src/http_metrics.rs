//! Request latency by route for `/metrics`, as a Prometheus histogram.
//!
//! The route label is axum's `MatchedPath` (the route template, e.g. `/hardware/`), never
//! the raw URI, so a scanner requesting random paths cannot blow up the label set.
//!
//! The same place sends each user request's response time to the `metrics` collectors
//! ([`HttpMetrics::report_response_times`]), skipping [`UNREPORTED_ROUTES`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_client::MetricsClient;
use prometheus::{Encoder, HistogramOpts, HistogramVec, Registry, TextEncoder};

use crate::client_metrics::ClientCounters;

/// Called after every response to a user route with its template and the time it took;
/// services use it to send response times to the `metrics` collector without waiting on it.
pub type ResponseObserver = Arc<dyn Fn(&str, Duration) + Send + Sync>;

/// Routes polled by machines, not used by people: probes, scrapes and the portal page's
/// `/version` poll (every open browser tab, every few seconds). Their times would only dilute
/// the hourly response-time statistics, so the observer never sees them; the latency
/// histogram still records them.
pub const UNREPORTED_ROUTES: &[&str] = &["/healthz", "/readyz", "/livez", "/metrics", "/version"];

/// A Prometheus registry with the HTTP latency histogram already registered. Services add
/// their own gauges and counters to `registry`.
#[derive(Clone)]
pub struct HttpMetrics {
    pub registry: Registry,
    latency: HistogramVec,
    observer: Option<ResponseObserver>,
}

impl HttpMetrics {
    /// `service` becomes the `service` const label so dashboards can tell services apart.
    pub fn new(service: &str) -> Self {
        let registry = Registry::new();
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from request received to response headers ready, by route template.",
            )
            .const_label("service", service)
            // From 100 us (a cached page) to the 1 s SLA and past it.
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0,
            ]),
            &["route", "method", "status"],
        )
        .expect("histogram options are valid");
        registry
            .register(Box::new(latency.clone()))
            .expect("first registration of the latency histogram");
        Self {
            registry,
            latency,
            observer: None,
        }
    }

    /// Adds a callback run after each response to a user route (see [`ResponseObserver`]).
    pub fn with_observer(mut self, observer: ResponseObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Sends every user request's response time (milliseconds) through `client`, which never
    /// waits, and exports the client's queued / sent / dropped / send-error counters here as
    /// `metrics_client_*_total`, so values lost on the way to the collectors can be seen.
    pub fn report_response_times(self, client: MetricsClient) -> prometheus::Result<Self> {
        self.registry
            .register(Box::new(ClientCounters::new(client.clone())?))?;
        Ok(self.with_observer(Arc::new(move |_route, elapsed| {
            client.record(elapsed.as_secs_f64() * 1000.0);
        })))
    }

    /// Records one response. Public so non-axum code paths can record too.
    pub fn observe(&self, route: &str, method: &str, status: StatusCode, elapsed: Duration) {
        self.latency
            .with_label_values(&[route, method, status.as_str()])
            .observe(elapsed.as_secs_f64());
        if let Some(observer) = &self.observer
            && !UNREPORTED_ROUTES.contains(&route)
        {
            observer(route, elapsed);
        }
    }

    /// The registry in Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding into a Vec cannot fail");
        String::from_utf8(buffer).expect("Prometheus text format is UTF-8")
    }
}

/// Middleware: `router.layer(axum::middleware::from_fn_with_state(metrics, track_latency))`.
pub async fn track_latency(
    State(metrics): State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    metrics.observe(&route, &method, response.status(), started.elapsed());
    response
}

/// Handler for `GET /metrics`.
#[cfg_attr(feature = "openapi", utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4.", body = String,
        content_type = "text/plain")),
))]
pub async fn metrics_endpoint(State(metrics): State<HttpMetrics>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_response_appears_in_the_text_output_with_its_route() {
        let metrics = HttpMetrics::new("test");
        metrics.observe(
            "/hardware/",
            "GET",
            StatusCode::OK,
            Duration::from_millis(3),
        );
        let text = metrics.render();
        assert!(text.contains("http_request_duration_seconds_count"));
        assert!(text.contains("route=\"/hardware/\""));
        assert!(text.contains("service=\"test\""));
    }

    #[test]
    fn the_observer_sees_every_user_response_and_no_probe() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let metrics = HttpMetrics::new("test").with_observer(Arc::new(move |route, elapsed| {
            sink.lock().unwrap().push((route.to_owned(), elapsed));
        }));
        metrics.observe("/", "GET", StatusCode::OK, Duration::from_millis(1));
        for probe in UNREPORTED_ROUTES {
            metrics.observe(probe, "GET", StatusCode::OK, Duration::from_millis(2));
        }
        metrics.observe(
            "/hardware/",
            "GET",
            StatusCode::OK,
            Duration::from_millis(3),
        );
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            &[
                ("/".to_owned(), Duration::from_millis(1)),
                ("/hardware/".to_owned(), Duration::from_millis(3))
            ]
        );
        // The histogram still has the probes.
        assert!(metrics.render().contains("route=\"/healthz\""));
    }

    #[tokio::test]
    async fn the_clients_counters_are_exported_and_follow_its_drops() {
        let collector = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let client = MetricsClient::spawn(metrics_client::ClientConfig {
            collectors: vec![collector.local_addr().unwrap()],
            key: "test".to_owned(),
            queue_capacity: 10,
        })
        .unwrap();
        let metrics = HttpMetrics::new("test")
            .report_response_times(client.clone())
            .unwrap();
        for name in ["queued", "sent", "dropped", "send_errors"] {
            assert!(
                metrics
                    .render()
                    .contains(&format!("metrics_client_{name}_total 0")),
                "{name}"
            );
        }
        // Not a finite non-negative number: dropped by the client, before any queue.
        client.record(f64::NAN);
        client.record(-1.0);
        metrics.observe("/healthz", "GET", StatusCode::OK, Duration::from_millis(1));
        metrics.observe("/", "GET", StatusCode::OK, Duration::from_millis(1));
        let text = metrics.render();
        assert!(text.contains("metrics_client_dropped_total 2"), "{text}");
        assert!(text.contains("metrics_client_queued_total 1"), "{text}");
        // A second scrape adds nothing that was already exported.
        assert!(metrics.render().contains("metrics_client_dropped_total 2"));
    }
}
