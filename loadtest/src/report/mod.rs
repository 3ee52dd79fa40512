//! What a run found, in the forms people read: a terminal summary, JSON for machines, and a
//! Markdown page with SVG charts for the product owner.

mod build;
mod charts;
mod markdown;
mod table;
mod terminal;

pub use build::{
    ActorReport, CheckResult, Latency, Report, RunFacts, StepReport, Summary, WorkflowReport, build,
};
pub use charts::{ChartFiles, write_charts};
pub use markdown::render_markdown;
pub use terminal::render_terminal;
