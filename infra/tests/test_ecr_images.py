"""deploy.sh's ECR and ECS bookkeeping (scripts/lib/ecr-images.sh) against moto, through the
real AWS CLI: the retagging that keeps rollback images, the error that is not "not found",
and the pruning of revisions together with their release- tags.

moto implements ECR's PutImage / BatchGetImage / BatchDeleteImage / DescribeImages and ECS's
task definition and service calls; it does not run lifecycle policies (the policy's rule order
is checked in test_first_deploy.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIB = REPO / "scripts" / "lib" / "ecr-images.sh"
REGION = "us-east-1"


def _aws_cli() -> str:
    directory = os.environ.get("DEPLOYER_AWS_CLI_DIR", str(Path.home() / ".cache/hwdash-awscli/only-aws"))
    cli = Path(directory) / "aws"
    if not cli.exists():
        pytest.fail(f"no AWS CLI at {cli}: source scripts/ci/setup-deployer.sh (scripts/ci/check-infra.sh does)")
    return str(cli)


@pytest.fixture(scope="module")
def moto():
    server = os.environ.get("MOTO_SERVER") or shutil.which("moto_server")
    if not server:
        pytest.fail("moto_server is not installed: source scripts/ci/setup-deployer.sh (scripts/ci/check-infra.sh does)")
    # Port 0: moto binds a free port itself and prints it, so parallel runs never share one.
    process = subprocess.Popen([server, "-H", "127.0.0.1", "-p", "0"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    endpoint = None
    while time.monotonic() < deadline and endpoint is None:
        line = process.stderr.readline()
        found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            endpoint = found[1]
        elif not line and process.poll() is not None:
            break
    if endpoint is None:
        process.kill()
        pytest.fail("moto_server did not start within 30 s")
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def aws(moto, tmp_path):
    env = {
        "PATH": f"{Path(_aws_cli()).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": "AKIDMOTO",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_REGION": REGION,
    }
    # Each test gets its own repository and family, so tests share one moto safely.
    suffix = tmp_path.name.replace("_", "-").lower()[-30:]

    def call(*args: str) -> dict:
        out = subprocess.run([_aws_cli(), "--region", REGION, *args, "--output", "json"], env=env,
                             capture_output=True, text=True, timeout=60, check=True).stdout
        return json.loads(out) if out.strip() else {}

    def lib(script: str) -> subprocess.CompletedProcess:
        prelude = f"""
set -euo pipefail
AWS_REGION={REGION}
awscli() {{ aws --region "$AWS_REGION" "$@"; }}
run() {{ echo "+ $*"; "$@"; }}
die() {{ echo "error: $*" >&2; exit 1; }}
info() {{ echo "    $*"; }}
source {LIB}
"""
        return subprocess.run(["bash", "-c", prelude + script], env=env, capture_output=True, text=True, timeout=120)

    return call, lib, suffix


def _push(call, repository: str, tag: str, layer: str) -> None:
    # A distinct layer per image: moto derives the image digest from the layers.
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                      "size": 7, "digest": "sha256:" + layer * 64},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                       "size": 1, "digest": "sha256:" + layer * 64}]})
    call("ecr", "put-image", "--repository-name", repository, "--image-tag", tag, "--image-manifest", manifest)


def _tags(call, repository: str) -> dict[str, set[str]]:
    """Image digest -> its tags."""
    images = call("ecr", "describe-images", "--repository-name", repository)["imageDetails"]
    return {image["imageDigest"]: set(image.get("imageTags", [])) for image in images}


def test_ecr_tag_adds_a_tag_to_that_very_image(aws):
    call, lib, suffix = aws
    repository = f"stack-{suffix}/portal"
    call("ecr", "create-repository", "--repository-name", repository, "--image-tag-mutability", "IMMUTABLE")
    _push(call, repository, "aaaa", "a")
    _push(call, repository, "bbbb", "b")
    result = lib(f'ecr_tag {repository} aaaa release-aaaa && ecr_tag {repository} aaaa release-aaaa')
    assert result.returncode == 0, result.stderr
    tags = sorted(sorted(t) for t in _tags(call, repository).values())
    assert tags == [["aaaa", "release-aaaa"], ["bbbb"]]
    # Run twice on an immutable repository: the second call finds the tag and succeeds.


def test_find_image_tells_not_found_from_every_other_error(aws):
    call, lib, suffix = aws
    repository = f"stack-{suffix}/hardware"
    call("ecr", "create-repository", "--repository-name", repository)
    _push(call, repository, "cccc", "c")
    found = lib(f"find_image {repository} cccc")
    assert found.returncode == 0 and "cccc" in found.stdout
    missing = lib(f"find_image {repository} dddd || echo status=$?")
    assert "status=3" in missing.stdout
    # A repository that does not exist (as with a wrong region) is not "the image is missing".
    broken = lib(f"find_image stack-{suffix}/nowhere cccc")
    assert broken.returncode == 1
    assert "cannot look up" in broken.stderr and "RepositoryNotFoundException" in broken.stderr


def test_keep_revisions_deregisters_old_revisions_and_frees_only_their_images(aws):
    call, lib, suffix = aws
    repository = f"stack-{suffix}/portal"
    family = f"stack-{suffix}-portal"
    cluster = f"stack-{suffix}"
    call("ecr", "create-repository", "--repository-name", repository)
    call("ecs", "create-cluster", "--cluster-name", cluster)
    arns = []
    for index, tag in enumerate(["t1", "t2", "t3", "t4"]):
        _push(call, repository, tag, str(index + 1))
        call("ecr", "put-image", "--repository-name", repository, "--image-tag", f"release-{tag}",
             "--image-manifest", call("ecr", "batch-get-image", "--repository-name", repository,
                                      "--image-ids", f"imageTag={tag}")["images"][0]["imageManifest"])
        definition = [{"name": "portal", "image": f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{repository}:{tag}",
                       "memory": 512, "essential": True}]
        arns.append(call("ecs", "register-task-definition", "--family", family,
                         "--container-definitions", json.dumps(definition))["taskDefinition"]["taskDefinitionArn"])
    # The service runs the oldest revision (as after a rollback): it must survive the pruning.
    call("ecs", "create-service", "--cluster", cluster, "--service-name", "portal",
         "--task-definition", arns[0], "--desired-count", "0")

    result = lib(f"keep_revisions {cluster} portal {repository} 2")
    assert result.returncode == 0, result.stderr

    active = call("ecs", "list-task-definitions", "--family-prefix", family, "--status", "ACTIVE")["taskDefinitionArns"]
    assert sorted(active) == sorted([arns[0], arns[2], arns[3]])
    tags = {frozenset(t) for t in _tags(call, repository).values()}
    assert tags == {
        frozenset({"t1", "release-t1"}),  # running
        frozenset({"t2"}),                # deregistered: free to expire, still pullable
        frozenset({"t3", "release-t3"}),
        frozenset({"t4", "release-t4"}),
    }
