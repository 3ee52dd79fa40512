"""The public ALB forwards only to portal; hardware has a stable private name; portal scales on
RequestCountPerTarget over its blue and green target groups (one policy); blue/green settings
and the rollback alarms are present."""

import copy

from hcl import parse_text, single
from invariants import (
    alb_violations,
    blue_green_violations,
    five_xx_alarm_violations,
    request_count_policy_violations,
    scaling_violations,
)


def test_public_alb_forwards_only_to_portal(modules):
    assert alb_violations(modules) == []


def test_alb_is_internet_facing_in_public_subnets(modules):
    balancer = modules["alb"].resources_of("aws_lb")["this"]
    assert balancer["internal"] is False
    assert modules["root"].modules["alb"]["public_subnet_ids"] == "${module.network.public_subnet_ids}"


def test_a_rule_forwarding_to_hardware_is_caught(modules):
    broken = dict(modules)
    broken["alb"] = parse_text("""
resource "aws_lb" "this" {}
resource "aws_lb_target_group" "hardware" {}
resource "aws_lb_listener" "l" {
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.hardware.arn
  }
}
resource "aws_lb_listener_rule" "r" {
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.hardware.arn
  }
}
""")
    assert alb_violations(broken) == [
        "listener l default action 'forward': only rules may forward",
        "listener rule r forwards to ${aws_lb_target_group.hardware.arn}, not to portal",
        "modules/alb has target group hardware; only portal's belong on the public ALB",
    ]


def test_hardware_given_a_target_group_is_caught(modules):
    broken = dict(modules)
    broken["root"] = copy.deepcopy(modules["root"])
    broken["root"].modules["hardware_service"]["target_group_arn"] = "${module.alb.green_target_group_arn}"
    assert alb_violations(broken) == ["module.hardware_service receives a load balancer target group"]


def test_hardware_is_published_under_a_stable_private_name(modules):
    service = modules["hardware-service"].resources_of("aws_ecs_service")["this"]
    assert "load_balancer" not in service
    connect = single(service["service_connect_configuration"])
    assert connect["enabled"] is True
    published = single(connect["service"])
    assert published["port_name"] == "http"
    alias = single(published["client_alias"])
    assert alias["dns_name"] == "${var.dns_name}"
    assert modules["root"].modules["hardware_service"]["dns_name"] == "hardware.${module.cluster.service_connect_namespace}"
    # <name>.internal: one namespace per stack (test_first_deploy checks the derivation).
    assert modules["ecs-cluster"].variables["service_connect_namespace"]["default"] is None
    # portal is told that name, not an address.
    portal_env = modules["root"].modules["portal_task"]["environment"]
    assert "HARDWARE_URL = module.hardware_service.url" in portal_env


def test_portal_scales_on_request_count_per_target(modules):
    assert scaling_violations(modules) == []


def test_scaling_on_cpu_or_on_one_target_group_is_caught(modules):
    broken = dict(modules)
    broken["root"] = copy.deepcopy(modules["root"])
    portal = broken["root"].modules["portal_autoscaling"]
    portal["metric"] = "ECSServiceAverageCPUUtilization"
    portal["target_group_arn_suffixes"] = {"blue": "${module.alb.arn_suffix}"}
    assert scaling_violations(broken) == [
        "portal scales on 'ECSServiceAverageCPUUtilization'",
        "portal scaling target groups ['blue'], expected blue and green",
        "portal scaling target group blue is '${module.alb.arn_suffix}', not the blue target group",
    ]


def test_one_predefined_policy_per_target_group_is_caught(modules):
    # The module as it was: the idle group's policy (no targets, INSUFFICIENT_DATA) vetoes
    # every scale-in.
    old = parse_text("""
resource "aws_appautoscaling_policy" "request_count" {
  for_each = var.metric == "ALBRequestCountPerTarget" ? var.resource_labels : {}
  target_tracking_scaling_policy_configuration {
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = each.value
    }
  }
}
""")
    assert request_count_policy_violations(old, ["blue", "green"]) == [
        "request_count policy is repeated per target group (the idle group would block scale-in)",
        "request_count policy uses a predefined metric, which names a single target group",
        "request_count policy has no customized_metric_specification",
    ]


def _with_expression(modules, expression):
    scaling = copy.deepcopy(modules["autoscaling"])
    policy = scaling.resources_of("aws_appautoscaling_policy")["request_count"]
    spec = single(single(policy["target_tracking_scaling_policy_configuration"])["customized_metric_specification"])
    single([m for m in spec["metrics"] if m.get("return_data")])["expression"] = expression
    return scaling


def test_a_sum_without_fill_is_caught(modules):
    # Without FILL the sum is missing whenever one group has no targets: always, outside a
    # deployment.
    scaling = _with_expression(modules, '${join(" + ", [for id in keys(var.target_group_arn_suffixes) : "${id}"])}')
    assert request_count_policy_violations(scaling, ["blue", "green"]) == [
        "request_count expression 'blue + green' gives None for {'blue': 600.0, 'green': None}, expected 600.0",
        "request_count expression 'blue + green' gives None for {'blue': None, 'green': 600.0}, expected 600.0",
        "request_count expression 'blue + green' gives None for {'blue': None, 'green': None}, expected 0.0",
    ]


