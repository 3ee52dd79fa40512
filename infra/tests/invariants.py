"""The invariants of issue 4, each a function that returns the violations it finds.

Returning violations (instead of asserting) lets the tests run every check on the real
configuration (expecting none) and on deliberately broken snippets (expecting some), so a
check that can no longer fail is noticed.
"""

from __future__ import annotations

import re

from hcl import Module, single

# Which security group may open which one. `None` stands for an address range (the internet):
# only the load balancer takes traffic from addresses.
ALLOWED_INGRESS_SOURCES: dict[str, set[str | None]] = {
    "alb": {None},
    "portal": {"alb"},
    "hardware": {"portal"},
    "database": {"hardware"},
    # metrics: response times only through its internal ingest load balancer (and that
    # balancer's health checks); queries from portal and hardware; its database from it alone.
    "metrics_ingest": {"portal", "hardware"},
    "metrics": {"metrics_ingest", "portal", "hardware"},
    "metrics_database": {"metrics"},
    "endpoints": {"portal", "hardware", "metrics"},
}

# A group as a resource of its own (`aws_security_group.portal.id`) or as an instance of one
# for_each (`aws_security_group.this["portal"].id`).
_SG_REF = re.compile(r'^\$\{aws_security_group\.(?:\w+\["([a-z_]+)"\]|([a-z_]+))\.id\}$')
_INSTANCE = re.compile(r"^\w+\[(\w+)\]$")
_INGRESS_RULE_KINDS = ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule")


def _sg_name(expression: object) -> str | None:
    match = _SG_REF.match(expression) if isinstance(expression, str) else None
    return (match.group(1) or match.group(2)) if match else None


def _group_name(address: str) -> str:
    """`portal` for the instance `this[portal]` or the resource `portal`."""
    match = _INSTANCE.match(address)
    return match.group(1) if match else address


