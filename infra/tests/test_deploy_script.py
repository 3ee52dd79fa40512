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
if [ "$(basename "$0")" = terraform ] && [ "$2" = output ] && [ -n "$FAKE_REGISTRY" ]; then
  echo "$FAKE_REGISTRY/$(echo "$4" | sed 's/_ecr_repository_url//')"
fi
# deploy.sh passes --region first (AWS CLI v1 ignores AWS_REGION).
if [ "$(basename "$0")" = aws ] && [ "$1" = --region ]; then shift 2; fi
if [ "$(basename "$0")" = aws ] && [ "$1 $2" = "sts get-caller-identity" ]; then
  [ -n "$FAKE_AWS_DENY" ] && { echo "Unable to locate credentials" >&2; exit 255; }
  echo arn:aws:iam::123456789012:user/ci
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
    (checkout / "infra" / "terraform" / "backend.hcl").write_text('bucket = "b"\n')
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("aws", "terraform", "cargo", "podman"):
        path = bin_dir / tool
        path.write_text(FAKE)
        path.chmod(0o755)
    for tool in ("git", "bash", "env", "uname", "date", "mktemp", "rm", "mkdir", "cp", "basename", "cat", "dirname", "sed"):
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
                   "--engine", "--builder", "AWS_ENDPOINT_URL"):
        assert option in result.stdout


@pytest.mark.parametrize("args, named", [
    (["--region", "mars-1"], "'mars-1' is not an AWS region"),
    (["--engine", "lxc"], "--engine must be docker or podman, not 'lxc'"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--region"], "--region needs a value"),
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
    assert all(f"--image <account>.dkr.ecr.eu-west-1.amazonaws.com/hwdash/" in c and f":{commit} " in c
               for c in releases)
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
    # With the fake aws, describe-images "finds" every tag, so nothing is pushed twice.
    assert not any(c.startswith("podman push") for c in calls)
