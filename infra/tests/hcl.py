"""Loads the Terraform configuration under infra/terraform into plain Python data.

python-hcl2 keeps HCL's quoting (`"\\"portal\\""`) and adds block markers; this module strips
both so tests read `service["name"] == "portal"`. Expressions stay as their source text
(`"${var.x}"`), which is what the invariants are written against: Terraform cannot plan here
(no providers), so the tests check the configuration as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM_DIR = Path(__file__).resolve().parent.parent / "terraform"
_MARKERS = {"__is_block__", "__start_line__", "__end_line__", "__comments__", "__inline_comments__"}


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def clean(value: Any) -> Any:
    """Strips python-hcl2's quoting and block markers, recursively."""
    if isinstance(value, dict):
        return {_unquote(k): clean(v) for k, v in value.items() if k not in _MARKERS}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


@dataclass
class Module:
    """The blocks of one directory of .tf files, keyed for lookup."""

    path: Path
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)
    outputs: dict[str, dict] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    ephemerals: dict[tuple[str, str], dict] = field(default_factory=dict)
    terraform: list[dict] = field(default_factory=list)

    def resources_of(self, kind: str) -> dict[str, dict]:
        return {name: body for (k, name), body in self.resources.items() if k == kind}

    def instances_of(self, kind: str) -> dict[str, dict]:
        """Like resources_of, with each resource whose `for_each` is a map in `locals` expanded
        into its instances (`name[key]`), `each.key` / `each.value[.field]` filled in from the
        map. Other resources (no for_each, or one over a variable) stay as written."""
        found = {}
        for name, body in self.resources_of(kind).items():
            rows = self._local_map(body.get("for_each"))
            if rows is None:
                found[name] = body
                continue
            for key, row in rows.items():
                found[f"{name}[{key}]"] = {
                    field: _each(value, key, row) for field, value in body.items() if field != "for_each"
                }
        return found

    def _local_map(self, expression: Any) -> dict | None:
        match = _LOCAL_REF.match(expression) if isinstance(expression, str) else None
        rows = self.locals.get(match.group(1)) if match else None
        return rows if isinstance(rows, dict) else None


_LOCAL_REF = re.compile(r"^\$\{local\.(\w+)\}$")
_EACH_REF = re.compile(r"^\$\{each\.(key|value)(?:\.(\w+))?\}$")
_EACH_INSIDE = re.compile(r"\beach\.(key|value)(?:\.(\w+))?\b")


def _each(value: Any, key: str, row: Any) -> Any:
    """`value` with `each.key`, `each.value` and `each.value.field` filled in from the row: a
    whole expression becomes the row's value; inside a longer expression (an index such as
    `groups[each.value.group]`) a string value becomes a quoted literal."""
    if not isinstance(value, str):
        return value
    match = _EACH_REF.match(value)
    if match:
        if match.group(1) == "key":
            return key
        return row[match.group(2)] if match.group(2) else row

    def literal(found: re.Match) -> str:
        if found.group(1) == "key":
            return f'"{key}"'
        item = row[found.group(2)] if found.group(2) else row
        return f'"{item}"' if isinstance(item, str) else str(item)

    return _EACH_INSIDE.sub(literal, value)


def parse_text(text: str, path: Path = Path("<memory>")) -> Module:
    """Parses HCL source into a Module (tests also feed it deliberately broken snippets)."""
    module = Module(path=path)
    _merge(module, clean(hcl2.loads(text)))
    return module


def _merge(module: Module, doc: dict) -> None:
    for block in doc.get("resource", []):
        for kind, named in block.items():
            for name, body in named.items():
                module.resources[(kind, name)] = body
    for block in doc.get("data", []):
        for kind, named in block.items():
            for name, body in named.items():
                module.data[(kind, name)] = body
    for block in doc.get("module", []):
        module.modules.update(block)
    for block in doc.get("variable", []):
        module.variables.update(block)
    for block in doc.get("output", []):
        module.outputs.update(block)
    for block in doc.get("locals", []):
        module.locals.update(block)
    for block in doc.get("ephemeral", []):
        for kind, named in block.items():
            for name, body in named.items():
                module.ephemerals[(kind, name)] = body
    module.terraform.extend(doc.get("terraform", []))


def load_module(directory: Path) -> Module:
    module = Module(path=directory)
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as handle:
            _merge(module, clean(hcl2.load(handle)))
    return module


def load_all() -> dict[str, Module]:
    """The root module as "root" and every module under modules/ by directory name."""
    found = {"root": load_module(TERRAFORM_DIR)}
    for directory in sorted((TERRAFORM_DIR / "modules").iterdir()):
        if directory.is_dir():
            found[directory.name] = load_module(directory)
    return found


def single(block: Any) -> dict:
    """The body of a nested block that must appear exactly once."""
    assert isinstance(block, list) and len(block) == 1, f"expected one block, got {block!r}"
    return block[0]
