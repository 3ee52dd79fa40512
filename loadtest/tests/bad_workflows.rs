//! Bad workflow files get an error that names the file, the line and the field.

use std::path::Path;

fn load_error(content: &str) -> (String, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, content).unwrap();
    let error = loadtest::workflow::load(&path).unwrap_err().to_string();
    // Keep the directory alive until the message is built, then let it go.
    drop(dir);
    (error, path)
}

const GOOD_ACTOR: &str = r#"
[[actor]]
name = "a"
target = "api"
count = 1
schedule = { requests = 1, every = "1s" }

[[actor.step]]
path = "/x"
"#;

fn assert_names(error: &str, path: &Path, line: usize, field: &str) {
    assert!(
        error.contains(&path.display().to_string()),
        "file missing in: {error}"
    );
    assert!(
        error.contains(&format!("line {line},")),
        "line {line} missing in: {error}"
    );
    assert!(
        error.contains(&format!("`{field}`")),
        "field `{field}` missing in: {error}"
    );
}

#[test]
fn a_toml_syntax_error_names_the_file_and_line() {
    let (error, path) = load_error("name = \"w\"\nduration = \n");
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert!(error.contains("line 2,"), "{error}");
}

#[test]
fn an_unreadable_duration_names_its_field_and_value() {
    let content = GOOD_ACTOR.replace("every = \"1s\"", "every = \"2 fortnights\"");
    let (error, path) = load_error(&content);
    assert_names(&error, &path, 6, "every");
    assert!(
        error.contains("'2 fortnights' is not a duration: unknown unit 'fortnights'"),
        "{error}"
    );
}

#[test]
fn a_misspelled_field_is_rejected_with_the_known_fields() {
    let content = GOOD_ACTOR.replace("count = 1", "cuont = 1");
    let (error, path) = load_error(&content);
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert!(error.contains("line 5,"), "{error}");
    assert!(error.contains("unknown field `cuont`"), "{error}");
}

#[test]
fn an_unknown_template_variable_names_the_path_field() {
    let content = GOOD_ACTOR.replace("path = \"/x\"", "path = \"/x/{customer}\"");
    let (error, path) = load_error(&content);
    assert_names(&error, &path, 9, "path");
    assert!(error.contains("unknown variable `{customer}`"), "{error}");
}

#[test]
fn a_bad_threshold_names_the_sla_field() {
    let content = format!("sla = [\"p99 < soon\"]\n{GOOD_ACTOR}");
    let (error, path) = load_error(&content);
    assert_names(&error, &path, 1, "sla");
    assert!(error.contains("invalid threshold `p99 < soon`"), "{error}");
}

#[test]
fn an_actor_without_count_or_groups_is_rejected() {
    let content = GOOD_ACTOR.replace("count = 1\n", "");
    let (error, path) = load_error(&content);
    assert_names(&error, &path, 2, "count");
    assert!(
        error.contains("exactly one of `count = N` or `groups"),
        "{error}"
    );
}

#[test]
fn page_pagination_without_a_page_variable_is_rejected() {
    let content = GOOD_ACTOR.replace(
        "path = \"/x\"",
        "path = \"/x\"\npaginate = { by = \"page\", per_page = 50 }",
    );
    let (error, path) = load_error(&content);
    assert_names(&error, &path, 9, "path");
    assert!(error.contains("needs `{page}`"), "{error}");
}

#[test]
fn a_missing_include_names_the_including_file_and_the_missing_one() {
    let (error, path) = load_error("include = [{ workflow = \"nowhere.toml\", instances = 2 }]\n");
    assert_names(&error, &path, 1, "workflow");
    assert!(error.contains("nowhere.toml` does not exist"), "{error}");
}

#[test]
fn a_target_not_given_on_the_command_line_points_at_the_actor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.toml");
    std::fs::write(&path, GOOD_ACTOR).unwrap();
    let workflow = loadtest::workflow::load(&path).unwrap();
    let settings = loadtest::plan::RunSettings {
        compress: 1.0,
        multiplier: 1.0,
        duration: None,
        targets: Default::default(),
        extra_sla: Vec::new(),
    };
    let error = loadtest::plan::plan(&workflow, &settings)
        .unwrap_err()
        .to_string();
    assert_names(&error, &path, 4, "target");
    assert!(error.contains("no --target api=URL was given"), "{error}");
}

#[test]
fn the_cli_names_a_bad_flag_value() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadtest"))
        .args(["check", "x.toml", "--target", "portal"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`portal`: write a target as NAME=URL"),
        "{stderr}"
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadtest"))
        .args(["check", "x.toml", "--compress", "fast"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("'fast'"));
}
