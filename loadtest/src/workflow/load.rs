//! Reads a workflow file and the files it includes, checking everything a run would trip
//! over later (templates, counts, pagination settings), so errors point at the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::Method;
use hyper::header::HeaderName;
use toml::Spanned;

use super::error::{Location, WorkflowError};
use super::file::{ActorFile, PaginateBy, StepFile, WorkflowFile};
use super::model::{Actor, Include, Paginate, Schedule, Step, Workflow};
use super::template::{Template, Variable, VariableNames};

/// Loads `path` and, recursively, every workflow it includes.
pub fn load(path: &Path) -> Result<Arc<Workflow>, WorkflowError> {
    let mut loader = Loader::default();
    loader.load(path, &mut Vec::new())
}

#[derive(Default)]
struct Loader {
    /// One load per file, so `instances = 5` and diamonds share one parsed workflow.
    loaded: HashMap<PathBuf, Arc<Workflow>>,
    /// Which file each workflow name came from: two files with one name would merge results.
    names: HashMap<String, PathBuf>,
}

impl Loader {
    fn load(
        &mut self,
        path: &Path,
        chain: &mut Vec<PathBuf>,
    ) -> Result<Arc<Workflow>, WorkflowError> {
        let canonical = path.canonicalize().map_err(|source| WorkflowError::Io {
            path: path.to_owned(),
            source,
        })?;
        if chain.contains(&canonical) {
            let names: Vec<String> = chain
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| p.display().to_string())
                .collect();
            return Err(WorkflowError::IncludeCycle {
                path: path.to_owned(),
                chain: names.join(" -> "),
            });
        }
        if let Some(workflow) = self.loaded.get(&canonical) {
            return Ok(workflow.clone());
        }
        let source = std::fs::read_to_string(path).map_err(|source| WorkflowError::Io {
            path: path.to_owned(),
            source,
        })?;
        let file: WorkflowFile = toml::from_str(&source)
            .map_err(|error| WorkflowError::from_toml(path, &source, error))?;

        let name = file.name.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| "workflow".to_owned())
        });
        if let Some(other) = self.names.get(&name).filter(|other| **other != canonical) {
            return Err(WorkflowError::Unplaced {
                path: path.to_owned(),
                message: format!(
                    "workflow name `{name}` is already used by {}; give one of them another `name`",
                    other.display()
                ),
            });
        }
        self.names.insert(name.clone(), canonical.clone());

        chain.push(canonical.clone());
        let mut includes = Vec::new();
        for include in &file.include {
            let relative = include.workflow.get_ref();
            let included_path = path.parent().unwrap_or(Path::new(".")).join(relative);
            if !included_path.exists() {
                return Err(WorkflowError::invalid(
                    path,
                    &source,
                    include.workflow.span(),
                    "workflow",
                    format!(
                        "included workflow `{}` does not exist",
                        included_path.display()
                    ),
                ));
            }
            if include.instances == 0 {
                return Err(WorkflowError::invalid(
                    path,
                    &source,
                    include.workflow.span(),
                    "instances",
                    "instances must be at least 1",
                ));
            }
            let workflow = self.load(&included_path, chain)?;
            includes.push(Include {
                workflow,
                instances: include.instances,
            });
        }
        chain.pop();

        let actors = file
            .actor
            .iter()
            .map(|actor| check_actor(path, &source, actor))
            .collect::<Result<Vec<_>, _>>()?;
        if actors.is_empty() && includes.is_empty() {
            return Err(WorkflowError::Unplaced {
                path: path.to_owned(),
                message: "a workflow needs at least one [[actor]] or one include".to_owned(),
            });
        }
        let workflow = Arc::new(Workflow {
            name,
            path: path.to_owned(),
            description: file.description,
            duration: file.duration.map(|d| d.0),
            history: file.history.map(|d| d.0),
            sla: file.sla,
            actors,
            includes,
        });
        self.loaded.insert(canonical, workflow.clone());
        Ok(workflow)
    }
}

