//! The deployer against a real moto server on loopback (real HTTP, real AWS wire protocols):
//! release registers the right revision and updates the service, status reports what moto
//! holds, verify catches a missing image. ECS service deployments are not implemented by moto
//! (HTTP 500), so releases here run with `wait: false`; following a deployment is tested with
//! mocks in tests/lifecycle.rs.

mod common;

use std::process::Command;
use std::time::Duration;

use common::fixture::{ALARMS, CLUSTER, FAMILY, Fixture, HARDWARE_SERVICE, LOG_GROUP, SERVICE};
use deployer::DeployError;
use deployer::deployment::FollowOptions;
use deployer::ecs::describe_task_definition;
use deployer::progress::{Reporter, SharedBuffer};
use deployer::release::{ImageCheck, ReleaseOutcome, ReleaseRequest, release};
use deployer::status::status;
use deployer::verify::verify;
use test_support::process::output_within;

fn request(fixture: &Fixture, tag: &str) -> ReleaseRequest {
    ReleaseRequest {
        target: fixture.target(),
        image: format!("{}:{tag}", fixture.repository_url).parse().unwrap(),
        dry_run: false,
        wait: false,
        check_image: true,
        force: false,
        follow: FollowOptions {
            poll_interval: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
            smoke: None,
            alarm_names: Vec::new(),
            alarms_since: None,
        },
    }
}

async fn service_task_definition(fixture: &Fixture) -> String {
    fixture
        .clients
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .services(SERVICE)
        .send()
        .await
        .unwrap()
        .services()[0]
        .task_definition()
        .unwrap()
        .to_string()
}

async fn revisions_registered(fixture: &Fixture) -> usize {
    fixture
        .clients
        .ecs
        .list_task_definitions()
        .family_prefix(FAMILY)
        .send()
        .await
        .unwrap()
        .task_definition_arns()
        .len()
}

#[tokio::test]
async fn release_registers_a_revision_with_only_the_image_changed_and_updates_the_service() {
    let fixture = Fixture::new().await;
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));

    let outcome = release(&fixture.clients, &reporter, &request(&fixture, "v2"))
        .await
        .unwrap();

    let task_definition = submitted_revision(&outcome);
    assert!(
        task_definition.ends_with(":task-definition/hwdash-portal:2"),
        "{task_definition}"
    );
    assert_eq!(&service_task_definition(&fixture).await, task_definition);

    let (old, _) = describe_task_definition(&fixture.clients, &fixture.first_task_definition)
        .await
        .unwrap();
    let (new, _) = describe_task_definition(&fixture.clients, task_definition)
        .await
        .unwrap();
    let mut expected = old.container_definitions().to_vec();
    expected[0].image = Some(format!("{}:v2", fixture.repository_url));
    assert_eq!(new.container_definitions(), &expected[..]);
    assert_eq!(new.family(), old.family());
    assert_eq!(new.execution_role_arn(), old.execution_role_arn());
    assert_eq!(new.task_role_arn(), old.task_role_arn());
    assert_eq!(new.cpu(), old.cpu());
    assert_eq!(new.memory(), old.memory());
    assert_eq!(new.network_mode(), old.network_mode());
    assert_eq!(
        new.requires_compatibilities(),
        old.requires_compatibilities()
    );

    let printed = output.text();
    assert!(
        printed.contains("registered hwdash-portal:2 (portal -> hwdash/portal:v2)"),
        "{printed}"
    );
    assert!(
        printed.contains("updated service portal to hwdash-portal:2"),
        "{printed}"
    );
}

