"""scripts/deploy.sh: its command line, prerequisite and credential checks, the dirty-tree
guard, and that --plan changes nothing.

AWS, Docker and a real Terraform run cannot happen here, so `aws`, `terraform`, `cargo` and
the container engine are small fake executables that record their arguments (a mock only
because the real services are out of reach; the deployer's moto-backed test covers the AWS
side of --plan)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "scripts" / "deploy.sh"

FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_LOG"
if [ "$(basename "$0")" = terraform ]; then
  [ -n "$TF_DATA_DIR" ] && echo "TF_DATA_DIR=$TF_DATA_DIR" >> "$FAKE_LOG"
  if [ "$2" = output ] && [ -n "$FAKE_REGISTRY" ]; then
    echo "$FAKE_REGISTRY/$(echo "$4" | sed 's/_ecr_repository_url//')"
  fi
fi
# The dashboard as portal serves it once it has read hardware.
if [ "$(basename "$0")" = curl ]; then echo '<td class="availability">HIGH</td>'; fi
if [ "$(basename "$0")" = aws ]; then
  # deploy.sh passes --region first (AWS CLI v1 ignores AWS_REGION).
  [ "$1" = --region ] || { echo "aws called without --region: $*" >&2; exit 252; }
  shift 2
  if [ "$1 $2" = "sts get-caller-identity" ]; then
    [ -n "$FAKE_AWS_DENY" ] && { echo "Unable to locate credentials" >&2; exit 255; }
    echo arn:aws:iam::123456789012:user/ci
  fi
  if [ "$1 $2" = "ecr describe-images" ]; then
    [ -n "$FAKE_ECR_DENY" ] && { echo "An error occurred (AccessDeniedException) when calling the DescribeImages operation: not authorized" >&2; exit 254; }
    repo=$4; tag=${6#imageTag=}
    # FAKE_ECR_CONTENT="REPO=TAG": that repository already holds this content under TAG.
    case "$tag" in content-*)
      for entry in $FAKE_ECR_CONTENT; do
        if [ "${entry%%=*}" = "$repo" ]; then echo "${entry#*=}	$tag"; exit 0; fi
      done ;;
    esac
    echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageTag:'$tag'} does not exist within the repository with name '$repo'" >&2
    exit 254
  fi
  if [ "$1 $2" = "ecr batch-get-image" ]; then echo '{"schemaVersion":2}'; fi
fi
exit 0
"""


@pytest.fixture
def sandbox(tmp_path):
    """A git checkout holding deploy.sh, and a PATH with fake tools plus git and coreutils."""
    checkout = tmp_path / "repo"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / "infra" / "terraform").mkdir(parents=True)
    shutil.copy(DEPLOY, checkout / "scripts" / "deploy.sh")
    shutil.copytree(REPO / "scripts" / "lib", checkout / "scripts" / "lib")
    (checkout / "infra" / "terraform" / "backend.hcl").write_text('bucket = "b"\n')
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "terraform", "cargo", "podman", "curl"):
        path = bin_dir / tool
        path.write_text(FAKE)
        path.chmod(0o755)
    for tool in ("git", "bash", "env", "uname", "date", "mktemp", "rm", "mkdir", "cp", "basename", "cat", "dirname",
                 "sed", "sha256sum", "cut", "tr", "grep", "head", "find", "sort", "xargs", "sleep"):
        found = shutil.which(tool)
        assert found, f"{tool} is needed by deploy.sh"
        (bin_dir / tool).symlink_to(found)
    log = tmp_path / "calls.log"
    log.touch()
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "FAKE_LOG": str(log), "AWS_REGION": "eu-west-1"}
    return checkout, bin_dir, log, env


def deploy(sandbox, *args, **extra_env):
    checkout, _, _, env = sandbox
    return subprocess.run(
        ["bash", str(checkout / "scripts" / "deploy.sh"), *args],
        env={**env, **extra_env}, capture_output=True, text=True, timeout=60,
    )


