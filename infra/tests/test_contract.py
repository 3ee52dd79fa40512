"""What the deployer, the images and operators rely on: output names, container names and
ports, provider pin, and variables that document themselves."""

import re

import pytest

from hcl import parse_text
from invariants import task_definition_violations

DEPLOYER_OUTPUTS = [
    "aws_region", "cluster_name", "portal_service_name", "hardware_service_name",
    "portal_ecr_repository_url", "hardware_ecr_repository_url", "alb_dns_name", "portal_url",
    "prod_listener_arn", "test_listener_arn", "portal_blue_target_group_arn",
    "portal_green_target_group_arn", "portal_log_group_name", "hardware_log_group_name",
    "database_secret_arn", "portal_alarm_names",
]


@pytest.mark.parametrize("name", DEPLOYER_OUTPUTS)
def test_root_exposes_the_deployer_outputs(modules, name):
    assert name in modules["root"].outputs, f"output {name} is part of the deployer contract"


def test_aws_provider_is_pinned_to_6_66_and_below_7(modules):
    versions = [block for block in modules["root"].terraform if "required_providers" in block]
    providers = versions[0]["required_providers"][0]
    assert providers["aws"]["version"] == ">= 6.66, < 7.0"


def test_state_backend_is_s3(modules):
    backends = [block["backend"] for block in modules["root"].terraform if "backend" in block]
    assert backends and "s3" in backends[0][0]


def test_containers_are_named_after_the_services_on_port_8080(modules):
    root = modules["root"]
    assert root.modules["portal_task"]["container_name"] == "portal"
    assert root.modules["hardware_task"]["container_name"] == "hardware"
    assert root.modules["metrics_task"]["container_name"] == "metrics"
    assert re.search(r"^\s*container_port\s*=\s*8080\s*$", (root.path / "main.tf").read_text(), re.M)
    assert root.modules["portal_task"]["environment"].count("0.0.0.0:${local.container_port}") == 1
    assert root.modules["hardware_task"]["environment"].count("0.0.0.0:${local.container_port}") == 1
    assert root.modules["metrics_task"]["environment"].count("0.0.0.0:${local.container_port}") == 1


def test_images_are_tagged_never_latest(modules):
    root = modules["root"]
    for service in ("portal", "hardware", "metrics"):
        image = root.modules[f"{service}_task"]["image"]
        assert image.endswith(f":${{var.{service}_image_tag}}"), image
        assert "latest" in root.variables[f"{service}_image_tag"]["validation"][0]["condition"]
    assert modules["ecr"].resources_of("aws_ecr_repository")["this"]["image_tag_mutability"] == "IMMUTABLE"


def test_every_variable_is_typed_and_described(modules):
    missing = [
        f"{module_name}: variable {name} lacks {key}"
        for module_name, module in modules.items()
        for name, body in module.variables.items()
        for key in ("type", "description")
        if key not in body
    ]
    assert missing == []


def test_every_module_variable_has_a_default_or_is_wired_by_the_root(modules):
    """A required module variable must be passed by every call in the root module."""
    root = modules["root"]
    unset = []
    for call, args in root.modules.items():
        module_name = re.sub(r"^\./modules/", "", args["source"])
        for name, body in modules[module_name].variables.items():
            if "default" not in body and name not in args:
                unset.append(f"module.{call} does not set {name}")
    assert unset == []


def test_every_output_is_described(modules):
    missing = [
        f"{module_name}: output {name}"
        for module_name, module in modules.items()
        for name, body in module.outputs.items()
        if "description" not in body
    ]
    assert missing == []


def test_tasks_have_separate_execution_and_task_roles(modules):
    task = modules["ecs-task"].resources_of("aws_ecs_task_definition")["this"]
    assert task["execution_role_arn"] == "${aws_iam_role.execution.arn}"
    assert task["task_role_arn"] == "${aws_iam_role.task.arn}"
    assert task["network_mode"] == "awsvpc"


def test_replaced_task_definitions_stay_registered(modules):
    assert task_definition_violations(modules) == []


def test_a_task_definition_that_deregisters_its_old_revision_is_caught(modules):
    broken = dict(modules)
    broken["ecs-task"] = parse_text("""
resource "aws_ecs_task_definition" "this" {
  family = "x"
}
resource "aws_ecs_task_definition" "other" {
  family       = "y"
  skip_destroy = false
}
""")
    assert task_definition_violations(broken) == [
        "ecs-task: aws_ecs_task_definition.this does not set skip_destroy = true",
        "ecs-task: aws_ecs_task_definition.other does not set skip_destroy = true",
    ]
    assert task_definition_violations({"root": broken["root"]}) == ["no aws_ecs_task_definition found at all"]
