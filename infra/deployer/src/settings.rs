//! Where the deployer's targets come from, in order: flags, environment variables (clap reads
//! both), then the outputs of infra/terraform. Everything is resolved once, up front, so a missing
//! cluster is reported before any AWS call is made.

use std::time::Duration;

use clap::ValueEnum;
use reqwest::Url;

use crate::aws::ConnectOptions;
use crate::cli::GlobalArgs;
use crate::error::DeployError;
use crate::smoke::parse_smoke_url;
use crate::terraform::TerraformOutputs;

/// Port of the blue/green test listener when the outputs do not name one (the default of
/// `test_listener_port` in infra/terraform/modules/alb).
pub const DEFAULT_TEST_LISTENER_PORT: u16 = 8443;

/// What a smoke check GETs on the test listener: ready means the new tasks can serve.
pub const SMOKE_PATH: &str = "/readyz";

/// The dashboard's deployable services. The name is also the container name inside the task
/// definition (the contract with infra/terraform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Component {
    Portal,
    Hardware,
}

impl Component {
    pub const ALL: [Component; 2] = [Component::Portal, Component::Hardware];

    pub fn name(self) -> &'static str {
        match self {
            Component::Portal => "portal",
            Component::Hardware => "hardware",
        }
    }

    fn output(self, suffix: &str) -> String {
        format!("{}_{suffix}", self.name())
    }
}

/// Everything the commands need to know about one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTarget {
    pub component: Component,
    pub cluster: String,
    /// The ECS service name (terraform output `<component>_service_name`).
    pub service: String,
    /// The container whose image a release replaces.
    pub container: String,
    /// ECR repository URL from terraform, used by `verify` when no image is given.
    pub repository_url: Option<String>,
    /// CloudWatch alarms that roll a release back while it bakes.
    pub alarm_names: Vec<String>,
    pub log_group: Option<String>,
    /// portal's smoke check URL on the ALB's test listener, from the terraform outputs
    /// `alb_dns_name` and `test_listener_port` (default 8443): `http://<dns>:<port>/readyz`.
    pub test_listener_url: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub connect: ConnectOptions,
    pub cluster: String,
    portal_service: Option<String>,
    hardware_service: Option<String>,
    outputs: TerraformOutputs,
}

impl Settings {
    pub fn resolve(args: &GlobalArgs) -> Result<Self, DeployError> {
        let outputs = if let Some(file) = &args.terraform_outputs {
            TerraformOutputs::from_file(file)?
        } else if let Some(dir) = &args.terraform_dir {
            TerraformOutputs::from_terraform_dir(dir)?
        } else {
            TerraformOutputs::default()
        };
        Self::from_parts(args, outputs)
    }

    /// Resolution without running terraform (tests pass outputs directly).
    pub fn from_parts(args: &GlobalArgs, outputs: TerraformOutputs) -> Result<Self, DeployError> {
        let cluster = match &args.cluster {
            Some(cluster) => cluster.clone(),
            None => outputs.string("cluster_name")?.ok_or_else(|| {
                DeployError::Config(
                    "no ECS cluster given: pass --cluster, set DEPLOYER_CLUSTER, or pass \
                     --terraform-dir infra/terraform (output cluster_name)"
                        .into(),
                )
            })?,
        };
        let region = match &args.region {
            Some(region) => Some(region.clone()),
            None => outputs.string("aws_region")?,
        };
        Ok(Settings {
            connect: ConnectOptions {
                region,
                endpoint_url: args.endpoint_url.clone(),
                call_timeout: args.call_timeout,
                max_attempts: 3,
            },
            cluster,
            portal_service: args.portal_service.clone(),
            hardware_service: args.hardware_service.clone(),
            outputs,
        })
    }

    /// The target for one component; `container` and `alarms` override the defaults.
    pub fn target(
        &self,
        component: Component,
        container: Option<String>,
        alarms: &[String],
    ) -> Result<ServiceTarget, DeployError> {
        let flag = match component {
            Component::Portal => &self.portal_service,
            Component::Hardware => &self.hardware_service,
        };
        let service = match flag {
            Some(name) => name.clone(),
            None => self
                .outputs
                .string(&component.output("service_name"))?
                .unwrap_or_else(|| component.name().to_string()),
        };
        let alarm_names = if !alarms.is_empty() {
            alarms.to_vec()
        } else {
            self.outputs
                .strings(&component.output("alarm_names"))?
                .unwrap_or_default()
        };
        Ok(ServiceTarget {
            component,
            cluster: self.cluster.clone(),
            service,
            container: container.unwrap_or_else(|| component.name().to_string()),
            repository_url: self
                .outputs
                .string(&component.output("ecr_repository_url"))?,
            alarm_names,
            log_group: self.outputs.string(&component.output("log_group_name"))?,
            test_listener_url: match component {
                Component::Portal => self.test_listener_url()?,
                Component::Hardware => None,
            },
        })
    }