def test_tracking_only_the_blue_group_is_caught(modules):
    scaling = _with_expression(modules, "FILL(blue, 0)")
    assert request_count_policy_violations(scaling, ["blue", "green"]) == [
        "request_count expression 'FILL(blue, 0)' is not a sum over the target groups",
    ]


def test_tracking_another_metric_is_caught(modules):
    scaling = copy.deepcopy(modules["autoscaling"])
    policy = scaling.resources_of("aws_appautoscaling_policy")["request_count"]
    spec = single(single(policy["target_tracking_scaling_policy_configuration"])["customized_metric_specification"])
    content = single(spec["dynamic"][0]["metrics"]["content"])
    single(single(content["metric_stat"])["metric"])["metric_name"] = "RequestCount"
    assert request_count_policy_violations(scaling, ["blue", "green"]) == [
        "request_count policy tracks AWS/ApplicationELB/RequestCount (Sum), "
        "not AWS/ApplicationELB RequestCountPerTarget (Sum)",
    ]


def test_portal_uses_blue_green_with_rollback(modules):
    assert blue_green_violations(modules["portal-service"], modules["root"]) == []


def test_rolling_portal_without_rollback_is_caught(modules):
    broken = parse_text("""
resource "aws_ecs_service" "this" {
  deployment_configuration {
    strategy = "ROLLING"
  }
  load_balancer {
    container_name = "portal"
    advanced_configuration {
      alternate_target_group_arn = "arn:green"
    }
  }
  deployment_circuit_breaker {
    enable   = true
    rollback = false
  }
}
""")
    assert blue_green_violations(broken, modules["root"]) == [
        "portal deployment strategy 'ROLLING'",
        "portal has no bake time",
        "portal advanced_configuration lacks production_listener_rule",
        "portal advanced_configuration lacks test_listener_rule",
        "portal advanced_configuration lacks role_arn",
        "portal's circuit breaker is not enabled with rollback",
    ]


def test_rollback_alarms_cover_5xx_rate_and_p99_latency(modules):
    alarms = modules["alarms"].resources_of("aws_cloudwatch_metric_alarm")
    rate = alarms["portal_5xx_rate"]
    metrics = {q["metric"][0]["metric_name"] for q in rate["metric_query"] if q.get("metric")}
    assert metrics == {"HTTPCode_Target_5XX_Count", "RequestCount"}
    balancer = alarms["load_balancer_5xx_rate"]
    metrics = {q["metric"][0]["metric_name"] for q in balancer["metric_query"] if q.get("metric")}
    assert metrics == {"HTTPCode_ELB_5XX_Count", "RequestCount"}
    latency = alarms["portal_p99_latency"]
    assert latency["metric_name"] == "TargetResponseTime"
    assert latency["extended_statistic"] == "p99"


def test_ecs_does_not_roll_back_on_alarms_a_second_time(modules):
    service = modules["portal-service"].resources_of("aws_ecs_service")["this"]
    assert "alarms" not in service
    broken = copy.deepcopy(modules["portal-service"])
    broken.resources[("aws_ecs_service", "this")]["alarms"] = [
        {"enable": True, "rollback": True, "alarm_names": "${var.rollback_alarm_names}"}
    ]
    assert blue_green_violations(broken, modules["root"]) == [
        "portal's ECS deployment alarms roll back on their own (the deployer's alarm gate does)"
    ]


def test_listener_rules_let_ecs_shift_weights(modules):
    rules = modules["alb"].instances_of("aws_lb_listener_rule")
    for name in ("portal[production]", "portal[test]"):
        forward = single(single(rules[name]["action"])["forward"])
        arns = sorted(tg["arn"] for tg in forward["target_group"])
        assert arns == ['${aws_lb_target_group.portal["blue"].arn}', '${aws_lb_target_group.portal["green"].arn}']
        assert rules[name]["lifecycle"][0]["ignore_changes"] == ["${action}"] or \
            rules[name]["lifecycle"][0]["ignore_changes"] == ["action"]


def test_5xx_alarm_counts_portal_and_load_balancer_errors(modules):
    assert five_xx_alarm_violations(modules["alarms"]) == []


def test_a_5xx_alarm_over_the_whole_load_balancer_is_caught(modules):
    # The alarm as it was: one rate over the whole load balancer, so the test listener's failed
    # smoke checks counted as production errors.
    broken = copy.deepcopy(modules["alarms"])
    alarm = broken.resources[("aws_cloudwatch_metric_alarm", "portal_5xx_rate")]
    del alarm["for_each"]
    for query in alarm["metric_query"]:
        if query.get("metric"):
            query["metric"][0]["dimensions"] = {"LoadBalancer": "${var.alb_arn_suffix}"}
    found = five_xx_alarm_violations(broken)
    assert found[0] == "portal_5xx_rate is not one alarm per target group"
    assert len(found) == 3, found


def test_5xx_rate_without_fill_is_caught(modules):
    # Without FILL a minute of nothing but load balancer 5xx has no denominator and no value.
    broken = copy.deepcopy(modules["alarms"])
    alarm = broken.resources[("aws_cloudwatch_metric_alarm", "load_balancer_5xx_rate")]
    for query in alarm["metric_query"]:
        if query["id"] == "total":
            query["expression"] = "requests"
    assert five_xx_alarm_violations(broken) == [
        "load_balancer_5xx_rate: 5xx rate for {'HTTPCode_ELB_5XX_Count': 30} is None, expected 100.0",
    ]
