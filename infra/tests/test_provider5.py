"""The transform that lets the real 5.100.0 provider check the configuration drops only what
5.x cannot know, and all of it."""

from __future__ import annotations

from hcl import load_all, parse_text
from provider5 import make_copy, remove_block, transform


def test_remove_block_takes_nested_braces_and_nothing_else():
    text = 'resource "x" "y" {\n  a = 1\n  deployment_configuration {\n    b { c = "}" }\n  }\n  d = 2\n}\n'
    assert remove_block(text, "deployment_configuration") == 'resource "x" "y" {\n  a = 1\n  d = 2\n}\n'


def test_the_copy_loses_only_the_6x_arguments(tmp_path, modules):
    make_copy(tmp_path / "tf")
    copy = load_all.__globals__["load_module"]
    portal = copy(tmp_path / "tf" / "modules" / "portal-service").resources[("aws_ecs_service", "this")]
    original = modules["portal-service"].resources[("aws_ecs_service", "this")]
    assert set(original) - set(portal) == {"deployment_configuration"}
    assert "advanced_configuration" not in portal["load_balancer"][0]
    assert portal["load_balancer"][0]["target_group_arn"] == original["load_balancer"][0]["target_group_arn"]
    database = (tmp_path / "tf" / "modules" / "database" / "main.tf").read_text()
    assert "ephemeral." not in database and "var.offline_check_password" in database
    versions = (tmp_path / "tf" / "versions.tf").read_text()
    assert 'version = "5.100.0"' in versions and "hashicorp/random" not in versions
    for module_versions in (tmp_path / "tf" / "modules").glob("*/versions.tf"):
        text = module_versions.read_text()
        assert 'version = "5.100.0"' in text and "hashicorp/random" not in text, module_versions
    assert not (tmp_path / "tf" / ".terraform.lock.hcl").exists()


def test_region_references_use_the_5x_attribute():
    out = transform("main.tf", 'x = "${data.aws_region.current.region}"\n')
    assert parse_text(out) is not None
    assert "data.aws_region.current.name" in out
