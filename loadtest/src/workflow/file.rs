//! The TOML shape of a workflow file, as serde reads it. `load` turns it into the checked
//! model in `model.rs`; docs/loadtest.md documents every field.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::duration::HumanDuration;
use crate::threshold::Threshold;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowFile {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Default run length, in workflow time (before `--compress`).
    pub duration: Option<HumanDuration>,
    /// How far back this workflow's writers (POST steps with a body) have been sending when a
    /// run starts: `loadtest seed` writes that history so the readers find it.
    pub history: Option<HumanDuration>,
    #[serde(default)]
    pub sla: Vec<Threshold>,
    #[serde(default)]
    pub include: Vec<IncludeFile>,
    #[serde(default)]
    pub actor: Vec<Spanned<ActorFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncludeFile {
    /// Path relative to the including file.
    pub workflow: Spanned<String>,
    #[serde(default = "one")]
    pub instances: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorFile {
    pub name: String,
    /// A target name given on the command line (`--target NAME=URL`).
    pub target: Spanned<String>,
    /// Number of actors, each its own group. Either this or `groups`.
    pub count: Option<u32>,
    /// Actors in groups: `[{ count = 5, members = 10 }]` is 5 groups of 10 actors.
    pub groups: Option<Vec<GroupFile>>,
    #[serde(default = "default_group_var")]
    pub group_var: String,
    #[serde(default = "default_member_var")]
    pub member_var: String,
    pub schedule: ScheduleFile,
    #[serde(default)]
    pub start: StartMode,
    /// `false`: `--multiplier` does not copy this actor (one per instance of its workflow, at
    /// the file's rate): a measurement probe, not a customer who grows with the business.
    #[serde(default = "yes")]
    pub grows_with_multiplier: bool,
    #[serde(default)]
    pub sla: Vec<Threshold>,
    pub step: Vec<Spanned<StepFile>>,
}

fn yes() -> bool {
    true
}

fn default_group_var() -> String {
    "group".to_owned()
}

fn default_member_var() -> String {
    "member".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    pub count: u32,
    pub members: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleFile {
    /// How many iterations of the step sequence per `every`, evenly spaced.
    pub requests: Spanned<u32>,
    pub every: HumanDuration,
}

/// When each actor's first iteration happens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// Actors' first iterations are spread evenly over one whole period, as independent
    /// users would be: the real rate, even when the period is longer than the run (200
    /// weekly readers in a 2-minute run read 200 * 2 min / 1 week = 0.04 times, so most
    /// runs see none of them).
    #[default]
    Spread,
    /// Spread over one period or the run, whichever is shorter: every actor iterates at
    /// least once per run. For probes; for customers it overstates rare actors.
    InRun,
    /// Every actor starts at once (a thundering herd).
    Together,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    pub name: Option<String>,
    #[serde(default = "default_method")]
    pub method: Spanned<String>,
    pub path: Spanned<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
    pub body: Option<Spanned<String>>,
    pub paginate: Option<PaginateFile>,
    /// Status codes that count as success; default any 2xx or 3xx.
    pub expect_status: Option<Vec<u16>>,
    #[serde(default)]
    pub sla: Vec<Threshold>,
}

fn default_method() -> Spanned<String> {
    Spanned::new(0..0, "GET".to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginateFile {
    pub by: PaginateBy,
    /// Page size the path asks for; with `by = "page"` it turns `X-Total-Count` into a page
    /// count.
    pub per_page: Option<Spanned<u32>>,
    #[serde(default = "default_total_header")]
    pub total_header: String,
    /// Safety stop for servers whose `next` link never ends.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
}

fn default_total_header() -> String {
    "x-total-count".to_owned()
}

fn default_max_pages() -> u32 {
    1000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaginateBy {
    /// Follow `Link: <...>; rel="next"` (or an HTML `rel="next"` link) until there is none.
    Link,
    /// Increment `{page}` until `page * per_page >= total_header`, or an empty page.
    Page,
}
