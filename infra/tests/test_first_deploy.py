"""What a first `scripts/deploy.sh` on an empty account needs from the configuration:
creation order by construction, names that let a second stack exist, a scaling signal that
sees the refresher's work, and images a rollback can always use."""

from __future__ import annotations

import copy
import json
import re

from depgraph import build, order_violations, unresolved
from hcl import single


def test_every_reference_resolves(modules):
    # A parser that misread references would make the ordering checks below vacuous.
    assert unresolved(build(modules)) == []


def test_first_deployment_creates_things_in_the_order_they_are_needed(modules):
    assert order_violations(build(modules)) == []


def test_hardware_taking_the_secret_instead_of_its_value_is_caught(modules):
    # The configuration as it was: the ARN of the secret, which exists minutes before the
    # database and before the secret has a value.
    broken = dict(modules)
    broken["database"] = copy.deepcopy(modules["database"])
    broken["database"].outputs["secret_arn"] = {"value": "${aws_secretsmanager_secret.database_url.arn}"}
    # Both databases are instances of modules/database, so metrics' service breaks the same way.
    assert order_violations(build(broken)) == [
        "hardware's service is created after its DATABASE_URL secret has a value",
        "hardware's service is created after its database",
        "metrics' service is created after its METRICS_DATABASE secret has a value",
        "metrics' service is created after its database",
    ]


def test_metrics_created_before_its_listener_is_caught(modules):
    broken = dict(modules)
    broken["metrics-service"] = copy.deepcopy(modules["metrics-service"])
    del broken["metrics-service"].resources[("aws_ecs_service", "this")]["depends_on"]
    assert order_violations(build(broken)) == [
        "metrics' service is created after a listener uses its target group (ECS refuses it before)",
    ]


def test_a_hardware_url_built_from_variables_is_caught(modules):
    broken = dict(modules)
    broken["hardware-service"] = copy.deepcopy(modules["hardware-service"])
    broken["hardware-service"].outputs["url"] = {"value": "http://${var.dns_name}:${var.container_port}"}
    assert order_violations(build(broken)) == [
        "portal's service is created after hardware's Service Connect endpoint is published",
    ]


def test_depends_on_the_policy_attachment_alone_is_caught(modules):
    broken = dict(modules)
    broken["portal-service"] = copy.deepcopy(modules["portal-service"])
    service = broken["portal-service"].resources[("aws_ecs_service", "this")]
    service["depends_on"] = ["${aws_iam_role_policy_attachment.blue_green}"]
    assert order_violations(build(broken)) == [
        "portal's service is created after the blue/green role had time to propagate",
    ]


# --- a second stack in the same account and region -------------------------------------------

# Resource types whose names are scoped by a parent that already carries the stack name
# (an ECS service inside its cluster, an inline policy inside its role, a scaling policy on
# its scalable target), so a fixed name cannot collide across stacks.
_SCOPED = {"aws_ecs_service", "aws_iam_role_policy", "aws_appautoscaling_policy"}
_NAME_ARGUMENTS = ("name", "name_prefix", "identifier", "identifier_prefix", "family")
_STACK_NAME = re.compile(r"var\.name(_prefix)?\b|local\.(identifier|namespace)\b|var\.service_name\b")


def test_every_account_wide_name_derives_from_the_stack_name(modules):
    fixed = []
    for module_name, module in modules.items():
        for (kind, name), body in module.resources.items():
            if kind in _SCOPED:
                continue
            for argument in _NAME_ARGUMENTS:
                if (kind, argument) == ("aws_db_parameter_group", "family"):
                    continue  # the engine family (postgres17), not a name
                value = body.get(argument)
                if isinstance(value, str) and not _STACK_NAME.search(value):
                    fixed.append(f"{module_name}: {kind}.{name}.{argument} = {value!r}")
    assert fixed == []


def test_the_service_connect_namespace_derives_from_the_stack_name(modules):
    cluster = modules["ecs-cluster"]
    assert cluster.variables["service_connect_namespace"]["default"] is None
    assert "var.name" in cluster.locals["namespace"]
    namespace = cluster.resources[("aws_service_discovery_http_namespace", "this")]
    assert namespace["name"] == "${local.namespace}"


def test_the_stack_name_fits_every_length_limit(modules):
    # The longest derived names: target groups "<name>-portal-green" (32 characters at most).
    condition = modules["root"].variables["name"]["validation"][0]["condition"]
    longest = int(re.search(r"\{1,(\d+)\}", condition)[1]) + 1
    assert len(f"{'x' * longest}-portal-green") <= 32


# --- scaling on the refresher's backlog ---------------------------------------------------------


def test_hardware_scales_on_its_backlog_per_task(modules):
    root = modules["root"]
    scaling = root.modules["hardware_autoscaling"]
    assert scaling["metric"] == "DueProfilesPerTask"
    assert scaling["target_value"] == "${local.hardware_due_profiles_per_task}"
    # W = ceil(5 N / T): the target is what one task's workers clear in one interval.
    assert root.locals["hardware_due_profiles_per_task"] == (
        "${var.hardware_compute_workers * var.hardware_refresh_interval_seconds / 5}"
    )
    # The namespace hardware writes its EMF lines to is the one the policy reads.
    env = root.modules["hardware_task"]["environment"]
    assert "BACKLOG_METRIC_NAMESPACE = local.backlog_metric_namespace" in env
    assert "COMPUTE_WORKERS = tostring(var.hardware_compute_workers)" in env
    assert "REFRESH_INTERVAL = tostring(var.hardware_refresh_interval_seconds)" in env
    assert scaling["backlog_metric_namespace"] == "${local.backlog_metric_namespace}"