def test_help_documents_every_option():
    result = subprocess.run(["bash", str(DEPLOY), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for option in ("--plan", "--allow-dirty", "--yes", "--region", "--backend-config", "--var-file",
                   "--engine", "--builder", "--env", "--wait-timeout", "--keep-revisions", "AWS_ENDPOINT_URL"):
        assert option in result.stdout


@pytest.mark.parametrize("args, named", [
    (["--region", "mars-1"], "'mars-1' is not an AWS region"),
    (["--engine", "lxc"], "--engine must be docker or podman, not 'lxc'"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--region"], "--region needs a value"),
    (["--env", "qa"], "--env 'qa' has no variable file"),
    (["--env", "Prod!"], "--env must be lowercase letters, digits or dashes, not 'Prod!'"),
    (["--wait-timeout", "soon"], "--wait-timeout must be a duration like 900s or 15m, not 'soon'"),
    (["--keep-revisions", "1"], "--keep-revisions must be a whole number of at least 2"),
])
def test_bad_arguments_are_usage_errors_naming_the_value(args, named):
    result = subprocess.run(["bash", str(DEPLOY), *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert named in result.stderr


def test_a_missing_tool_stops_a_deployment_with_what_to_install(sandbox):
    _, bin_dir, log, _ = sandbox
    (bin_dir / "terraform").unlink()
    result = deploy(sandbox, "--engine", "podman")
    assert result.returncode == 1
    assert "missing terraform -- install Terraform >= 1.11" in result.stderr
    assert log.read_text() == ""


def test_unusable_credentials_stop_a_deployment(sandbox):
    result = deploy(sandbox, "--engine", "podman", FAKE_AWS_DENY="1")
    assert result.returncode == 1
    assert "AWS credentials are not usable: Unable to locate credentials" in result.stderr
    assert "aws configure" in result.stderr


def test_uncommitted_changes_are_refused(sandbox):
    checkout, _, log, _ = sandbox
    (checkout / "new-file.txt").write_text("not committed\n")
    result = deploy(sandbox, "--engine", "podman", "--yes")
    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr
    calls = log.read_text()
    assert "terraform" not in calls and "podman" not in calls


def test_plan_runs_only_read_only_commands_and_tags_with_the_commit(sandbox):
    checkout, _, log, _ = sandbox
    commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    result = deploy(sandbox, "--plan", "--engine", "podman")
    assert result.returncode == 0, result.stderr
    assert f"image tag: {commit}" in result.stdout
    calls = log.read_text().splitlines()
    # Only the identity check, terraform output look-ups and the deployer's dry runs ran.
    assert "aws --region eu-west-1 sts get-caller-identity --output text --query Arn" in calls
    mutating = [c for c in calls if c.startswith(("podman", "terraform -chdir")) and " output " not in c]
    assert mutating == []
    releases = [c for c in calls if c.startswith("cargo run") and " release " in c]
    assert len(releases) == 2 and all("--dry-run" in c for c in releases)
    assert all(f"--image <account>.dkr.ecr.eu-west-1.amazonaws.com/<name>/" in c and f":{commit} " in c
               for c in releases)
    assert "would run: cargo run --release --quiet --locked -p deployer -- wait" in result.stdout
    assert "would run: terraform -chdir=" in result.stdout
    assert "nothing was changed" in result.stdout


def test_a_deployment_pushes_applies_and_releases_in_order(sandbox):
    checkout, _, log, _ = sandbox
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hwdash"
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image", FAKE_REGISTRY=registry)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()

    def index(prefix):
        return next(i for i, c in enumerate(calls) if c.startswith(prefix))

    ecr_apply = index("terraform -chdir=%s apply -input=false -auto-approve -target=module.ecr" % (checkout / "infra/terraform"))
    build = index("podman build")
    full_apply = max(i for i, c in enumerate(calls) if " apply " in c and "-target" not in c)
    release_hw = index("cargo run --release --quiet --locked -p deployer -- release --terraform-dir")
    assert ecr_apply < build < full_apply < release_hw
    commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert f"-t {registry}/portal:{commit}" in calls[build]
    assert f"--service hardware --image {registry}/hardware:{commit}" in calls[release_hw]
    assert not any(":latest" in c for c in calls)


def test_metrics_is_built_pushed_and_rolled_out_by_the_apply_not_by_the_deployer(sandbox):
    checkout, _, log, _ = sandbox
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hwdash"
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image", FAKE_REGISTRY=registry)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    commit = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert any(c.startswith("podman build") and f"--target metrics -t {registry}/metrics:{commit}" in c for c in calls)
    assert f"podman push {registry}/metrics:{commit}" in calls
    applies = [c for c in calls if c.startswith("terraform -chdir") and " apply " in c]
    assert len(applies) == 2 and all(f"-var metrics_image_tag={commit}" in c for c in applies)
    # infra/deployer releases portal and hardware only; Terraform rolls metrics out itself.
    assert not any(c.startswith("cargo run") and "--service metrics" in c for c in calls)


def _calls(log):
    return log.read_text().splitlines()


def _commit(checkout):
    return subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()


REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/hwdash"


def test_success_is_reported_only_after_the_services_are_healthy_and_serve_data(sandbox):
    _, _, log, _ = sandbox
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image", FAKE_REGISTRY=REGISTRY)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    releases = [i for i, c in enumerate(calls) if c.startswith("cargo run") and " release " in c]
    waits = [i for i, c in enumerate(calls) if c.startswith("cargo run") and " wait " in c]
    assert len(waits) == 1 and waits[0] > max(releases)
    assert calls[waits[0]].endswith("wait --terraform-dir %s --timeout 15m hardware portal" % (sandbox[0] / "infra/terraform"))
    assert any(c.startswith("curl ") for c in calls[waits[0]:])
    assert "every service runs its desired count of healthy tasks" in result.stdout


def test_a_failed_wait_fails_the_deployment_without_claiming_success(sandbox):
    checkout, bin_dir, log, _ = sandbox
    # cargo (the deployer) fails its `wait`, as it does when a service has no running task.
    (bin_dir / "cargo").write_text(FAKE.replace("exit 0\n", 'case "$*" in *" wait "*) echo "portal: 0 of 2 tasks running" >&2; exit 4;; esac\nexit 0\n'))
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image", FAKE_REGISTRY=REGISTRY)
    assert result.returncode != 0
    assert "portal: 0 of 2 tasks running" in result.stderr
    assert "healthy tasks" not in result.stdout and "dashboard:" not in result.stdout


def test_an_ecr_error_other_than_not_found_stops_before_any_push(sandbox):
    _, _, log, _ = sandbox
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image",
                    FAKE_REGISTRY=REGISTRY, FAKE_ECR_DENY="1")
    assert result.returncode == 1
    assert "cannot look up hwdash/portal:content-" in result.stderr
    assert "AccessDeniedException" in result.stderr
    assert not any(c.startswith("podman push") for c in _calls(log))


def test_a_new_image_is_pushed_and_tagged_for_rollback(sandbox):
    checkout, _, log, _ = sandbox
    commit = _commit(checkout)
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image", FAKE_REGISTRY=REGISTRY)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    assert f"podman push {REGISTRY}/portal:{commit}" in calls
    put = [c for c in calls if " ecr put-image " in c and "--repository-name hwdash/portal" in c]
    assert any(f"--image-tag release-{commit}" in c for c in put)
    assert any("--image-tag content-" in c for c in put)
    # Every AWS call names the region (the fake fails one that does not).
    assert all(c.startswith("aws --region eu-west-1 ") for c in calls if c.startswith("aws "))


def test_an_image_whose_content_is_in_ecr_is_neither_pushed_nor_released_again(sandbox):
    checkout, _, log, _ = sandbox
    commit = _commit(checkout)
    result = deploy(sandbox, "--engine", "podman", "--yes", "--builder", "image", FAKE_REGISTRY=REGISTRY,
                    FAKE_ECR_CONTENT="hwdash/hardware=0123456789ab")
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    assert not any(c.startswith(f"podman push {REGISTRY}/hardware") for c in calls)
    assert f"podman push {REGISTRY}/portal:{commit}" in calls
    apply = [c for c in calls if " apply " in c and "-target" not in c][-1]
    assert "-var hardware_image_tag=0123456789ab" in apply and f"-var portal_image_tag={commit}" in apply
    release_hw = next(c for c in calls if " release " in c and "--service hardware" in c)
    assert f"--image {REGISTRY}/hardware:0123456789ab" in release_hw
    assert "hardware: content unchanged since 0123456789ab" in result.stdout


def test_an_environment_selects_its_variables_state_and_working_directory(sandbox):
    checkout, _, log, _ = sandbox
    environments = checkout / "infra" / "terraform" / "environments"
    environments.mkdir()
    (environments / "staging.tfvars").write_text('name = "hwdash-staging"\n')
    subprocess.run(["git", "-C", str(checkout), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "commit", "-qm", "staging"], check=True)
    result = deploy(sandbox, "--env", "staging", "--engine", "podman", "--yes", "--builder", "image",
                    FAKE_REGISTRY=REGISTRY)
    assert result.returncode == 0, result.stderr
    calls = _calls(log)
    init = next(c for c in calls if " init " in c)
    assert "-backend-config=key=hwdash/staging.tfstate" in init
    applies = [c for c in calls if " apply " in c]
    assert applies and all(f"-var-file {environments / 'staging.tfvars'}" in c for c in applies)
    assert f"TF_DATA_DIR={checkout / 'infra/terraform/.terraform-staging'}" in calls
