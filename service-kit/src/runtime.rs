//! CPU-bound work inside async code without stalling the other tasks of the runtime.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `work` (CPU-bound, no `.await` inside) so that it does not hold up the runtime's
/// other tasks: on a multi-threaded runtime the worker first hands its queued tasks to
/// another thread (`tokio::task::block_in_place`); elsewhere (a current-thread runtime, as in
/// `#[tokio::test]`, or no runtime) it simply runs.
///
/// Why it matters: a service in a container with a CPU limit of 1 or less gets one runtime
/// worker (`available_parallelism` follows the cgroup quota), so a flush that spends 300 ms
/// merging sketches on that worker delays every request that arrives meanwhile by up to
/// 300 ms.
pub fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

#[cfg(test)]
mod tests {
    use super::cpu_bound;

    #[test]
    fn runs_without_a_runtime() {
        assert_eq!(cpu_bound(|| 2 + 2), 4);
    }

    #[tokio::test]
    async fn runs_on_a_current_thread_runtime() {
        assert_eq!(cpu_bound(|| "ran"), "ran");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn lets_other_tasks_run_on_a_one_worker_runtime_meanwhile() {
        let (sender, receiver) = std::sync::mpsc::channel();
        // A task queued on the only worker: it can run only if the worker is handed on.
        let other = tokio::spawn(async move { sender.send(()).unwrap() });
        tokio::task::yield_now().await;
        let got = cpu_bound(|| receiver.recv_timeout(std::time::Duration::from_secs(5)));
        assert!(
            got.is_ok(),
            "the other task did not run while the work blocked"
        );
        other.await.unwrap();
    }
}
