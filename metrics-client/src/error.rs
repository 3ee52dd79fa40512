/// Why a client could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid metrics key '{key}': {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("no collector address given (use MetricsClient::disabled() to turn reporting off)")]
    NoCollectors,
    #[error("queue_capacity must be at least 1")]
    ZeroQueueCapacity,
}
