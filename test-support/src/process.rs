//! Child processes of a test: killed when the test ends, pass or fail, and never waited on
//! without a bound.

use std::io::Read;
use std::ops::{Deref, DerefMut};
use std::process::{Child, ExitStatus, Output};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::wait;

/// A child process that is killed (SIGKILL) and reaped when this is dropped, so a failing
/// assertion never leaves a server running. Derefs to the [`Child`] for its id and pipes.
pub struct Running {
    child: Option<Child>,
}

impl Running {
    pub fn new(child: Child) -> Self {
        Self { child: Some(child) }
    }

    /// Stops the process abruptly (SIGKILL), as a crash would, and reaps it.
    pub fn kill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The exit status once the process has exited, `None` while it runs.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.try_wait().expect("asking whether the child exited")
    }

    /// Takes the child back: from here on the caller waits for it.
    pub fn into_inner(mut self) -> Child {
        self.child
            .take()
            .expect("the child is present until dropped")
    }
}

impl From<Child> for Running {
    fn from(child: Child) -> Self {
        Self::new(child)
    }
}

impl Deref for Running {
    type Target = Child;

    fn deref(&self) -> &Child {
        self.child
            .as_ref()
            .expect("the child is present until dropped")
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("the child is present until dropped")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for `child` to exit and returns what it printed on its piped stdout and stderr;
/// panics (the child killed) when it has not exited `within`. The pipes are drained while it
/// runs, so a child that prints a lot cannot block on a full pipe.
pub fn output_within(child: Child, within: Duration, what: &str) -> Output {
    let mut running = Running::new(child);
    let stdout = drain(running.stdout.take());
    let stderr = drain(running.stderr.take());
    let status = wait::until_blocking(within, Duration::from_millis(100), || {
        running
            .exited()
            .ok_or_else(|| format!("{what} did not finish"))
    });
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