    /// `http://<alb_dns_name>:<test listener port>/readyz`; the test listener speaks plain HTTP
    /// (modules/alb). `None` without `alb_dns_name`.
    fn test_listener_url(&self) -> Result<Option<Url>, DeployError> {
        let Some(dns_name) = self.outputs.string("alb_dns_name")? else {
            return Ok(None);
        };
        let port = match self.outputs.number("test_listener_port")? {
            None => DEFAULT_TEST_LISTENER_PORT,
            Some(port) => u16::try_from(port).ok().filter(|p| *p > 0).ok_or_else(|| {
                DeployError::Config(format!(
                    "terraform output test_listener_port should be a port number, found {port}"
                ))
            })?,
        };
        parse_smoke_url(&format!("http://{dns_name}:{port}{SMOKE_PATH}"))
            .map(Some)
            .map_err(|e| {
                DeployError::Config(format!(
                    "terraform outputs alb_dns_name and test_listener_port make no URL: {e}"
                ))
            })
    }

    pub fn call_timeout(&self) -> Duration {
        self.connect.call_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["deployer"];
        argv.extend_from_slice(args);
        argv.push("status");
        Cli::try_parse_from(argv).unwrap().global
    }

    const OUTPUTS: &str = r#"{
      "aws_region": {"value": "eu-west-1"},
      "cluster_name": {"value": "hwdash"},
      "portal_service_name": {"value": "portal"},
      "portal_ecr_repository_url": {"value": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hwdash/portal"},
      "portal_log_group_name": {"value": "/hwdash/portal"},
      "portal_alarm_names": {"value": ["hwdash-portal-5xx-rate", "hwdash-portal-p99-latency"]},
      "alb_dns_name": {"value": "hwdash-1234567890.eu-west-1.elb.amazonaws.com"},
      "test_listener_arn": {"value": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/hwdash/abc/def"}
    }"#;

    #[test]
    fn the_test_listener_url_comes_from_the_alb_outputs() {
        let outputs = TerraformOutputs::parse(OUTPUTS, "test").unwrap();
        let settings = Settings::from_parts(&global(&[]), outputs).unwrap();
        let portal = settings.target(Component::Portal, None, &[]).unwrap();
        assert_eq!(
            portal.test_listener_url.as_ref().map(Url::as_str),
            Some("http://hwdash-1234567890.eu-west-1.elb.amazonaws.com:8443/readyz")
        );
        // hardware has no load balancer, so no test listener.
        let hardware = settings.target(Component::Hardware, None, &[]).unwrap();
        assert_eq!(hardware.test_listener_url, None);

        // A port output wins over the module's default; a nonsense one is named.
        let with_port = OUTPUTS.replacen('{', r#"{"test_listener_port": {"value": 9443},"#, 1);
        let settings = Settings::from_parts(
            &global(&[]),
            TerraformOutputs::parse(&with_port, "t").unwrap(),
        )
        .unwrap();
        let portal = settings.target(Component::Portal, None, &[]).unwrap();
        assert_eq!(
            portal.test_listener_url.unwrap().as_str(),
            "http://hwdash-1234567890.eu-west-1.elb.amazonaws.com:9443/readyz"
        );
        let bad = OUTPUTS.replacen('{', r#"{"test_listener_port": {"value": 70000},"#, 1);
        let settings =
            Settings::from_parts(&global(&[]), TerraformOutputs::parse(&bad, "t").unwrap())
                .unwrap();
        let err = settings
            .target(Component::Portal, None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("test_listener_port"), "{err}");

        // Without terraform outputs there is no URL to default to.
        let settings =
            Settings::from_parts(&global(&["--cluster", "c"]), TerraformOutputs::default())
                .unwrap();
        let portal = settings.target(Component::Portal, None, &[]).unwrap();
        assert_eq!(portal.test_listener_url, None);
    }

    #[test]
    fn terraform_outputs_fill_what_flags_leave_open() {
        let outputs = TerraformOutputs::parse(OUTPUTS, "test").unwrap();
        let settings = Settings::from_parts(&global(&[]), outputs).unwrap();
        assert_eq!(settings.cluster, "hwdash");
        assert_eq!(settings.connect.region.as_deref(), Some("eu-west-1"));
        let portal = settings.target(Component::Portal, None, &[]).unwrap();
        assert_eq!(portal.service, "portal");
        assert_eq!(portal.container, "portal");
        assert_eq!(
            portal.alarm_names,
            vec!["hwdash-portal-5xx-rate", "hwdash-portal-p99-latency"]
        );
        assert_eq!(portal.log_group.as_deref(), Some("/hwdash/portal"));
        // No hardware outputs: the component name is the service name.
        let hardware = settings.target(Component::Hardware, None, &[]).unwrap();
        assert_eq!(hardware.service, "hardware");
        assert!(hardware.alarm_names.is_empty());
    }

    #[test]
    fn flags_win_over_terraform_outputs() {
        let outputs = TerraformOutputs::parse(OUTPUTS, "test").unwrap();
        let args = global(&[
            "--cluster",
            "other",
            "--region",
            "us-east-1",
            "--portal-service",
            "p2",
        ]);
        let settings = Settings::from_parts(&args, outputs).unwrap();
        assert_eq!(settings.cluster, "other");
        assert_eq!(settings.connect.region.as_deref(), Some("us-east-1"));
        let portal = settings
            .target(Component::Portal, Some("web".into()), &["mine".into()])
            .unwrap();
        assert_eq!(portal.service, "p2");
        assert_eq!(portal.container, "web");
        assert_eq!(portal.alarm_names, vec!["mine"]);
    }

    #[test]
    fn a_missing_cluster_says_where_it_can_come_from() {
        let err = Settings::from_parts(&global(&[]), TerraformOutputs::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--cluster") && err.contains("DEPLOYER_CLUSTER"),
            "{err}"
        );
    }
}