#[tokio::test]
async fn a_dry_run_reads_everything_and_changes_nothing() {
    let fixture = Fixture::new().await;
    let reporter = Reporter::plain(Box::new(SharedBuffer::default()));
    let mut dry = request(&fixture, "v2");
    dry.dry_run = true;

    let outcome = release(&fixture.clients, &reporter, &dry).await.unwrap();

    let ReleaseOutcome::DryRun(plan) = &outcome else {
        panic!("not a dry run: {outcome:?}")
    };
    assert_eq!(plan.current_image, format!("{}:v1", fixture.repository_url));
    assert_eq!(plan.new_image, format!("{}:v2", fixture.repository_url));
    assert_eq!(plan.image_check, ImageCheck::Found);
    let text = outcome.to_string();
    assert!(
        text.contains("dry run: nothing registered, nothing changed"),
        "{text}"
    );
    assert!(text.contains("a copy of hwdash-portal:1"), "{text}");
    assert_eq!(revisions_registered(&fixture).await, 1);
    assert_eq!(
        service_task_definition(&fixture).await,
        fixture.first_task_definition
    );
}

#[tokio::test]
async fn releasing_the_image_that_already_runs_changes_nothing_unless_forced() {
    let fixture = Fixture::new().await;
    let reporter = Reporter::plain(Box::new(SharedBuffer::default()));

    let outcome = release(&fixture.clients, &reporter, &request(&fixture, "v1"))
        .await
        .unwrap();

    assert_eq!(
        outcome,
        ReleaseOutcome::AlreadyRunning {
            task_definition: fixture.first_task_definition.clone(),
            image: format!("{}:v1", fixture.repository_url),
        }
    );
    assert!(outcome.succeeded());
    assert_eq!(revisions_registered(&fixture).await, 1);

    let mut forced = request(&fixture, "v1");
    forced.force = true;
    let outcome = release(&fixture.clients, &reporter, &forced).await.unwrap();
    assert!(
        matches!(outcome, ReleaseOutcome::Submitted { .. }),
        "{outcome:?}"
    );
    assert_eq!(revisions_registered(&fixture).await, 2);
}

/// The environment of portal in the revision the service runs now.
async fn service_environment(fixture: &Fixture) -> Vec<(String, String)> {
    let running = service_task_definition(fixture).await;
    let (definition, _) = describe_task_definition(&fixture.clients, &running)
        .await
        .unwrap();
    definition.container_definitions()[0]
        .environment()
        .iter()
        .map(|kv| {
            (
                kv.name().unwrap_or_default().to_string(),
                kv.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// An infrastructure-only change: terraform registered a newer revision (new environment, same
/// image) that the service does not run. Releasing the same image puts it into service as it is.
#[tokio::test]
async fn releasing_the_running_image_deploys_a_newer_revision_terraform_registered() {
    let fixture = Fixture::new().await;
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));
    let newer = fixture
        .terraform_registers_revision("LOG_LEVEL", "debug", "v1")
        .await;
    assert!(newer.ends_with(&format!("{FAMILY}:2")), "{newer}");

    let mut dry = request(&fixture, "v1");
    dry.dry_run = true;
    let plan = release(&fixture.clients, &reporter, &dry).await.unwrap();
    let text = plan.to_string();
    assert!(
        text.contains(&format!("newer revision   {FAMILY}:2")),
        "{text}"
    );
    assert!(
        text.contains(&format!("register         nothing: {FAMILY}:2 already has")),
        "{text}"
    );
    assert_eq!(revisions_registered(&fixture).await, 2);

    let outcome = release(&fixture.clients, &reporter, &request(&fixture, "v1"))
        .await
        .unwrap();

    let task_definition = submitted_revision(&outcome);
    assert_eq!(task_definition, &newer);
    assert_eq!(service_task_definition(&fixture).await, newer);
    assert_eq!(
        revisions_registered(&fixture).await,
        2,
        "nothing new registered"
    );
    assert!(
        service_environment(&fixture)
            .await
            .contains(&("LOG_LEVEL".into(), "debug".into()))
    );
    let printed = output.text();
    assert!(
        printed.contains(&format!(
            "deploying {FAMILY}:2 as registered (its container portal already has hwdash/portal:v1; the service ran {FAMILY}:1)"
        )),
        "{printed}"
    );

    // Now that the service runs the latest revision, the same release is a no-op again.
    let again = release(&fixture.clients, &reporter, &request(&fixture, "v1"))
        .await
        .unwrap();
    assert!(
        matches!(again, ReleaseOutcome::AlreadyRunning { .. }),
        "{again:?}"
    );
    assert_eq!(revisions_registered(&fixture).await, 2);
}

/// A new image after an infrastructure change: the new revision is a copy of terraform's newer
/// revision (its environment) with the new image, not of the one the service ran.
#[tokio::test]
async fn a_new_image_is_released_on_top_of_a_newer_terraform_revision() {
    let fixture = Fixture::new().await;
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));
    fixture
        .terraform_registers_revision("LOG_LEVEL", "debug", "v1")
        .await;

    let outcome = release(&fixture.clients, &reporter, &request(&fixture, "v2"))
        .await
        .unwrap();

    let task_definition = submitted_revision(&outcome);
    assert!(
        task_definition.ends_with(&format!("{FAMILY}:3")),
        "{task_definition}"
    );
    assert_eq!(&service_task_definition(&fixture).await, task_definition);
    let (new, _) = describe_task_definition(&fixture.clients, task_definition)
        .await
        .unwrap();
    assert_eq!(
        new.container_definitions()[0].image(),
        Some(format!("{}:v2", fixture.repository_url).as_str())
    );
    assert!(
        service_environment(&fixture)
            .await
            .contains(&("LOG_LEVEL".into(), "debug".into()))
    );
    let printed = output.text();
    assert!(
        printed.contains(&format!(
            "starting from {FAMILY}:2, registered after the running {FAMILY}:1"
        )),
        "{printed}"
    );
}

