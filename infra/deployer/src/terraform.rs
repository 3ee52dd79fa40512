//! Reads the root module's outputs (`terraform output -json`), the contract between
//! infra/terraform and the deployer: cluster, service names, repositories, listeners, alarms.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::error::DeployError;

/// `terraform output -json` reads local state; it should take a second or two.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Default)]
pub struct TerraformOutputs {
    values: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct OutputEntry {
    value: Value,
}

impl TerraformOutputs {
    /// Parses the JSON that `terraform output -json` prints: `{"name": {"value": ..}, ..}`.
    pub fn parse(json: &str, source: &str) -> Result<Self, DeployError> {
        let entries: BTreeMap<String, OutputEntry> = serde_json::from_str(json).map_err(|e| {
            DeployError::Config(format!(
                "terraform outputs from {source} are not `terraform output -json` JSON: {e}"
            ))
        })?;
        Ok(TerraformOutputs {
            values: entries.into_iter().map(|(k, v)| (k, v.value)).collect(),
        })
    }

    /// Reads a file written by `terraform output -json > FILE`.
    pub fn from_file(path: &Path) -> Result<Self, DeployError> {
        let json = std::fs::read_to_string(path).map_err(|e| {
            DeployError::Config(format!(
                "cannot read terraform outputs file {}: {e}",
                path.display()
            ))
        })?;
        Self::parse(&json, &path.display().to_string())
    }

    /// Runs `terraform output -json` in `dir` (the root module, e.g. infra/terraform).
    pub fn from_terraform_dir(dir: &Path) -> Result<Self, DeployError> {
        let failed = |why: String| {
            DeployError::Config(format!(
                "`terraform output -json` in {} failed: {why}; run `terraform apply` there first, \
                 or pass --cluster and the service names as flags",
                dir.display()
            ))
        };
        if !dir.is_dir() {
            return Err(failed("no such directory".into()));
        }
        let mut child = Command::new("terraform")
            .arg("output")
            .arg("-json")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(format!("cannot start terraform: {e}")))?;
        let deadline = Instant::now() + TERRAFORM_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(failed(format!(
                        "no answer in {}s",
                        TERRAFORM_TIMEOUT.as_secs()
                    )));
                }
                Err(e) => return Err(failed(e.to_string())),
            }
        }
        let output = child
            .wait_with_output()
            .map_err(|e| failed(e.to_string()))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failed(
                stderr.trim().lines().last().unwrap_or("").to_string(),
            ));
        }
        Self::parse(
            &String::from_utf8_lossy(&output.stdout),
            &format!("terraform in {}", dir.display()),
        )
    }

    /// A string output; `Ok(None)` when absent, an error when it is not a string.
    pub fn string(&self, name: &str) -> Result<Option<String>, DeployError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(DeployError::Config(format!(
                "terraform output {name} should be a string, found {other}"
            ))),
        }
    }

    /// An integer output (e.g. a port); `Ok(None)` when absent.
    pub fn number(&self, name: &str) -> Result<Option<i64>, DeployError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(other) => Err(DeployError::Config(format!(
                "terraform output {name} should be a whole number, found {other}"
            ))),
        }
    }

    /// A list-of-strings output (e.g. `portal_alarm_names`).
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, DeployError> {
        match self.values.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(DeployError::Config(format!(
                        "terraform output {name} should list strings, found {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(DeployError::Config(format!(
                "terraform output {name} should be a list of strings, found {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "cluster_name": {"sensitive": false, "type": "string", "value": "hwdash"},
      "portal_alarm_names": {"sensitive": false, "type": ["list", "string"],
                             "value": ["hwdash-portal-5xx", "hwdash-portal-p99"]},
      "desired": {"sensitive": false, "type": "number", "value": 2}
    }"#;

    #[test]
    fn strings_and_lists_come_out_of_terraform_json() {
        let outputs = TerraformOutputs::parse(SAMPLE, "test").unwrap();
        assert_eq!(
            outputs.string("cluster_name").unwrap().as_deref(),
            Some("hwdash")
        );
        assert_eq!(
            outputs.strings("portal_alarm_names").unwrap().unwrap(),
            vec!["hwdash-portal-5xx", "hwdash-portal-p99"]
        );
        assert_eq!(outputs.string("missing").unwrap(), None);
        assert_eq!(outputs.number("desired").unwrap(), Some(2));
        assert!(outputs.number("cluster_name").is_err());
    }

    #[test]
    fn wrong_types_and_bad_json_are_named() {
        let outputs = TerraformOutputs::parse(SAMPLE, "test").unwrap();
        let err = outputs.string("desired").unwrap_err().to_string();
        assert!(err.contains("desired") && err.contains("string"), "{err}");
        let err = outputs.strings("cluster_name").unwrap_err().to_string();
        assert!(err.contains("cluster_name"), "{err}");
        let err = TerraformOutputs::parse("not json", "outputs.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("outputs.json"), "{err}");
    }

    #[test]
    fn a_missing_terraform_dir_is_a_config_error_naming_it() {
        let err = TerraformOutputs::from_terraform_dir(Path::new("/nonexistent/tf"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/tf"), "{err}");
    }
}
