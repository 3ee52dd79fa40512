//! How a release shows its progress: an indicatif spinner line on a terminal, or plain
//! timestamped lines (CI logs, pipes, `--no-progress`), printed only when something changed.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::duration::human;

/// One observation of a deployment, as the operator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentView {
    /// ECS service deployment status (IN_PROGRESS, SUCCESSFUL, ROLLBACK_IN_PROGRESS, ...).
    pub status: String,
    /// Lifecycle stage (SCALE_UP, TEST_TRAFFIC_SHIFT, BAKE_TIME, ...), when ECS reports one.
    pub stage: Option<String>,
    /// The stage is not one this deployer knows (a newer API): shown as sent, marked.
    pub unknown_stage: bool,
    pub running: i32,
    pub desired: i32,
    /// Share of production traffic the new revision receives, 0-100.
    pub production_traffic: Option<f64>,
    /// Tasks the deployment circuit breaker counted as failed, and its threshold.
    pub failed_tasks: Option<(i32, i32)>,
    pub bake_left: Option<Duration>,
}

impl DeploymentView {
    /// The line without the countdown: plain output prints again only when this changes.
    fn key(&self) -> String {
        let mut line = self.status.clone();
        if let Some(stage) = &self.stage {
            line.push_str(&format!(" / {stage}"));
            if self.unknown_stage {
                line.push_str(" (a stage this deployer does not know)");
            }
        }
        line.push_str(&format!("  tasks {}/{}", self.running, self.desired));
        if let Some(traffic) = self.production_traffic {
            line.push_str(&format!("  production traffic {traffic:.0}%"));
        }
        if let Some((failed, threshold)) = self.failed_tasks {
            line.push_str(&format!("  failed tasks {failed}/{threshold}"));
        }
        line
    }

    pub fn line(&self) -> String {
        let mut line = self.key();
        if let Some(left) = self.bake_left {
            // A countdown rounds up: 4m 59.9s left reads "5m 00s", and "0s" only at the end.
            let whole = Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
            line.push_str(&format!("  bake {} left", human(whole)));
        }
        line
    }
}

/// Where commands send progress; tests capture it with [`Reporter::plain`] over a buffer.
pub struct Reporter {
    started: Instant,
    sink: Sink,
}

enum Sink {
    Bar(ProgressBar),
    Plain {
        out: Mutex<Box<dyn Write + Send>>,
        last: Mutex<Option<(String, Instant)>>,
    },
}

/// Plain output repeats an unchanged line this often, so a long bake still shows signs of life.
const PLAIN_REPEAT: Duration = Duration::from_secs(30);

impl Reporter {
    /// A spinner on stderr when it is a terminal and `no_progress` is off; plain stdout lines
    /// otherwise.
    pub fn for_terminal(no_progress: bool) -> Self {
        use std::io::IsTerminal;
        if no_progress || !std::io::stderr().is_terminal() {
            return Self::plain(Box::new(std::io::stdout()));
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed:>4}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Reporter {
            started: Instant::now(),
            sink: Sink::Bar(bar),
        }
    }

    pub fn plain(out: Box<dyn Write + Send>) -> Self {
        Reporter {
            started: Instant::now(),
            sink: Sink::Plain {
                out: Mutex::new(out),
                last: Mutex::new(None),
            },
        }
    }

    /// A message that stays on screen (a step done, a decision taken).
    pub fn note(&self, message: &str) {
        match &self.sink {
            Sink::Bar(bar) => bar.println(message),
            Sink::Plain { out, .. } => self.write_line(out, message),
        }
    }

    /// The current state of the deployment being followed.
    pub fn update(&self, view: &DeploymentView) {
        match &self.sink {
            Sink::Bar(bar) => bar.set_message(view.line()),
            Sink::Plain { out, last } => {
                let key = view.key();
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                let due = match &*last {
                    Some((previous, at)) => *previous != key || at.elapsed() >= PLAIN_REPEAT,
                    None => true,
                };
                if due {
                    self.write_line(out, &view.line());
                    *last = Some((key, Instant::now()));
                }
            }
        }
    }

    /// Ends the live line so results print on a clean terminal; safe to call more than once.
    pub fn finish(&self) {
        if let Sink::Bar(bar) = &self.sink {
            bar.finish_and_clear();
        }
    }

    fn write_line(&self, out: &Mutex<Box<dyn Write + Send>>, message: &str) {
        let elapsed = self.started.elapsed().as_secs();
        let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
        // A closed stdout must not abort a release half-way; the deployment goes on regardless.
        let _ = writeln!(out, "[{elapsed:>4}s] {message}");
        let _ = out.flush();
    }
}

/// A `Write` that appends to a shared buffer, so tests can read what a command printed.
#[derive(Clone, Default)]
pub struct SharedBuffer(pub std::sync::Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(stage: &str, bake_left: Option<u64>) -> DeploymentView {
        DeploymentView {
            status: "IN_PROGRESS".into(),
            stage: Some(stage.into()),
            unknown_stage: false,
            running: 2,
            desired: 2,
            production_traffic: Some(100.0),
            failed_tasks: None,
            bake_left: bake_left.map(Duration::from_secs),
        }
    }

    #[test]
    fn plain_output_prints_a_line_only_when_the_deployment_changes() {
        let buffer = SharedBuffer::default();
        let reporter = Reporter::plain(Box::new(buffer.clone()));
        reporter.update(&view("BAKE_TIME", Some(300)));
        reporter.update(&view("BAKE_TIME", Some(295)));
        reporter.update(&view("CLEAN_UP", None));
        reporter.note("done");
        let text = buffer.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].ends_with(
                "IN_PROGRESS / BAKE_TIME  tasks 2/2  production traffic 100%  bake 5m 00s left"
            ),
            "{text}"
        );
        assert!(lines[1].ends_with("IN_PROGRESS / CLEAN_UP  tasks 2/2  production traffic 100%"));
        assert!(lines[2].ends_with("] done"));
    }
}