#[tokio::test]
async fn releasing_an_image_that_was_never_pushed_fails_before_registering_anything() {
    let fixture = Fixture::new().await;
    let reporter = Reporter::plain(Box::new(SharedBuffer::default()));

    let err = release(&fixture.clients, &reporter, &request(&fixture, "abc123"))
        .await
        .unwrap_err();

    assert!(matches!(err, DeployError::ImageNotFound { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "ECR image hwdash/portal:abc123 not found in repository hwdash/portal: push it first \
         (scripts/deploy.sh does)"
    );
    assert_eq!(revisions_registered(&fixture).await, 1);
    assert_eq!(
        service_task_definition(&fixture).await,
        fixture.first_task_definition
    );

    // A dry run (deploy.sh --plan, before the push) reports the missing image instead.
    let mut dry = request(&fixture, "abc123");
    dry.dry_run = true;
    let outcome = release(&fixture.clients, &reporter, &dry).await.unwrap();
    let ReleaseOutcome::DryRun(plan) = outcome else {
        panic!("not a dry run")
    };
    let ImageCheck::NotReady(problem) = &plan.image_check else {
        panic!("missing image not reported: {:?}", plan.image_check)
    };
    assert!(
        problem.starts_with("ECR image hwdash/portal:abc123 not found"),
        "{problem}"
    );
}

#[tokio::test]
async fn status_reports_what_moto_holds() {
    let fixture = Fixture::new().await;

    let report = status(&fixture.clients, &fixture.target()).await.unwrap();

    assert_eq!(report.service, SERVICE);
    assert_eq!(report.desired, 2);
    // moto never starts tasks: everything it was asked for is pending.
    assert_eq!((report.running, report.pending), (0, 2));
    assert_eq!(report.task_definition, fixture.first_task_definition);
    assert_eq!(report.image, Ok(format!("{}:v1", fixture.repository_url)));
    assert_eq!(report.target_groups.len(), 1);
    assert_eq!(report.target_groups[0].name, "hwdash-portal-blue");
    assert_eq!(
        report.target_groups[0].health.as_ref().map(|h| h.healthy),
        Ok(0)
    );
    let scaling = report.scaling.clone().unwrap();
    assert_eq!(scaling[0], "2 to 20 tasks");
    assert!(
        scaling[1]
            == "policy portal-requests-per-target: target tracking RequestCountPerTarget: \
                FILL(blue, 0) + FILL(green, 0) = 60000",
        "{scaling:?}"
    );
    assert_eq!(report.requests_per_target, Ok(None));
    let text = report.to_string();
    assert!(text.contains("0 running / 2 desired (2 pending)"), "{text}");
}

#[tokio::test]
async fn verify_passes_when_everything_a_release_needs_exists() {
    let fixture = Fixture::new().await;

    let report = verify(&fixture.clients, &fixture.target(), None).await;

    assert!(report.passed(), "{report}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ECS service",
            "container",
            "image",
            "execution role",
            "task role",
            "log group",
            "alarm hwdash-portal-blue-5xx-rate",
            "alarm hwdash-portal-green-5xx-rate",
            "alarm hwdash-portal-blue-p99-latency",
            "alarm hwdash-portal-green-p99-latency",
            "alarm hwdash-portal-lb-5xx-rate",
        ]
    );

    // hardware: its own roles and log group, and the database secret modules/database makes.
    let mut fixture = fixture;
    fixture.add_hardware().await;
    let report = verify(&fixture.clients, &fixture.hardware_target(), None).await;
    assert!(report.passed(), "{report}");
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == "secret DATABASE_URL"),
        "{report}"
    );
}

