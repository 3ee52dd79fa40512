//! The library's error type. Workflow and plan errors carry file, line and field; the binary
//! wraps these in `anyhow` with what it was doing.

use std::path::PathBuf;

use crate::plan::PlanError;
use crate::workflow::WorkflowError;

#[derive(Debug, thiserror::Error)]
pub enum LoadTestError {
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("cannot write report {}: {source}", path.display())]
    WriteReport {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Chart(String),
}
