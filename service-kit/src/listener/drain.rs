//! Draining that users never see. On SIGTERM a service first says it is going (`/readyz`
//! answers 503 and every HTTP/1 response carries `Connection: close`, so the load balancer's
//! health checks take the target out and kept-alive clients reconnect elsewhere) while it keeps
//! serving for the drain delay; then it stops accepting, lets each connection finish the request
//! in flight (hyper's graceful shutdown closes idle keep-alive connections at once) and gives
//! up on those still busy after the shutdown timeout, so it always exits within
//! `drain delay + shutdown timeout` (below ECS's 30 s `stopTimeout` with the defaults).
//!
//! On ECS the target is deregistered before SIGTERM is sent, so the delay is a second line of
//! defence there; behind a balancer that only health-checks (HAProxy, nginx, Service Connect's
//! Envoy outlier detection) it is what moves traffic away before the listener closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, Version, header};

/// The probe a load balancer reads; during the drain the listener answers it itself.
pub const READINESS_PATH: &str = "/readyz";

/// Whether the listener is draining, shared by every connection's service.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// The answer for `request` when draining decides it without the router: `/readyz`.
    pub fn intercept<B>(&self, request: &Request<B>) -> Option<Response<Body>> {
        (self.is_on() && request.uri().path() == READINESS_PATH).then(not_ready)
    }

    /// Marks `response` so an HTTP/1 client closes its kept-alive connection after it. HTTP/2
    /// forbids the header (RFC 9113 section 8.2.2); hyper's graceful shutdown sends GOAWAY there.
    pub fn mark(&self, version: Version, response: &mut Response<Body>) {
        if self.is_on() && version < Version::HTTP_2 {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
}

fn not_ready() -> Response<Body> {
    let mut response = Response::new(Body::from(
        r#"{"status":"draining","reason":"the service is shutting down"}"#,
    ));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Request<()> {
        Request::builder().uri(path).body(()).unwrap()
    }

    #[test]
    fn readiness_is_answered_only_while_draining() {
        let draining = Draining::default();
        assert!(draining.intercept(&get("/readyz")).is_none());
        draining.start();
        let answer = draining.intercept(&get("/readyz")).unwrap();
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            draining.intercept(&get("/")).is_none(),
            "other routes still served"
        );
    }

    #[test]
    fn only_http1_responses_are_told_to_close() {
        let draining = Draining::default();
        let mut response = Response::new(Body::empty());
        draining.mark(Version::HTTP_11, &mut response);
        assert!(response.headers().get(header::CONNECTION).is_none());
        draining.start();
        draining.mark(Version::HTTP_2, &mut response);
        assert!(response.headers().get(header::CONNECTION).is_none());
        draining.mark(Version::HTTP_11, &mut response);
        assert_eq!(response.headers()[header::CONNECTION], "close");
    }
}
