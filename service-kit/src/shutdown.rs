//! Graceful shutdown: ECS sends SIGTERM and waits (30 s by default) before SIGKILL, and a
//! developer presses Ctrl-C. Either one resolves the future below, with how to stop.

/// How the listener stops once its shutdown future resolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM: tell the load balancer first (`/readyz` 503, `Connection: close`) for the drain
    /// delay, then stop accepting and finish what is in flight.
    Drain,
    /// Ctrl-C, or a test's own trigger: stop accepting now and finish what is in flight.
    Now,
}

impl From<()> for Stop {
    fn from((): ()) -> Self {
        Stop::Now
    }
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() -> Stop {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {
            tracing::info!("received Ctrl-C, shutting down");
            Stop::Now
        }
        () = terminate => {
            tracing::info!("received SIGTERM, draining then shutting down");
            Stop::Drain
        }
    }
}
