//! Availability and where it comes from.

use std::time::Duration;

use rand::seq::IndexedRandom;

/// How long one call of [`slow_process_to_calculate_availability`] takes.
pub const REAL_COMPUTATION_TIME: Duration = Duration::from_secs(5);

/// The reference computation, unchanged from the original service: a blocking 5 s sleep
/// standing for a slow, CPU-intensive calculation, then a random pick. Everything else in this
/// crate exists so that nobody ever waits for it.
pub fn slow_process_to_calculate_availability(_provider: &str, _name: &str) -> &'static str {
    std::thread::sleep(Duration::from_secs(5));
    ["HIGH", "MEDIUM", "LOW"]
        .choose(&mut rand::rng())
        .copied()
        .expect("the choice list is not empty")
}

pub use hardware_api::{Availability, UnknownAvailability};

/// Computes the availability of one profile. Blocking: it runs on the compute pool's own
/// threads, never on the async runtime.
pub trait AvailabilitySource: Send + Sync + 'static {
    fn compute(&self, provider: &str, name: &str) -> Availability;
}

/// The real computation.
#[derive(Debug, Default, Clone, Copy)]
pub struct SlowProcess;

impl AvailabilitySource for SlowProcess {
    fn compute(&self, provider: &str, name: &str) -> Availability {
        slow_process_to_calculate_availability(provider, name)
            .parse()
            .expect("the slow process only returns HIGH, MEDIUM or LOW")
    }
}

/// A stand-in with a configurable delay, for tests, demos and benchmarks that must not wait
/// 5 s per profile. Selected with `--availability-source fake`.
#[derive(Debug, Clone, Copy)]
pub struct FakeSource {
    pub delay: Duration,
}

impl AvailabilitySource for FakeSource {
    fn compute(&self, _provider: &str, _name: &str) -> Availability {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        *Availability::ALL
            .choose(&mut rand::rng())
            .expect("ALL is not empty")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_parses_case_insensitively_and_rejects_others() {
        assert_eq!("high".parse(), Ok(Availability::High));
        assert_eq!("MEDIUM".parse(), Ok(Availability::Medium));
        assert_eq!(
            "pending".parse::<Availability>(),
            Err(UnknownAvailability("pending".into()))
        );
    }

    #[test]
    fn availability_serializes_as_the_original_strings() {
        assert_eq!(
            serde_json::to_string(&Availability::Low).unwrap(),
            "\"LOW\""
        );
    }
}
