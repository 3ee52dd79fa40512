//! Workflow files: reading, checking and composing them.

mod error;
mod file;
mod load;
mod model;
pub mod template;

pub use error::{Location, WorkflowError};
pub use load::load;
pub use model::*;
