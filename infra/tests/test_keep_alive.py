"""Connection hygiene in the task definitions (issue 16): whatever is in front of a service (the
ALB before portal, the Service Connect proxies before hardware and metrics) closes an idle
keep-alive connection before the service does, and every container may hold tens of thousands
of connections (descriptors)."""

from __future__ import annotations

import copy

from invariants import descriptor_limit_violations, keep_alive_violations


def test_every_service_keeps_idle_connections_open_longer_than_its_front(modules):
    assert keep_alive_violations(modules) == []


def test_the_front_idle_timeouts_are_set_explicitly_at_their_documented_defaults(modules):
    locals_ = modules["root"].locals
    # The ALB's own default is 60 s; set anyway so the relation does not rest on a default.
    assert locals_["alb_idle_timeout_seconds"] == 60
    assert modules["alb"].variables["idle_timeout_seconds"]["default"] == 60
    assert locals_["http_idle_timeout_seconds"] > locals_["alb_idle_timeout_seconds"]
    # service-kit's own default (HTTP_IDLE_TIMEOUT 75 s) is what the locals set.
    assert locals_["http_idle_timeout_seconds"] == 75


def test_a_service_that_closes_before_the_alb_is_caught(modules):
    broken = dict(modules)
    broken["root"] = copy.deepcopy(modules["root"])
    broken["root"].locals["alb_idle_timeout_seconds"] = 120
    assert keep_alive_violations(broken) == [
        "portal_task: HTTP_IDLE_TIMEOUT 75 s is not longer than local.alb_idle_timeout_seconds (120 s)",
    ]


def test_a_proxy_timeout_at_the_service_timeout_is_caught(modules):
    broken = dict(modules)
    broken["root"] = copy.deepcopy(modules["root"])
    broken["root"].locals["proxy_idle_timeout_seconds"] = 75
    assert keep_alive_violations(broken) == [
        "hardware_task: HTTP_IDLE_TIMEOUT 75 s is not longer than local.proxy_idle_timeout_seconds (75 s)",
        "metrics_task: HTTP_IDLE_TIMEOUT 75 s is not longer than local.proxy_idle_timeout_seconds (75 s)",
    ]


def test_an_extra_environment_that_could_override_the_timeout_is_caught(modules):
    broken = dict(modules)
    broken["root"] = copy.deepcopy(modules["root"])
    task = broken["root"].modules["portal_task"]
    task["environment"] = task["environment"].replace(
        "var.portal_environment, local.listener_environment)", "local.listener_environment, var.portal_environment)"
    )
    assert keep_alive_violations(broken) == [
        "module.portal_task does not end its environment with local.listener_environment",
    ]


def test_an_alb_left_at_an_implicit_timeout_is_caught(modules):
    broken = dict(modules)
    broken["alb"] = copy.deepcopy(modules["alb"])
    del broken["alb"].resources[("aws_lb", "this")]["idle_timeout"]
    assert keep_alive_violations(broken) == [
        "the ALB's idle_timeout is not set from its idle_timeout_seconds variable",
    ]


def test_every_container_gets_a_raised_descriptor_limit(modules):
    assert descriptor_limit_violations(modules) == []
    root = modules["root"]
    tasks = [call for call, args in root.modules.items() if str(args["source"]).endswith("/ecs-task")]
    assert sorted(tasks) == ["hardware_task", "metrics_task", "portal_task"]


def test_a_task_definition_without_the_limit_is_caught(modules):
    broken = dict(modules)
    broken["ecs-task"] = copy.deepcopy(modules["ecs-task"])
    definition = broken["ecs-task"].resources[("aws_ecs_task_definition", "this")]
    definition["container_definitions"] = definition["container_definitions"].replace(
        'ulimits = [{name = "nofile", softLimit = var.nofile_limit, hardLimit = var.nofile_limit}], ', ""
    )
    broken["root"] = copy.deepcopy(modules["root"])
    broken["root"].modules["metrics_task"]["nofile_limit"] = 1024
    assert descriptor_limit_violations(broken) == [
        "ecs-task's container definition does not set ulimits nofile from var.nofile_limit",
        "module.metrics_task sets nofile_limit to 1024, below 65536",
    ]