def ingress_violations(security_groups: Module) -> list[str]:
    """Every ingress rule opens a group only to the sources ALLOWED_INGRESS_SOURCES names."""
    found = []
    for address, group in security_groups.instances_of("aws_security_group").items():
        name = _group_name(address)
        if group.get("ingress"):
            found.append(f"aws_security_group.{name} has inline ingress; use ingress rule resources")
        if name not in ALLOWED_INGRESS_SOURCES:
            found.append(f"aws_security_group.{name} is not in the traffic policy")
    for name, rule in security_groups.resources_of("aws_security_group_rule").items():
        found.append(f"aws_security_group_rule.{name}: use aws_vpc_security_group_ingress_rule")
    for name, rule in security_groups.instances_of("aws_vpc_security_group_ingress_rule").items():
        target = _sg_name(rule.get("security_group_id"))
        if target is None:
            found.append(f"ingress rule {name} opens a group this module does not own")
            continue
        allowed = ALLOWED_INGRESS_SOURCES.get(target, set())
        has_range = any(rule.get(k) for k in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id"))
        source = _sg_name(rule.get("referenced_security_group_id"))
        if has_range and None not in allowed:
            found.append(f"ingress rule {name} opens {target} to an address range")
        if rule.get("referenced_security_group_id") is not None and source not in allowed:
            found.append(f"ingress rule {name} opens {target} to {source or 'an unknown group'}")
        if not has_range and rule.get("referenced_security_group_id") is None:
            found.append(f"ingress rule {name} names no source")
    return found


def stray_ingress_violations(modules: dict[str, Module]) -> list[str]:
    """Ingress rules live only in the security-groups module, where the policy is checked."""
    found = []
    for module_name, module in modules.items():
        if module_name == "security-groups":
            continue
        for kind in _INGRESS_RULE_KINDS:
            for name in module.resources_of(kind):
                found.append(f"{module_name}: {kind}.{name} outside modules/security-groups")
        for name, group in module.resources_of("aws_security_group").items():
            found.append(f"{module_name}: aws_security_group.{name} outside modules/security-groups")
    return found


def public_ip_violations(modules: dict[str, Module]) -> list[str]:
    """No ECS task gets a public address, and no subnet hands them out."""
    found = []
    services = 0
    for module_name, module in modules.items():
        for name, service in module.resources_of("aws_ecs_service").items():
            services += 1
            network = service.get("network_configuration")
            if not network:
                found.append(f"{module_name}: aws_ecs_service.{name} has no network_configuration")
                continue
            if single(network).get("assign_public_ip") is not False:
                found.append(f"{module_name}: aws_ecs_service.{name} does not set assign_public_ip = false")
        for name, subnet in module.resources_of("aws_subnet").items():
            if subnet.get("map_public_ip_on_launch") is not False:
                found.append(f"{module_name}: aws_subnet.{name} may map public IPs")
    if services == 0:
        found.append("no aws_ecs_service found at all")
    return found


def task_subnet_violations(root: Module) -> list[str]:
    """Every service and database is placed in the private subnets."""
    found = []
    for call in ("portal_service", "hardware_service", "metrics_service", "database", "metrics_database"):
        subnets = root.modules.get(call, {}).get("private_subnet_ids")
        if subnets != "${module.network.private_subnet_ids}":
            found.append(f"module.{call} is not placed in module.network.private_subnet_ids ({subnets!r})")
    return found


def wiring_violations(root: Module) -> list[str]:
    """Each service and the database use their own security group from modules/security-groups."""
    expected = {
        "portal_service": "portal_security_group_id",
        "hardware_service": "hardware_security_group_id",
        "database": "database_security_group_id",
        "metrics_service": "metrics_security_group_id",
        "metrics_database": "metrics_database_security_group_id",
        "alb": "alb_security_group_id",
    }
    found = []
    for call, output in expected.items():
        got = root.modules.get(call, {}).get("security_group_id")
        if got != f"${{module.security_groups.{output}}}":
            found.append(f"module.{call} uses security group {got!r}, expected {output}")
    return found


def alb_violations(modules: dict[str, Module]) -> list[str]:
    """The public load balancer forwards to portal's target groups and nothing else."""
    found = []
    alb = modules["alb"]
    balancers = alb.resources_of("aws_lb")
    if len(balancers) != 1:
        found.append(f"expected one aws_lb in modules/alb, found {len(balancers)}")
    for name, listener in alb.resources_of("aws_lb_listener").items():
        for action in listener.get("default_action", []):
            if action.get("type") not in ("fixed-response", "redirect"):
                found.append(f"listener {name} default action {action.get('type')!r}: only rules may forward")
    rules = alb.instances_of("aws_lb_listener_rule")
    if not rules:
        found.append("modules/alb has no listener rule")
    for name, rule in rules.items():
        for action in rule.get("action", []):
            groups = [tg.get("arn") for fwd in action.get("forward", []) for tg in fwd.get("target_group", [])]
            if action.get("target_group_arn"):
                groups.append(action["target_group_arn"])
            if action.get("type") == "forward" and not groups:
                found.append(f"listener rule {name} forwards to nothing")
            for arn in groups:
                if not str(arn).startswith("${aws_lb_target_group.portal["):
                    found.append(f"listener rule {name} forwards to {arn}, not to portal")
    for name, group in alb.resources_of("aws_lb_target_group").items():
        if name != "portal":
            found.append(f"modules/alb has target group {name}; only portal's belong on the public ALB")
    # Only portal's service is given the target groups, and nothing else attaches to them.
    root = modules["root"]
    for call, args in root.modules.items():
        takes_alb = any("module.alb." in str(v) and "target_group_arn" in str(v) and "suffix" not in str(v)
                        for v in args.values())
        if takes_alb and call != "portal_service":
            found.append(f"module.{call} receives a load balancer target group")
    for module_name, module in modules.items():
        for name in module.resources_of("aws_lb_target_group_attachment"):
            found.append(f"{module_name}: aws_lb_target_group_attachment.{name}")
        for name, service in module.resources_of("aws_ecs_service").items():
            # metrics' one is its internal UDP ingest balancer (metrics_ingest_violations).
            if service.get("load_balancer") and service.get("name") not in ("portal", "metrics"):
                found.append(f"{module_name}: service {service.get('name')} is attached to a load balancer")
    return found


def scaling_violations(modules: dict[str, Module]) -> list[str]:
    """portal scales by target tracking on RequestCountPerTarget over both of its target groups
    (blue and green), in one policy; hardware on its backlog (due profiles per task)."""
    found = []
    root = modules["root"]
    portal = root.modules.get("portal_autoscaling", {})
    if portal.get("metric") != "ALBRequestCountPerTarget":
        found.append(f"portal scales on {portal.get('metric')!r}")
    if portal.get("load_balancer_arn_suffix") != "${module.alb.arn_suffix}":
        found.append(f"portal scaling load balancer is {portal.get('load_balancer_arn_suffix')!r}, not module.alb")
    groups = portal.get("target_group_arn_suffixes") or {}
    if sorted(groups) != ["blue", "green"]:
        found.append(f"portal scaling target groups {sorted(groups)}, expected blue and green")
    for key, suffix in groups.items():
        if suffix != f"${{module.alb.{key}_target_group_arn_suffix}}":
            found.append(f"portal scaling target group {key} is {suffix!r}, not the {key} target group")
    if not str(portal.get("target_value", "")).startswith("${var."):
        found.append("portal's requests-per-task target is not a variable")
    if root.modules.get("hardware_autoscaling", {}).get("metric") != "DueProfilesPerTask":
        # CPU never shows hardware's work: the computation is a blocking sleep.
        found.append("hardware does not scale on its backlog")
    found.extend(request_count_policy_violations(modules["autoscaling"], sorted(groups)))
    return found


_FILLED_SUM = re.compile(
    r'^\$\{join\("(?P<sep>[^"]*)", \[for (?P<var>\w+) in keys\(var\.target_group_arn_suffixes\) : '
    r'"(?P<template>[^"]*)"\]\)\}$'
)


def render_request_count_expression(expression: str, group_ids: list[str]) -> str | None:
    """The metric math the policy sends for these target group ids, or None when the
    expression is not a join over var.target_group_arn_suffixes (the only form rendered)."""
    match = _FILLED_SUM.match(expression)
    if not match:
        return None
    placeholder = "${" + match.group("var") + "}"
    return match.group("sep").join(match.group("template").replace(placeholder, key) for key in group_ids)


def evaluate_expression(expression: str, values: dict[str, float | None]) -> float | None:
    """One period of a metric math expression over the given ids (None: no datapoint)."""
    scope = {name: _Point(value) for name, value in values.items()}
    return _point(eval(expression, {"__builtins__": {}, **_MATH}, scope)).value  # noqa: S307


# RequestCountPerTarget datapoints of blue and green in one minute (None: no datapoint, as for
# a group without targets). The value tracked must be the sum of those present: the load per
# task of the group that serves, whichever colour it is.
REQUEST_COUNT_SCENARIOS: list[dict[str, float | None]] = [
    {"blue": 600.0, "green": None},
    {"blue": None, "green": 600.0},
    {"blue": 0.0, "green": 600.0},
    {"blue": None, "green": None},
]


def request_count_policy_violations(scaling: Module, group_ids: list[str]) -> list[str]:
    """modules/autoscaling has ONE request policy that tracks RequestCountPerTarget summed over
    every target group it is given, missing datapoints counted as 0 (an idle blue/green group
    has no targets), with cooldowns."""
    found = []
    policies = scaling.resources_of("aws_appautoscaling_policy")
    policy = policies.get("request_count")
    if policy is None:
        return ["modules/autoscaling has no request_count policy"]
    if "for_each" in policy:
        found.append("request_count policy is repeated per target group (the idle group would block scale-in)")
    config = single(policy.get("target_tracking_scaling_policy_configuration"))
    for cooldown in ("scale_in_cooldown", "scale_out_cooldown"):
        if config.get(cooldown) is None:
            found.append(f"request_count policy has no {cooldown}")
    if config.get("predefined_metric_specification"):
        found.append("request_count policy uses a predefined metric, which names a single target group")
    specs = config.get("customized_metric_specification")
    if not specs:
        return found + ["request_count policy has no customized_metric_specification"]
    spec = single(specs)

    per_group = [d["metrics"] for d in spec.get("dynamic", []) if "metrics" in d]
    if len(per_group) != 1:
        found.append("request_count policy does not query one metric per target group")
    else:
        block = per_group[0]
        content = single(block.get("content"))
        stat = single(content.get("metric_stat", [{}]))
        metric = single(stat.get("metric", [{}]))
        dimensions = {d.get("name"): d.get("value") for d in metric.get("dimensions", [])}
        if block.get("for_each") != "${var.target_group_arn_suffixes}" or content.get("id") != "${metrics.key}":
            found.append("request_count policy's per-group metrics are not one per target_group_arn_suffixes entry")
        if (metric.get("namespace"), metric.get("metric_name"), stat.get("stat")) != (
            "AWS/ApplicationELB", "RequestCountPerTarget", "Sum"
        ):
            found.append(
                f"request_count policy tracks {metric.get('namespace')}/{metric.get('metric_name')} "
                f"({stat.get('stat')}), not AWS/ApplicationELB RequestCountPerTarget (Sum)"
            )
        if dimensions != {"TargetGroup": "${metrics.value}", "LoadBalancer": "${var.load_balancer_arn_suffix}"}:
            found.append(f"request_count policy's per-group metric has dimensions {dimensions}")
        if content.get("return_data") is not False:
            found.append("request_count policy's per-group metrics must not return data")

    returned = [m for m in spec.get("metrics", []) if m.get("return_data") is True]
    if len(returned) != 1:
        return found + ["request_count policy must return exactly one expression"]
    expression = render_request_count_expression(str(returned[0].get("expression")), group_ids)
    if expression is None:
        return found + [f"request_count expression {returned[0].get('expression')!r} is not a sum over the target groups"]
    for scenario in REQUEST_COUNT_SCENARIOS:
        values = {key: scenario.get(key) for key in group_ids}
        expected = sum((value for value in values.values() if value is not None), 0.0)
        try:
            got = evaluate_expression(expression, values)
        except Exception as error:  # noqa: BLE001 - any failure to evaluate is a violation
            found.append(f"request_count expression {expression!r} does not evaluate: {error}")
            break
        if got is None or abs(got - expected) > 1e-9:
            found.append(f"request_count expression {expression!r} gives {got} for {values}, expected {expected}")
    return found


def blue_green_violations(portal_service: Module, root: Module) -> list[str]:
    """portal deploys with ECS-native blue/green, a circuit breaker and rollback alarms."""
    found = []
    services = portal_service.resources_of("aws_ecs_service")
    if len(services) != 1:
        return [f"expected one aws_ecs_service in portal-service, found {len(services)}"]
    service = next(iter(services.values()))
    deployment = single(service.get("deployment_configuration", [{}]))
    if deployment.get("strategy") != "BLUE_GREEN":
        found.append(f"portal deployment strategy {deployment.get('strategy')!r}")
    if deployment.get("bake_time_in_minutes") is None:
        found.append("portal has no bake time")
    balancer = single(service.get("load_balancer", [{}]))
    if balancer.get("container_name") != "portal":
        found.append("portal's load balancer does not point at the portal container")
    advanced = single(balancer.get("advanced_configuration", [{}]))
    for key in ("alternate_target_group_arn", "production_listener_rule", "test_listener_rule", "role_arn"):
        if not advanced.get(key):
            found.append(f"portal advanced_configuration lacks {key}")
    breaker = single(service.get("deployment_circuit_breaker", [{}]))
    if breaker.get("enable") is not True or breaker.get("rollback") is not True:
        found.append("portal's circuit breaker is not enabled with rollback")
    # ECS's alarm rollback watches a fixed alarm list for the whole deployment: the test
    # listener's traffic before the shift, and alarms already firing before the release. The
    # deployer's gate acts on alarms instead (production target group only, entered ALARM
    # after the release started), so ECS must not roll back on alarms a second time.
    for alarms in service.get("alarms", []):
        if alarms.get("rollback") is True or alarms.get("enable") is True:
            found.append("portal's ECS deployment alarms roll back on their own (the deployer's alarm gate does)")
    if "rollback_alarm_names" in root.modules.get("portal_service", {}):
        found.append("portal_service still takes rollback_alarm_names")
    return found


def task_definition_violations(modules: dict[str, Module]) -> list[str]:
    """Every task definition keeps its old revisions registered (skip_destroy), so the revision
    a service still runs, and the one `deployer rollback` returns to, never turns INACTIVE when
    an apply with a new image replaces the resource."""
    found = []
    definitions = 0
    for module_name, module in modules.items():
        for name, definition in module.resources_of("aws_ecs_task_definition").items():
            definitions += 1
            if definition.get("skip_destroy") is not True:
                found.append(f"{module_name}: aws_ecs_task_definition.{name} does not set skip_destroy = true")
    if definitions == 0:
        found.append("no aws_ecs_task_definition found at all")
    return found


class _Point:
    """One datapoint of a CloudWatch metric math time series; None is a missing datapoint
    (CloudWatch publishes HTTPCode_* counts only in minutes when they are not zero), and
    arithmetic on a missing datapoint is missing, as in metric math."""

    def __init__(self, value: float | None):
        self.value = value

    def _apply(self, other: object, op) -> "_Point":
        right = other.value if isinstance(other, _Point) else other
        if self.value is None or right is None:
            return _Point(None)
        try:
            return _Point(float(op(self.value, right)))
        except ZeroDivisionError:
            return _Point(None)

    def __add__(self, other):
        return self._apply(other, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, other):
        return self._apply(other, lambda a, b: a - b)

    def __mul__(self, other):
        return self._apply(other, lambda a, b: a * b)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._apply(other, lambda a, b: a / b)

    def __rtruediv__(self, other):
        return _Point(other)._apply(self, lambda a, b: a / b)

    def __gt__(self, other):
        return self._apply(other, lambda a, b: a > b)

    def __lt__(self, other):
        return self._apply(other, lambda a, b: a < b)


def _point(value: object) -> _Point:
    return value if isinstance(value, _Point) else _Point(float(value))


_MATH = {
    "FILL": lambda series, fill: series if series.value is not None else _point(fill),
    "IF": lambda cond, then, other: _Point(None) if cond.value is None else _point(then if cond.value else other),
    "MAX": lambda items: _Point(max((p.value for p in map(_point, items) if p.value is not None), default=None)),
    "SUM": lambda items: _Point(sum(p.value for p in map(_point, items) if p.value is not None)),
}


def evaluate_alarm(alarm: dict, datapoints: dict[str, float]) -> float | None:
    """The value a metric-math alarm sees for one period, given each metric's datapoint
    (metric_name -> value; absent = no datapoint). Handles the functions our alarms use."""
    queries = {q["id"]: q for q in alarm.get("metric_query", [])}
    returned = [q for q in queries.values() if q.get("return_data") is True]
    assert len(returned) == 1, "exactly one metric_query returns data"

    class Scope(dict):
        def __missing__(self, name):
            query = queries[name]
            if query.get("metric"):
                value = _Point(datapoints.get(single(query["metric"])["metric_name"]))
            else:
                value = _point(eval(query["expression"], {"__builtins__": {}, **_MATH}, self))  # noqa: S307
            self[name] = value
            return value

    return Scope()[returned[0]["id"]].value


# (datapoints of one minute, the 5xx percent each rollback alarm must see)
TARGET_GROUP_5XX_SCENARIOS: list[tuple[dict[str, float], float]] = [
    ({"RequestCount": 1000, "HTTPCode_Target_5XX_Count": 20}, 2.0),
    # The load balancer's own 5xx are not published per target group: not this alarm's.
    ({"RequestCount": 1000, "HTTPCode_ELB_5XX_Count": 30}, 0.0),
    ({"RequestCount": 1000}, 0.0),
]
LOAD_BALANCER_5XX_SCENARIOS: list[tuple[dict[str, float], float]] = [
    # Crashing tasks: only the load balancer answers (502/503), RequestCount has no datapoint.
    ({"HTTPCode_ELB_5XX_Count": 30}, 100.0),
    ({"RequestCount": 1000, "HTTPCode_ELB_5XX_Count": 50}, 5.0),
    ({"RequestCount": 1000, "HTTPCode_Target_5XX_Count": 20}, 0.0),
    ({"RequestCount": 1000}, 0.0),
]
TARGET_GROUP_DIMENSIONS = {"LoadBalancer": "${var.alb_arn_suffix}", "TargetGroup": "${each.value}"}
LOAD_BALANCER_DIMENSIONS = {"LoadBalancer": "${var.alb_arn_suffix}"}


def _scenario_violations(name: str, alarm: dict, scenarios) -> list[str]:
    found = []
    for datapoints, expected in scenarios:
        got = evaluate_alarm(alarm, datapoints)
        if got is None and expected == 0:
            continue  # a missing value is not breaching (treat_missing_data)
        if got is None or abs(got - expected) > 1e-9:
            found.append(f"{name}: 5xx rate for {datapoints} is {got}, expected {expected}")
    return found


def _dimension_violations(name: str, alarm: dict, expected: dict) -> list[str]:
    metrics = [single(q["metric"]) for q in alarm.get("metric_query", []) if q.get("metric")]
    if not alarm.get("metric_query"):
        metrics = [alarm]
    return [
        f"{name}: {m.get('metric_name')} is measured over {m.get('dimensions')}, not {expected}"
        for m in metrics
        if m.get("dimensions") != expected
    ]


def five_xx_alarm_violations(alarms: Module) -> list[str]:
    """portal's rollback alarms judge production traffic only: the 5xx rate and p99 latency of
    each target group (one alarm per group, so the deployer can count only the group that
    carries production traffic, never the test listener's), and the load balancer's own 5xx
    (published per load balancer only) in an alarm of its own. Every one is a rollback alarm."""
    defined = alarms.resources_of("aws_cloudwatch_metric_alarm")
    found = []
    for name in ("portal_5xx_rate", "portal_p99_latency", "load_balancer_5xx_rate"):
        if name not in defined:
            found.append(f"modules/alarms has no {name} alarm")
    if found:
        return found
    for name in ("portal_5xx_rate", "portal_p99_latency"):
        if defined[name].get("for_each") != "${var.target_group_arn_suffixes}":
            found.append(f"{name} is not one alarm per target group")
        found += _dimension_violations(name, defined[name], TARGET_GROUP_DIMENSIONS)
    found += _dimension_violations("load_balancer_5xx_rate", defined["load_balancer_5xx_rate"], LOAD_BALANCER_DIMENSIONS)
    found += _scenario_violations("portal_5xx_rate", defined["portal_5xx_rate"], TARGET_GROUP_5XX_SCENARIOS)
    found += _scenario_violations(
        "load_balancer_5xx_rate", defined["load_balancer_5xx_rate"], LOAD_BALANCER_5XX_SCENARIOS
    )
    names = str(alarms.outputs.get("portal_alarm_names", {}).get("value", ""))
    for name in ("portal_5xx_rate", "portal_p99_latency", "load_balancer_5xx_rate"):
        if f"aws_cloudwatch_metric_alarm.{name}" not in names:
            found.append(f"{name} is not among portal_alarm_names")
    return found


def database_secret_violations(database: Module) -> list[str]:
    """hardware's DATABASE_URL secret is rewritten whenever the database gets a new password:
    when password_version changes, and when the instance is replaced (new endpoint, new
    ephemeral password), but not on in-place updates, which keep the old password."""
    found = []
    instance = database.resources_of("aws_db_instance").get("this")
    version = database.resources_of("aws_secretsmanager_secret_version").get("database_url")
    if instance is None or version is None:
        return ["modules/database lacks aws_db_instance.this or aws_secretsmanager_secret_version.database_url"]
    secret = str(version.get("secret_string_wo", ""))
    for part in ("${aws_db_instance.this.address}", "${aws_db_instance.this.port}", "${ephemeral.random_password.master.result}"):
        if part not in secret:
            found.append(f"DATABASE_URL does not use {part}")
    if instance.get("password_wo") != "${ephemeral.random_password.master.result}":
        found.append("the database password is not the ephemeral password of the secret")
    if version.get("secret_string_wo_version") != instance.get("password_wo_version"):
        found.append("the secret and the database password are not rewritten at the same version")
    triggers = [t for block in version.get("lifecycle", []) for t in block.get("replace_triggered_by", [])]
    if "${aws_db_instance.this.resource_id}" not in triggers:
        found.append("the secret is not rewritten when the database instance is replaced")
    if "${aws_db_instance.this}" in triggers:
        found.append("the secret is rewritten on every change of the instance, also those that keep its password")
    return found


def metrics_ingest_violations(modules: dict[str, Module]) -> list[str]:
    """metrics takes response times over UDP through an internal Network Load Balancer with
    fixed private addresses, and portal and hardware send to exactly those addresses."""
    found = []
    module = modules["metrics-service"]
    balancers = module.resources_of("aws_lb")
    if len(balancers) != 1:
        return [f"expected one aws_lb in modules/metrics-service, found {len(balancers)}"]
    balancer = next(iter(balancers.values()))
    if balancer.get("internal") is not True or balancer.get("load_balancer_type") != "network":
        found.append("metrics' ingest load balancer is not an internal network load balancer")
    if not balancer.get("security_groups"):
        found.append("metrics' ingest load balancer has no security group (one cannot be added later)")
    mappings = balancer.get("dynamic", [])
    mapping = next((d["subnet_mapping"] for d in mappings if "subnet_mapping" in d), None)
    content = single(mapping.get("content")) if mapping else {}
    if not mapping or mapping.get("for_each") != "${var.private_subnet_ids}" or not content.get("private_ipv4_address"):
        found.append("metrics' ingest load balancer has no fixed private address in every private subnet")
    for name, listener in module.resources_of("aws_lb_listener").items():
        if listener.get("protocol") != "UDP":
            found.append(f"metrics ingest listener {name} is {listener.get('protocol')!r}, not UDP")
    for name, group in module.resources_of("aws_lb_target_group").items():
        if group.get("protocol") != "UDP" or group.get("target_type") != "ip":
            found.append(f"metrics target group {name} is not a UDP group of task addresses")
    service = module.resources_of("aws_ecs_service").get("this", {})
    attached = single(service.get("load_balancer", [{}]))
    if attached.get("container_name") != "metrics" or not str(attached.get("target_group_arn", "")).startswith(
        "${aws_lb_target_group."
    ):
        found.append("the metrics service is not attached to its own ingest target group")
    root = modules["root"]
    for sender in ("portal_task", "hardware_task"):
        environment = str(root.modules.get(sender, {}).get("environment", ""))
        if 'METRICS_UDP = join(",", module.metrics_service.ingest_addresses)' not in environment:
            found.append(f"module.{sender} does not send to metrics' ingest addresses (METRICS_UDP)")
    return found


# The task definitions the root module makes, and the front whose idle timeout each service's
# own keep-alive timeout must exceed.
SERVICE_FRONTS = {
    "portal_task": "alb_idle_timeout_seconds",
    "hardware_task": "proxy_idle_timeout_seconds",
    "metrics_task": "proxy_idle_timeout_seconds",
}


def keep_alive_violations(modules: dict[str, Module]) -> list[str]:
    """Each service closes an idle keep-alive connection only after whatever is in front of it
    (the ALB, a Service Connect proxy) has: its HTTP_IDLE_TIMEOUT is longer than their idle
    timeouts, which are set explicitly from the same locals."""
    found = []
    root = modules["root"]
    values = {}
    for name in ("alb_idle_timeout_seconds", "proxy_idle_timeout_seconds", "http_idle_timeout_seconds"):
        value = root.locals.get(name)
        if not isinstance(value, int):
            found.append(f"local.{name} is not a number of seconds ({value!r})")
        values[name] = value
    if found:
        return found
    listener = root.locals.get("listener_environment", {})
    if listener.get("HTTP_IDLE_TIMEOUT") != "${tostring(local.http_idle_timeout_seconds)}":
        found.append(f"local.listener_environment sets HTTP_IDLE_TIMEOUT to {listener.get('HTTP_IDLE_TIMEOUT')!r}")
    if root.modules.get("alb", {}).get("idle_timeout_seconds") != "${local.alb_idle_timeout_seconds}":
        found.append("module.alb's idle timeout is not local.alb_idle_timeout_seconds")
    alb = single(list(modules["alb"].resources_of("aws_lb").values()) or [{}])
    if alb.get("idle_timeout") != "${var.idle_timeout_seconds}":
        found.append("the ALB's idle_timeout is not set from its idle_timeout_seconds variable")
    for call in ("hardware_service", "metrics_service"):
        if root.modules.get(call, {}).get("proxy_idle_timeout_seconds") != "${local.proxy_idle_timeout_seconds}":
            found.append(f"module.{call}'s Service Connect idle timeout is not local.proxy_idle_timeout_seconds")
    for directory in ("hardware-service", "metrics-service"):
        service = modules[directory].resources_of("aws_ecs_service").get("this", {})
        published = single(single(service.get("service_connect_configuration", [{}])).get("service", [{}]))
        timeout = single(published.get("timeout", [{}]))
        if timeout.get("idle_timeout_seconds") != "${var.proxy_idle_timeout_seconds}":
            found.append(f"{directory}: Service Connect publishes no idle timeout from proxy_idle_timeout_seconds")
    for task, front in SERVICE_FRONTS.items():
        environment = str(root.modules.get(task, {}).get("environment", ""))
        # merge(...) keeps the last map's value: the listener settings must come last.
        if not environment.rstrip().endswith("local.listener_environment)}"):
            found.append(f"module.{task} does not end its environment with local.listener_environment")
        if values["http_idle_timeout_seconds"] <= values[front]:
            found.append(
                f"{task}: HTTP_IDLE_TIMEOUT {values['http_idle_timeout_seconds']} s is not longer than "
                f"local.{front} ({values[front]} s)"
            )
    return found


def descriptor_limit_violations(modules: dict[str, Module], minimum: int = 65536) -> list[str]:
    """Every container gets an explicit nofile limit (soft = hard) of at least `minimum`, and no
    task definition call lowers it."""
    found = []
    task = modules["ecs-task"]
    definition = task.resources_of("aws_ecs_task_definition").get("this", {})
    containers = str(definition.get("container_definitions", ""))
    compact = re.sub(r"\s+", " ", containers)
    if 'name = "nofile"' not in compact or "softLimit = var.nofile_limit" not in compact or (
        "hardLimit = var.nofile_limit" not in compact
    ):
        found.append("ecs-task's container definition does not set ulimits nofile from var.nofile_limit")
    default = task.variables.get("nofile_limit", {}).get("default")
    if not isinstance(default, int) or default < minimum:
        found.append(f"ecs-task's nofile_limit default is {default!r}, below {minimum}")
    for call, args in modules["root"].modules.items():
        if str(args.get("source", "")).endswith("/ecs-task") and "nofile_limit" in args:
            value = args["nofile_limit"]
            if not isinstance(value, int) or value < minimum:
                found.append(f"module.{call} sets nofile_limit to {value!r}, below {minimum}")
    return found
