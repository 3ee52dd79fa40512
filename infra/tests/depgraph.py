"""The dependency graph Terraform builds from the configuration, derived from the HCL alone.

Terraform orders creation by references (`aws_x.y.attr`, `module.m.output`, `var.v`,
`local.l`) and `depends_on`, and it follows them through module boundaries: a module's
`var.x` is whatever the calling block passes as `x`, and `module.m.out` is whatever the
output's value (and its `depends_on`) references inside the module. This module rebuilds
that graph so tests can assert orderings that matter at apply time (hardware after its
database and secret value, portal after hardware's Service Connect endpoint), and a later
refactor cannot undo them silently.

Nodes are tuples (kind, module instance, name): kind is "res" (resource, data source,
ephemeral), "out", "var" or "local"; the root module's instance is "root".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hcl import Module

Node = tuple[str, str, str]

_REFERENCE = re.compile(
    r"(?<![\w.\"])(?:"
    r"(?P<module>module)\.(?P<mname>\w+)\.(?P<mout>\w+)"
    r"|(?P<var>var)\.(?P<vname>\w+)"
    r"|(?P<local>local)\.(?P<lname>\w+)"
    r"|(?P<data>data)\.(?P<dtype>\w+)\.(?P<dname>\w+)"
    r"|(?P<eph>ephemeral)\.(?P<etype>\w+)\.(?P<ename>\w+)"
    r"|(?P<rtype>(?:aws|random|terraform)_\w+)\.(?P<rname>\w+)"
    r")"
)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def references(value: Any, instance: str) -> set[Node]:
    """Every node an expression (or a whole block body) refers to, seen from `instance`."""
    found: set[Node] = set()
    for text in _strings(value):
        for match in _REFERENCE.finditer(text):
            if match["module"]:
                found.add(("out", match["mname"], match["mout"]))
            elif match["var"]:
                found.add(("var", instance, match["vname"]))
            elif match["local"]:
                found.add(("local", instance, match["lname"]))
            elif match["data"]:
                found.add(("res", instance, f"data.{match['dtype']}.{match['dname']}"))
            elif match["eph"]:
                found.add(("res", instance, f"ephemeral.{match['etype']}.{match['ename']}"))
            else:
                found.add(("res", instance, f"{match['rtype']}.{match['rname']}"))
    return found


@dataclass
class Graph:
    edges: dict[Node, set[Node]] = field(default_factory=dict)

    def depends_on(self, node: Node, target: Node) -> bool:
        """Whether Terraform creates `target` before `node` (a path of dependencies)."""
        seen: set[Node] = set()
        todo = [node]
        while todo:
            current = todo.pop()
            for nxt in self.edges.get(current, ()):
                if nxt == target:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    def nodes(self) -> set[Node]:
        return set(self.edges)


def build(modules: dict[str, Module]) -> Graph:
    """The graph of the root module and every module instance it calls."""
    graph = Graph()
    root = modules["root"]
    instances = {"root": root}
    calls = {}
    for instance, call in root.modules.items():
        directory = str(call["source"]).rstrip("/").split("/")[-1]
        instances[instance] = modules[directory]
        calls[instance] = call
    for instance, module in instances.items():
        call_depends = references(calls[instance].get("depends_on", []), "root") if instance in calls else set()
        blocks = [
            *((f"{kind}.{name}", body) for (kind, name), body in module.resources.items()),
            *((f"data.{kind}.{name}", body) for (kind, name), body in module.data.items()),
            *((f"ephemeral.{kind}.{name}", body) for (kind, name), body in module.ephemerals.items()),
        ]
        for name, body in blocks:
            graph.edges[("res", instance, name)] = references(body, instance) | call_depends
        for name, body in module.outputs.items():
            graph.edges[("out", instance, name)] = references(body, instance)
        for name, value in module.locals.items():
            graph.edges[("local", instance, name)] = references(value, instance)
        for name in module.variables:
            passed = calls.get(instance, {}).get(name)
            graph.edges[("var", instance, name)] = references(passed, "root") if passed is not None else set()
    return graph


def unresolved(graph: Graph) -> list[str]:
    """References to nodes that do not exist (a typo, or a reference this parser misreads)."""
    known = graph.nodes()
    missing = set()
    for node, targets in graph.edges.items():
        for target in targets:
            if target not in known:
                missing.add(f"{node[1]}: {node[2]} refers to {target[0]} {target[1]}.{target[2]}")
    return sorted(missing)


# The orderings a first deployment needs (issue: first deploy on an empty account).
REQUIRED_ORDER: list[tuple[Node, Node, str]] = [
    (("res", "hardware_service", "aws_ecs_service.this"),
     ("res", "database", "aws_secretsmanager_secret_version.database_url"),
     "hardware's service is created after its DATABASE_URL secret has a value"),
    (("res", "hardware_service", "aws_ecs_service.this"),
     ("res", "database", "aws_db_instance.this"),
     "hardware's service is created after its database"),
    (("res", "portal_service", "aws_ecs_service.this"),
     ("res", "hardware_service", "aws_ecs_service.this"),
     "portal's service is created after hardware's Service Connect endpoint is published"),
    (("res", "portal_service", "aws_ecs_service.this"),
     ("res", "portal_service", "terraform_data.blue_green_role_propagated"),
     "portal's service is created after the blue/green role had time to propagate"),
    (("res", "portal_service", "terraform_data.blue_green_role_propagated"),
     ("res", "portal_service", "aws_iam_role_policy_attachment.blue_green"),
     "the propagation wait starts after the role's policy is attached"),
    (("res", "metrics_service", "aws_ecs_service.this"),
     ("res", "metrics_database", "aws_secretsmanager_secret_version.database_url"),
     "metrics' service is created after its METRICS_DATABASE secret has a value"),
    (("res", "metrics_service", "aws_ecs_service.this"),
     ("res", "metrics_database", "aws_db_instance.this"),
     "metrics' service is created after its database"),
    (("res", "metrics_service", "aws_ecs_service.this"),
     ("res", "metrics_service", "aws_lb_listener.udp"),
     "metrics' service is created after a listener uses its target group (ECS refuses it before)"),
    (("res", "database", "aws_db_instance.this"),
     ("res", "database", "aws_cloudwatch_log_group.exports"),
     "the database is created after the log groups it exports to (else RDS creates them without retention or KMS)"),
]


def order_violations(graph: Graph) -> list[str]:
    return [why for node, target, why in REQUIRED_ORDER if not graph.depends_on(node, target)]