fn check_actor(
    path: &Path,
    source: &str,
    spanned: &Spanned<ActorFile>,
) -> Result<Actor, WorkflowError> {
    let actor = spanned.get_ref();
    let invalid = |span: std::ops::Range<usize>, field: &str, message: String| {
        WorkflowError::invalid(path, source, span, field, message)
    };
    let layout = match (actor.count, &actor.groups) {
        (Some(count), None) => vec![(count, 1)],
        (None, Some(groups)) => groups.iter().map(|g| (g.count, g.members)).collect(),
        _ => {
            return Err(invalid(
                spanned.span(),
                "count",
                format!(
                    "actor `{}` needs exactly one of `count = N` or `groups = [{{ count = G, members = M }}]`",
                    actor.name
                ),
            ));
        }
    };
    if layout.is_empty()
        || layout
            .iter()
            .any(|(groups, members)| *groups == 0 || *members == 0)
    {
        return Err(invalid(
            spanned.span(),
            "count",
            format!("actor `{}`: every count must be at least 1", actor.name),
        ));
    }
    let requests = *actor.schedule.requests.get_ref();
    if requests == 0 || actor.schedule.every.0.is_zero() {
        return Err(invalid(
            actor.schedule.requests.span(),
            "requests",
            format!(
                "actor `{}`: a schedule needs at least 1 request per non-zero interval",
                actor.name
            ),
        ));
    }
    if actor.group_var == actor.member_var {
        return Err(invalid(
            spanned.span(),
            "member_var",
            "group_var and member_var must differ".to_owned(),
        ));
    }
    if actor.step.is_empty() {
        return Err(invalid(
            spanned.span(),
            "step",
            format!("actor `{}` has no [[actor.step]]", actor.name),
        ));
    }
    let names = VariableNames {
        group: &actor.group_var,
        member: &actor.member_var,
    };
    let steps = actor
        .step
        .iter()
        .map(|step| check_step(path, source, step, &names))
        .collect::<Result<Vec<_>, _>>()?;
    for (index, step) in steps.iter().enumerate() {
        if steps[..index]
            .iter()
            .any(|earlier| earlier.name == step.name)
        {
            return Err(invalid(
                actor.step[index].span(),
                "name",
                format!("actor `{}` has two steps named `{}`", actor.name, step.name),
            ));
        }
    }
    Ok(Actor {
        name: actor.name.clone(),
        target: actor.target.get_ref().clone(),
        target_location: Location::at(path, source, actor.target.span().start),
        layout,
        schedule: Schedule {
            requests,
            every: actor.schedule.every.0,
        },
        start: actor.start,
        grows_with_multiplier: actor.grows_with_multiplier,
        sla: actor.sla.clone(),
        steps,
    })
}

fn check_step(
    path: &Path,
    source: &str,
    spanned: &Spanned<StepFile>,
    names: &VariableNames<'_>,
) -> Result<Step, WorkflowError> {
    let step = spanned.get_ref();
    let invalid = |span: std::ops::Range<usize>, field: &str, message: String| {
        WorkflowError::invalid(path, source, span, field, message)
    };
    let template = |text: &Spanned<String>, field: &str| {
        Template::parse(text.get_ref(), names)
            .map_err(|message| invalid(text.span(), field, message))
    };
    let method_text = step.method.get_ref().to_ascii_uppercase();
    let method = Method::from_bytes(method_text.as_bytes()).map_err(|_| {
        invalid(
            step.method.span(),
            "method",
            format!("`{}` is not an HTTP method", step.method.get_ref()),
        )
    })?;
    if !step.path.get_ref().starts_with('/') {
        return Err(invalid(
            step.path.span(),
            "path",
            format!(
                "`{}` must start with `/` (the target gives scheme and host)",
                step.path.get_ref()
            ),
        ));
    }
    let path_template = template(&step.path, "path")?;
    let mut headers = Vec::new();
    for (name, value) in &step.headers {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            invalid(
                value.span(),
                "headers",
                format!("`{name}` is not a valid header name"),
            )
        })?;
        headers.push((header, template(value, "headers")?));
    }
    let body = step
        .body
        .as_ref()
        .map(|body| template(body, "body"))
        .transpose()?;
    let paginate = match &step.paginate {
        None => None,
        Some(paginate) => {
            if paginate.by == PaginateBy::Page {
                let Some(per_page) = &paginate.per_page else {
                    return Err(invalid(
                        spanned.span(),
                        "paginate",
                        "`by = \"page\"` needs `per_page`, the page size the path asks for"
                            .to_owned(),
                    ));
                };
                if *per_page.get_ref() == 0 {
                    return Err(invalid(
                        per_page.span(),
                        "per_page",
                        "per_page must be at least 1".to_owned(),
                    ));
                }
                if !path_template.uses(Variable::Page) {
                    return Err(invalid(
                        step.path.span(),
                        "path",
                        "`by = \"page\"` needs `{page}` in the path".to_owned(),
                    ));
                }
            }
            let total_header =
                HeaderName::from_bytes(paginate.total_header.to_ascii_lowercase().as_bytes())
                    .map_err(|_| {
                        invalid(
                            spanned.span(),
                            "total_header",
                            format!("`{}` is not a valid header name", paginate.total_header),
                        )
                    })?;
            Some(Paginate {
                by: paginate.by,
                per_page: paginate.per_page.as_ref().map(|p| *p.get_ref()),
                total_header,
                max_pages: paginate.max_pages.max(1),
            })
        }
    };
    let name = step
        .name
        .clone()
        .unwrap_or_else(|| format!("{} {}", method, step.path.get_ref()));
    Ok(Step {
        name,
        method,
        path: path_template,
        headers,
        body,
        paginate,
        expect_status: step.expect_status.clone(),
        sla: step.sla.clone(),
    })
}
