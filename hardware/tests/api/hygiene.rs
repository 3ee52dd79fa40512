//! Headers every response carries, whatever the route or outcome.

use crate::helpers::InProcess;

#[tokio::test]
async fn every_response_says_nosniff() {
    let app = InProcess::new().await;
    for uri in [
        "/hardware/",
        "/hardware/?provider=nope",
        "/hardware/status",
        "/healthz",
        "/metrics",
        "/no-such-route",
    ] {
        let response = app.get(uri, &[]).await;
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .map(|value| value.to_str().unwrap()),
            Some("nosniff"),
            "{uri} answered {}",
            response.status()
        );
    }
}