def test_the_backlog_policy_divides_due_profiles_by_running_tasks(modules):
    policy = modules["autoscaling"].resources[("aws_appautoscaling_policy", "backlog")]
    spec = single(single(policy["target_tracking_scaling_policy_configuration"])["customized_metric_specification"])
    metrics = {m["id"]: m for m in spec["metrics"]}
    assert metrics["due_per_task"]["expression"] == "FILL(due, 0) / FILL(tasks, 1)"
    assert metrics["due_per_task"]["return_data"] is True
    due = single(single(metrics["due"]["metric_stat"])["metric"])
    assert (due["namespace"], due["metric_name"]) == ("${var.backlog_metric_namespace}", "DueProfiles")
    tasks = single(single(metrics["tasks"]["metric_stat"])["metric"])
    assert (tasks["namespace"], tasks["metric_name"]) == ("ECS/ContainerInsights", "RunningTaskCount")


# --- images a rollback can use --------------------------------------------------------------------


def _lifecycle_rules(modules):
    policy = modules["ecr"].resources[("aws_ecr_lifecycle_policy", "this")]["policy"]
    # jsonencode({...}) of HCL objects: turn the HCL object syntax into JSON to read it.
    body = policy[len("${jsonencode("):-len(")}")]
    body = re.sub(r"\$\{var\.(\w+)\}", r"<\1>", body)
    body = re.sub(r"var\.(\w+)", r'"<\1>"', body)
    body = re.sub(r"(\w+)\s*=", r'"\1":', body)
    body = re.sub(r"\}\s*\n\s*\"", '}, "', body)
    body = re.sub(r"(\"|\d|\]|\})\s*\n\s*\"", r'\1, "', body)
    body = re.sub(r",\s*([\]}])", r"\1", body)
    return json.loads(body)["rules"]


def test_images_a_revision_may_use_are_kept_by_the_first_rule(modules):
    rules = sorted(_lifecycle_rules(modules), key=lambda r: r["rulePriority"])
    first, *rest = rules
    assert first["selection"]["tagStatus"] == "tagged"
    assert first["selection"]["tagPrefixList"] == ["release-"]
    assert first["selection"]["countNumber"] == "<release_images_kept>"
    # Only rules after it may expire anything else; a later rule cannot expire what it matched.
    assert all(r["rulePriority"] > first["rulePriority"] for r in rest)
    assert rest[-1]["selection"]["tagStatus"] == "any"
    minimum = int(re.search(r">= (\d+)", modules["ecr"].variables["release_images_kept"]["validation"][0]["condition"])[1])
    assert minimum > 20  # deploy.sh's default --keep-revisions


# --- smaller items --------------------------------------------------------------------------------


def test_rds_log_exports_go_to_log_groups_with_retention_and_kms(modules):
    database = modules["database"]
    groups = database.resources[("aws_cloudwatch_log_group", "exports")]
    assert groups["name"] == "/aws/rds/instance/${local.identifier}/${each.key}"
    assert groups["retention_in_days"] == "${var.log_retention_days}"
    assert groups["kms_key_id"] == "${var.kms_key_arn}"
    instance = database.resources[("aws_db_instance", "this")]
    assert instance["identifier"] == "${local.identifier}"
    assert instance["enabled_cloudwatch_logs_exports"] == "${local.log_types}"


def test_unused_iam_database_authentication_is_off(modules):
    instance = modules["database"].resources[("aws_db_instance", "this")]
    assert instance["iam_database_authentication_enabled"] is False


def test_the_test_listener_speaks_https_whenever_production_does(modules):
    listener = modules["alb"].resources[("aws_lb_listener", "test")]
    assert listener["protocol"] == "${local.production_listens}"
    assert listener["certificate_arn"] == "${var.certificate_arn}"


def test_blue_green_portal_sets_no_rolling_only_arguments(modules):
    portal = modules["portal-service"].resources[("aws_ecs_service", "this")]
    assert "deployment_minimum_healthy_percent" not in portal
    assert "deployment_maximum_percent" not in portal


def test_the_cluster_registers_only_the_capacity_provider_it_uses(modules):
    providers = modules["ecs-cluster"].resources[("aws_ecs_cluster_capacity_providers", "this")]
    assert providers["capacity_providers"] == ["FARGATE"]


def test_portal_releases_pause_for_the_smoke_gate_and_roll_back_on_timeout(modules):
    portal = modules["portal-service"].resources[("aws_ecs_service", "this")]
    hook = single(single(portal["deployment_configuration"])["lifecycle_hook"])
    assert hook["target_type"] == "PAUSE"
    assert hook["lifecycle_stages"] == ["POST_TEST_TRAFFIC_SHIFT"]
    timeout = single(hook["timeout_configuration"])
    assert timeout["action"] == "ROLLBACK"
