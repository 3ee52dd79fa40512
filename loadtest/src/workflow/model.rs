//! A checked workflow: every template parsed, every count positive, includes loaded.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use hyper::header::HeaderName;

use super::error::Location;
pub use super::file::{PaginateBy, StartMode};
use super::template::Template;
use crate::threshold::Threshold;

#[derive(Debug)]
pub struct Workflow {
    /// The `name` field, else the file stem. Results of every instance of a workflow are
    /// reported together under this name.
    pub name: String,
    pub path: PathBuf,
    pub description: Option<String>,
    pub duration: Option<Duration>,
    /// See `WorkflowFile::history`.
    pub history: Option<Duration>,
    pub sla: Vec<Threshold>,
    pub actors: Vec<Actor>,
    pub includes: Vec<Include>,
}

#[derive(Debug)]
pub struct Include {
    pub workflow: Arc<Workflow>,
    pub instances: u32,
}

#[derive(Debug)]
pub struct Actor {
    pub name: String,
    pub target: String,
    /// Where `target` is written, so a missing `--target` can point at it.
    pub target_location: Location,
    /// (groups, members per group). `count = N` is N groups of one.
    pub layout: Vec<(u32, u32)>,
    pub schedule: Schedule,
    pub start: StartMode,
    /// Whether `--multiplier` copies this actor (see `ActorFile::grows_with_multiplier`).
    pub grows_with_multiplier: bool,
    pub sla: Vec<Threshold>,
    pub steps: Vec<Step>,
}

impl Actor {
    /// Total number of actors this entry stands for.
    pub fn count(&self) -> u64 {
        self.layout
            .iter()
            .map(|(groups, members)| u64::from(*groups) * u64::from(*members))
            .sum()
    }

    /// (group, member) of every actor, in actor-index order.
    pub fn members(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut next_group = 0u64;
        self.layout.iter().flat_map(move |&(groups, members)| {
            let first_group = next_group;
            next_group += u64::from(groups);
            (0..u64::from(groups)).flat_map(move |group| {
                (0..u64::from(members)).map(move |member| (first_group + group, member))
            })
        })
    }
}

/// `requests` iterations every `every`, in workflow time.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub requests: u32,
    pub every: Duration,
}

impl Schedule {
    /// Time between two iterations of one actor, in workflow time.
    pub fn period(&self) -> Duration {
        self.every / self.requests
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub method: Method,
    pub path: Template,
    pub headers: Vec<(HeaderName, Template)>,
    pub body: Option<Template>,
    pub paginate: Option<Paginate>,
    pub expect_status: Option<Vec<u16>>,
    pub sla: Vec<Threshold>,
}

#[derive(Debug, Clone)]
pub struct Paginate {
    pub by: PaginateBy,
    pub per_page: Option<u32>,
    pub total_header: HeaderName,
    pub max_pages: u32,
}
