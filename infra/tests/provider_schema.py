"""Checks the configuration against the AWS provider's real schema (infra/schema/aws-*.json,
extracted from the provider's generated bindings by infra/schema/extract.py): every argument
and nested block of every aws_* resource and data block (dynamic blocks included) exists,
required arguments and blocks are there, a block that may appear once appears once, and
every `aws_x.name.attr` reference names an attribute the type has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hcl import Module

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
# Terraform's own meta-arguments and blocks, valid on every resource.
_META = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"}
_REFERENCE = re.compile(r"(?<![\w.])(data\.)?(aws_\w+)\.(\w+)\.(\w+)")


def load(version: str) -> dict:
    return json.loads((SCHEMA_DIR / f"aws-{version}.json").read_text())


def _body_violations(body: dict, schema: dict, where: str) -> list[str]:
    found = []
    attributes, blocks = schema["attributes"], schema["blocks"]
    present = set(body)
    for dynamic in body.get("dynamic", []):
        for name, spec in dynamic.items():
            present.add(name)
            if name not in blocks:
                found.append(f"{where}: unknown block {name!r} (dynamic)")
                continue
            for content in spec.get("content", []):
                found.extend(_body_violations(content, blocks[name], f"{where}.{name}"))
    for key, value in body.items():
        if key in _META or key == "dynamic":
            continue
        if key in blocks:
            items = value if isinstance(value, list) else [value]
            if blocks[key]["max_one"] and len(items) > 1:
                found.append(f"{where}: block {key!r} may appear once, appears {len(items)} times")
            for item in items:
                if isinstance(item, dict):
                    found.extend(_body_violations(item, blocks[key], f"{where}.{key}"))
        elif key not in attributes:
            found.append(f"{where}: unknown argument {key!r}")
    for name, attribute in attributes.items():
        if attribute["required"] and name not in present:
            found.append(f"{where}: required argument {name!r} missing")
    for name, block in blocks.items():
        if block["required"] and name not in present:
            found.append(f"{where}: required block {name!r} missing")
    return found


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def violations(modules: dict[str, Module], schema: dict) -> list[str]:
    found = []
    for module_name, module in sorted(modules.items()):
        declared = {("resource", kind, name) for kind, name in module.resources} | {
            ("data", kind, name) for kind, name in module.data}
        for section, table, blocks in (("resources", "resource", module.resources), ("data", "data", module.data)):
            for (kind, name), body in sorted(blocks.items()):
                if not kind.startswith("aws_"):
                    continue
                where = f"{module_name}: {'data.' if table == 'data' else ''}{kind}.{name}"
                if kind not in schema[section]:
                    found.append(f"{where}: type unknown to provider {schema['version']}")
                    continue
                found.extend(_body_violations(body, schema[section][kind], where))
        everything = [*module.resources.values(), *module.data.values(), *module.outputs.values(),
                      *module.locals.values(), *module.modules.values()]
        for text in (s for block in everything for s in _strings(block)):
            for data, kind, name, attr in _REFERENCE.findall(text):
                table = "data" if data else "resource"
                section = "data" if data else "resources"
                if (table, kind, name) not in declared or kind not in schema[section]:
                    continue  # unresolved references are depgraph's test
                type_schema = schema[section][kind]
                known = set(type_schema["attributes"]) | set(type_schema["blocks"]) | set(type_schema["computed"]) | {"id"}
                if attr not in known:
                    found.append(f"{module_name}: {data}{kind}.{name}.{attr}: {kind} has no attribute {attr!r} at {schema['version']}")
    return sorted(set(found))
