//! The bounded compute pool: W dedicated OS threads run the availability computation.
//!
//! Each call is modelled as holding a core for 5 s, so it must never run on the async
//! runtime's threads (it would stall every request) nor on an unbounded pool (it would
//! oversubscribe the CPUs). A semaphore with W permits is the admission control: the refresher
//! only claims as many profiles as there are free permits, and a permit travels with its job
//! until the computation ends.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::availability::AvailabilitySource;
use crate::profile::{ComputedAvailability, Profile};
use crate::store::timestamp;

struct Job {
    profile: Profile,
    done: mpsc::UnboundedSender<ComputedAvailability>,
    _permit: OwnedSemaphorePermit,
}

pub struct ComputePool {
    workers: usize,
    permits: Arc<Semaphore>,
    jobs: Option<crossbeam_channel::Sender<Job>>,
}

impl ComputePool {
    pub fn new(workers: usize, source: Arc<dyn AvailabilitySource>) -> Self {
        let workers = workers.max(1);
        let (jobs, queue) = crossbeam_channel::bounded::<Job>(workers);
        for index in 0..workers {
            let queue = queue.clone();
            let source = source.clone();
            // The threads are not joined: when the pool is dropped, the queue closes and each
            // thread ends after its current job (up to 5 s later); nobody needs to wait.
            std::thread::Builder::new()
                .name(format!("compute-{index}"))
                .spawn(move || {
                    for job in queue {
                        let availability = source.compute(&job.profile.provider, &job.profile.name);
                        // The receiver is gone only during shutdown; the result is then
                        // dropped, and the profile's lease expires or was released.
                        let _ = job.done.send(ComputedAvailability {
                            profile: job.profile,
                            availability,
                            computed_at: timestamp::now(),
                        });
                        // `job._permit` drops here: the slot is free again.
                    }
                })
                .expect("spawning a compute thread");
        }
        Self {
            workers,
            permits: Arc::new(Semaphore::new(workers)),
            jobs: Some(jobs),
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn free_slots(&self) -> usize {
        self.permits.available_permits()
    }

    pub fn busy_slots(&self) -> usize {
        self.workers - self.free_slots()
    }

    /// Starts computing `profile` if a slot is free; gives the profile back otherwise.
    pub fn try_submit(
        &self,
        profile: Profile,
        done: mpsc::UnboundedSender<ComputedAvailability>,
    ) -> Result<(), Profile> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Err(profile);
        };
        let Some(jobs) = &self.jobs else {
            return Err(profile);
        };
        // Never blocks: the channel holds W jobs and at most W permits exist.
        jobs.try_send(Job {
            profile,
            done,
            _permit: permit,
        })
        .map_err(|err| err.into_inner().profile)
    }

    /// Waits until every slot is free (all computations ended).
    pub async fn wait_idle(&self) {
        let _all = self
            .permits
            .acquire_many(self.workers as u32)
            .await
            .expect("the pool never closes its semaphore");
    }
}

impl Drop for ComputePool {
    fn drop(&mut self) {
        // Closing the queue ends the threads after their current job.
        self.jobs.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::FakeSource;
    use std::time::Duration;

    fn profile(id: i64) -> Profile {
        Profile {
            id,
            provider: "Amazon".into(),
            name: format!("p{id}"),
            vcpus: 1,
            memory_gib: 1.0,
            gpus: 0,
        }
    }

    #[tokio::test]
    async fn the_pool_runs_at_most_w_computations_at_once() {
        let source = Arc::new(FakeSource {
            delay: Duration::from_millis(200),
        });
        let pool = ComputePool::new(2, source);
        let (done, mut results) = mpsc::unbounded_channel();
        assert!(pool.try_submit(profile(1), done.clone()).is_ok());
        assert!(pool.try_submit(profile(2), done.clone()).is_ok());
        assert_eq!(pool.busy_slots(), 2);
        assert_eq!(pool.try_submit(profile(3), done.clone()).unwrap_err().id, 3);
        let mut ids = vec![
            results.recv().await.unwrap().profile.id,
            results.recv().await.unwrap().profile.id,
        ];
        ids.sort();
        assert_eq!(ids, vec![1, 2]);
        pool.wait_idle().await;
        assert_eq!(pool.free_slots(), 2);
    }
}