#[tokio::test]
async fn verify_names_a_missing_image_log_group_and_alarm() {
    let fixture = Fixture::new().await;
    fixture
        .clients
        .logs
        .delete_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .unwrap();
    let mut target = fixture.target();
    target.alarm_names = vec![ALARMS[0].to_string(), "hwdash-portal-typo".to_string()];
    let missing = format!("{}:abc123", fixture.repository_url)
        .parse()
        .unwrap();

    let report = verify(&fixture.clients, &target, Some(&missing)).await;

    assert!(!report.passed());
    let failures: Vec<(&str, &str)> = report
        .failures()
        .map(|c| (c.name.as_str(), c.result.as_ref().unwrap_err().as_str()))
        .collect();
    assert_eq!(failures.len(), 3, "{report}");
    assert_eq!(failures[0].0, "image");
    assert!(
        failures[0]
            .1
            .contains("ECR image hwdash/portal:abc123 not found in repository hwdash/portal")
    );
    assert_eq!(failures[1].0, "log group");
    assert!(failures[1].1.contains(LOG_GROUP), "{}", failures[1].1);
    assert_eq!(failures[2].0, "alarm hwdash-portal-typo");
}

/// The binary end to end: flags, environment, terraform outputs file, exit codes, and error
/// messages without panics or Debug dumps.
#[tokio::test]
async fn the_binary_plans_verifies_and_reports_errors_by_exit_code() {
    let fixture = Fixture::new().await;
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    std::fs::write(&outputs, fixture.terraform_outputs_json()).unwrap();
    let deployer = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_deployer"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &fixture.moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDMOTO")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("DEPLOYER_TERRAFORM_OUTPUTS", &outputs)
            .env("DEPLOYER_CALL_TIMEOUT", "60s")
            .env_remove("AWS_REGION")
            .env_remove("AWS_PROFILE")
            .env_remove("DEPLOYER_CLUSTER")
            .output()
            .expect("run deployer")
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();

    let image = format!("{}:v2", fixture.repository_url);
    let plan = deployer(&[
        "release",
        "--service",
        "portal",
        "--image",
        &image,
        "--dry-run",
    ]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(
        stdout.contains(&format!("rollback alarms  {}", ALARMS.join(", "))),
        "{stdout}"
    );
    assert_eq!(revisions_registered(&fixture).await, 1);

    let missing = format!("{}:abc123", fixture.repository_url);
    let checked = deployer(&["verify", "--service", "portal", "--image", &missing]);
    assert_eq!(checked.status.code(), Some(3));
    let stdout = text(&checked.stdout);
    assert!(stdout.contains("FAIL  image"), "{stdout}");
    assert!(stdout.contains("some checks FAILED"), "{stdout}");

    let wrong = deployer(&["--cluster", "nope", "status", "--service", "portal"]);
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = text(&wrong.stderr);
    assert!(
        stderr.starts_with("error: ECS cluster nope not found in this account and region"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Backtrace"),
        "{stderr}"
    );

    let unknown = deployer(&["--portal-service", "nope", "status", "--service", "portal"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        text(&unknown.stderr).trim(),
        "error: ECS service nope not found in cluster hwdash: check --cluster and the service \
         name (or `terraform output` in infra/terraform)"
    );

    let usage = deployer(&["release", "--service", "portal", "--image", "hwdash-portal"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("has no tag"));
}

/// `scripts/deploy.sh --plan` against moto: every step runs (prerequisites, credentials,
/// version, terraform, images, release) and nothing changes. The deployer binary cargo built for
/// this test stands in for `cargo run --release` (DEPLOYER_BIN), and a saved outputs file for
/// the Terraform state this machine does not have (DEPLOYER_TERRAFORM_OUTPUTS).
#[tokio::test]
async fn heavy_deploy_sh_plan_runs_every_step_against_moto_and_changes_nothing() {
    let mut fixture = Fixture::new().await;
    fixture.add_hardware().await;
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    std::fs::write(&outputs, fixture.terraform_outputs_json()).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("scripts/deploy.sh");
    assert!(
        script.exists(),
        "scripts/deploy.sh is missing: the infra component provides it"
    );

    // The AWS CLI for the credential step: scripts/ci/setup-deployer.sh puts one in its own venv
    // (a pip awscli beside moto's botocore fails to import).
    let aws_dir = std::env::var_os("DEPLOYER_AWS_CLI_DIR").or_else(|| {
        // The venv's link dir, when setup-deployer.sh ran once before a plain `cargo test`.
        let home = std::env::var_os("HOME")?;
        let dir = std::path::Path::new(&home).join(".cache/hwdash-awscli/only-aws");
        dir.exists().then(|| dir.into_os_string())
    });
    let path = match aws_dir {
        Some(dir) => {
            let mut dirs = vec![std::path::PathBuf::from(dir)];
            dirs.extend(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            ));
            std::env::join_paths(dirs).unwrap()
        }
        None => std::env::var_os("PATH").unwrap_or_default(),
    };
    let child = Command::new("bash")
        .arg(&script)
        .arg("--plan")
        .current_dir(&root)
        .env("PATH", path)
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_ENDPOINT_URL", &fixture.moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "AKIDMOTO")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env("DEPLOYER_BIN", env!("CARGO_BIN_EXE_deployer"))
        .env("DEPLOYER_TERRAFORM_OUTPUTS", &outputs)
        .env("DEPLOYER_NO_PROGRESS", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run scripts/deploy.sh");
    // Bounded: the plan makes a few dozen calls to moto; two minutes means something hangs.
    let run = tokio::task::spawn_blocking(move || {
        output_within(child, Duration::from_secs(120), "scripts/deploy.sh --plan")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    // The transcript in docs/deploy.md ("deploy.sh --plan against moto") is this output.
    println!("$ scripts/deploy.sh --plan\n{stdout}");
    assert_eq!(
        run.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("    deploying as arn:aws:sts::123456789012:user/moto"),
        "the credential step did not ask moto who is deploying (no working aws CLI? source \
         scripts/ci/lib.sh and scripts/ci/setup-deployer.sh):\n{stdout}\nstderr:\n{stderr}"
    );
    for expected in [
        "==> 1. prerequisites",
        "[plan] would run: terraform",
        "all checks passed",
        "dry run: nothing registered, nothing changed",
        "service          hardware (cluster hwdash)",
        "service          portal (cluster hwdash)",
        "plan only: nothing was changed",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}\nstderr:\n{stderr}"
        );
    }
    // Nothing registered, nothing updated.
    assert_eq!(revisions_registered(&fixture).await, 1);
    assert_eq!(
        service_task_definition(&fixture).await,
        fixture.first_task_definition
    );
    let hardware = fixture
        .clients
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .services(HARDWARE_SERVICE)
        .send()
        .await
        .unwrap();
    assert!(
        hardware.services()[0]
            .task_definition()
            .unwrap()
            .ends_with("hwdash-hardware:1")
    );
}

/// The transcripts in docs/deploy.md ("Before and after" and "An infrastructure-only change")
/// come from the deployer binary against moto holding what infra/terraform creates.
#[tokio::test]
/// The transcripts in docs/deploy.md are this test's output: every line the deployer prints
/// here must stand in the doc verbatim, so the doc shows real output and cannot drift from
/// it. `cargo nextest run -p deployer --test moto --no-capture -E 'test(real_output)'` prints them to
/// paste after a change.
async fn the_deploy_docs_show_the_deployers_real_output() {
    let mut fixture = Fixture::new().await;
    fixture.add_hardware().await;
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    std::fs::write(&outputs, fixture.terraform_outputs_json()).unwrap();
    let printed = std::cell::RefCell::new(Vec::<String>::new());
    let codes = std::cell::RefCell::new(Vec::<i32>::new());
    let deployer = |args: &[&str]| {
        let run = Command::new(env!("CARGO_BIN_EXE_deployer"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &fixture.moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDMOTO")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("DEPLOYER_TERRAFORM_OUTPUTS", &outputs)
            .env("DEPLOYER_CALL_TIMEOUT", "60s")
            .env("DEPLOYER_NO_PROGRESS", "1")
            .env_remove("AWS_PROFILE")
            .env_remove("DEPLOYER_CLUSTER")
            .output()
            .expect("run deployer");
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stderr),
            String::from_utf8_lossy(&run.stdout)
        );
        println!("$ deployer {}", args.join(" "));
        print!("{output}");
        println!("(exit {})\n", run.status.code().unwrap_or(-1));
        printed.borrow_mut().extend(
            output
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
        codes.borrow_mut().push(run.status.code().unwrap_or(-1));
    };
    let image = |tag: &str| format!("{}:{tag}", fixture.repository_url);

    deployer(&[
        "verify",
        "--service",
        "portal",
        "--image",
        &image("0000deadbeef"),
    ]);
    deployer(&[
        "release",
        "--service",
        "portal",
        "--image",
        &image("v2"),
        "--dry-run",
    ]);
    deployer(&["release", "--service", "portal", "--image", &image("v1")]);
    println!("# terraform apply with portal_environment = {{ SYNC_INTERVAL = \"5\" }}\n");
    fixture
        .terraform_registers_revision("SYNC_INTERVAL", "5", "v1")
        .await;
    deployer(&[
        "release",
        "--service",
        "portal",
        "--image",
        &image("v1"),
        "--dry-run",
    ]);
    deployer(&[
        "release",
        "--service",
        "portal",
        "--image",
        &image("v1"),
        "--no-wait",
    ]);
    deployer(&["release", "--service", "portal", "--image", &image("v1")]);
    deployer(&["status"]);

    // verify names the image that was never pushed (exit 3); everything else succeeds.
    assert_eq!(codes.into_inner(), [3, 0, 0, 0, 0, 0, 0]);
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/deploy.md");
    let doc = std::fs::read_to_string(doc_path).expect("read docs/deploy.md");
    let printed = printed.into_inner();
    assert!(printed.len() > 20, "{printed:?}");
    let missing: Vec<&String> = printed
        .iter()
        .filter(|line| !doc.contains(line.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/deploy.md lacks these lines of the deployer's real output (re-run with --no-capture and update it): {missing:#?}"
    );
}

/// The task definition a release submitted; any other outcome fails the test.
fn submitted_revision(outcome: &ReleaseOutcome) -> &String {
    match outcome {
        ReleaseOutcome::Submitted {
            task_definition, ..
        } => task_definition,
        other => panic!("expected a submitted release, got {other:?}"),
    }
}

#[tokio::test]
async fn wait_times_out_against_moto_naming_the_service_its_tasks_and_its_logs() {
    let fixture = Fixture::new().await;
    // A log line of the service, as awslogs would write it, so the report shows the tail.
    let stream = "portal/portal/0123abcd";
    fixture
        .clients
        .logs
        .create_log_stream()
        .log_group_name(LOG_GROUP)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    fixture
        .clients
        .logs
        .put_log_events()
        .log_group_name(LOG_GROUP)
        .log_stream_name(stream)
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now_ms)
                .message("error: cannot reach hardware at http://hardware:8080")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let output = SharedBuffer::default();
    let reporter = Reporter::plain(Box::new(output.clone()));
    let request = deployer::wait::WaitRequest {
        targets: vec![fixture.target()],
        timeout: Duration::from_secs(2),
        poll_interval: Duration::from_millis(500),
    };

    let err = deployer::wait::wait(&fixture.clients, &reporter, &request)
        .await
        .unwrap_err();
    // docs/deploy.md shows this output ("the wait against moto").
    println!("{}deployer: error: {err}", output.text());

    // moto never starts tasks, so the service never reaches its desired count.
    let DeployError::NotSteady { timed_out, .. } = &err else {
        panic!("expected NotSteady, got {err:?}");
    };
    assert!(*timed_out);
    let text = err.to_string();
    assert!(
        text.starts_with("timed out waiting for a steady state:\nservice portal: not steady after"),
        "{text}"
    );
    assert!(text.contains("tasks 0/2 running"), "{text}");
    assert!(text.contains("stopped tasks: none"), "{text}");
    assert!(
        text.contains(&format!("last log lines of {LOG_GROUP}:")),
        "{text}"
    );
    assert!(
        text.contains("0123abcd error: cannot reach hardware at http://hardware:8080"),
        "{text}"
    );
    assert!(
        output.text().contains("portal: tasks 0/2 running"),
        "{}",
        output.text()
    );
}

#[tokio::test]
async fn logs_prints_the_last_lines_of_the_services_log_group() {
    let fixture = Fixture::new().await;
    let stream = "portal/portal/feedbeef";
    let logs = &fixture.clients.logs;
    logs.create_log_stream()
        .log_group_name(LOG_GROUP)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
    let now_ms = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let mut put = logs
        .put_log_events()
        .log_group_name(LOG_GROUP)
        .log_stream_name(stream);
    for (i, message) in [
        "starting",
        "listening on 0.0.0.0:8080",
        "synced 78 profiles",
    ]
    .iter()
    .enumerate()
    {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now_ms - 3000 + i64::try_from(i).unwrap() * 1000)
                .message(*message)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();
    let request = deployer::logs::LogsRequest {
        target: fixture.target(),
        since: Duration::from_secs(600),
        follow: false,
        lines: 2,
        poll_interval: Duration::from_millis(100),
    };
    let mut out = Vec::new();

    deployer::logs::logs(&fixture.clients, &request, &mut out)
        .await
        .unwrap();

    let text = String::from_utf8(out).unwrap();
    println!("{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "--lines 2: {text}");
    assert!(
        lines[0].contains("feedbeef listening on 0.0.0.0:8080"),
        "{text}"
    );
    assert!(lines[1].contains("feedbeef synced 78 profiles"), "{text}");

    // A log group that does not exist is named, not a stack trace.
    let mut missing = fixture.target();
    missing.log_group = Some("/hwdash/nope".into());
    let err = deployer::logs::logs(
        &fixture.clients,
        &deployer::logs::LogsRequest {
            target: missing,
            ..request
        },
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("/hwdash/nope"), "{err}");
}

#[tokio::test]
async fn diff_shows_what_a_release_would_change_in_the_task_definition() {
    let fixture = Fixture::new().await;
    let image: deployer::image::ImageRef =
        format!("{}:v2", fixture.repository_url).parse().unwrap();

    let diff = deployer::diff::diff(&fixture.clients, &fixture.target(), &image)
        .await
        .unwrap();

    println!("{diff}");
    assert_eq!(diff.changes.len(), 1, "only the image: {diff}");
    let (field, old, new) = &diff.changes[0];
    assert!(field.contains("image"), "{field}");
    assert!(old.ends_with(":v1"), "{old}");
    assert!(new.ends_with(":v2"), "{new}");
    assert_eq!(
        revisions_registered(&fixture).await,
        1,
        "diff registers nothing"
    );

    let same: deployer::image::ImageRef = format!("{}:v1", fixture.repository_url).parse().unwrap();
    let none = deployer::diff::diff(&fixture.clients, &fixture.target(), &same)
        .await
        .unwrap();
    assert!(none.changes.is_empty(), "{none}");
    assert!(none.to_string().contains("no change"), "{none}");
}
