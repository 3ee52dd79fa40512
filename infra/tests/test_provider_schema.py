"""The configuration against the AWS provider's real schema, at the constraint's lower bound
(which is also the pinned version, 6.66.0: the first provider whose schema has every argument
used here) and at 6.4.0, which shows what the lower bound protects against. The schemas are
extracted from the provider's generated bindings by infra/schema/extract.py."""

from __future__ import annotations

import re

import pytest

from hcl import parse_text
from provider_schema import load, violations

PINNED = "6.66.0"


def test_every_block_argument_and_reference_exists_at_the_pinned_version(modules):
    assert violations(modules, load(PINNED)) == []


def test_the_lower_bound_is_the_pinned_version(modules):
    versions = [block for block in modules["root"].terraform if "required_providers" in block]
    constraint = versions[0]["required_providers"][0]["aws"]["version"]
    assert constraint == f">= {PINNED.rsplit('.', 1)[0]}, < 7.0"
    lock = (modules["root"].path / ".terraform.lock.hcl").read_text()
    block = re.search(r'provider "registry.terraform.io/hashicorp/aws" \{(.*?)\n\}', lock, re.S)[1]
    assert f'version     = "{PINNED}"' in block
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', block)) >= 10  # one per platform of the release


def test_provider_6_4_lacks_the_pause_hook_so_the_constraint_cannot_start_there(modules):
    # 6.4 brought ECS blue/green; the PAUSE lifecycle hook (target_type, timeout_configuration)
    # came later, and 6.4's lifecycle_hook demands a Lambda (hook_target_arn, role_arn).
    hook = "portal-service: aws_ecs_service.this.deployment_configuration.lifecycle_hook"
    assert violations(modules, load("6.4.0")) == [
        f"{hook}: required argument 'hook_target_arn' missing",
        f"{hook}: required argument 'role_arn' missing",
        f"{hook}: unknown argument 'target_type'",
        f"{hook}: unknown argument 'timeout_configuration'",
    ]


def _snippet(text):
    return {"snippet": parse_text(text)}


@pytest.mark.parametrize("text, expected", [
    ('resource "aws_ecs_cluster" "c" {\n  name = "x"\n  nmae = "y"\n}\n',
     "snippet: aws_ecs_cluster.c: unknown argument 'nmae'"),
    ('resource "aws_ecs_cluster" "c" {\n  name = "x"\n  setings {\n    name = "a"\n  }\n}\n',
     "snippet: aws_ecs_cluster.c: unknown argument 'setings'"),
    ('resource "aws_ecs_service" "s" {\n  name = "x"\n  deployment_configuration {\n    strategy = "ROLLING"\n  }\n'
     '  deployment_configuration {\n    strategy = "BLUE_GREEN"\n  }\n}\n',
     "snippet: aws_ecs_service.s: block 'deployment_configuration' may appear once, appears 2 times"),
    ('resource "aws_ecs_service" "s" {\n  cluster = "x"\n}\n',
     "snippet: aws_ecs_service.s: required argument 'name' missing"),
    ('resource "aws_ecs_cluster" "c" {\n  name = "x"\n}\noutput "o" {\n  value = aws_ecs_cluster.c.nmae\n}\n',
     "snippet: aws_ecs_cluster.c.nmae: aws_ecs_cluster has no attribute 'nmae' at 6.66.0"),
    ('resource "aws_ecs_cluster" "c" {\n  name = "x"\n  dynamic "setting" {\n    for_each = {}\n'
     '    content {\n      name  = "a"\n      valeu = "b"\n    }\n  }\n}\n',
     "snippet: aws_ecs_cluster.c.setting: unknown argument 'valeu'"),
    ('resource "aws_ecs_clustr" "c" {\n  name = "x"\n}\n',
     "snippet: aws_ecs_clustr.c: type unknown to provider 6.66.0"),
])
def test_a_mistake_the_provider_would_reject_is_caught(text, expected):
    assert expected in violations(_snippet(text), load(PINNED))
