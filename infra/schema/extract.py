#!/usr/bin/env python3
"""Extracts the hashicorp/aws provider schema of the resource and data source types that
infra/terraform uses, from the provider's generated bindings on the npm registry.

No provider can be downloaded on the machines this project is tested on, but npm packages can:
`@cdktf/provider-aws` and `@cdktn/provider-aws` are generated from the provider's own schema,
and each package.json names the provider version it was generated from. For every resource,
`lib/<type without aws_>/index.js` lists each argument under its Terraform name with
`isBlock` and its storage type (the `...ToHclTerraform` functions), and the `.d.ts` interfaces
say which arguments are required (`readonly name:` without `?`) and which blocks may appear
once (a block typed as one struct, not an array).

    infra/schema/extract.py @cdktn/provider-aws@25.7.0 [@cdktf/provider-aws@21.3.0 ...]

writes infra/schema/aws-<provider version>.json for each package. Packages are fetched with
`npm pack` into $HWDASH_PROVIDER_PACKS (default ~/.cache/hwdash-provider-packs) once.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TERRAFORM = HERE.parent / "terraform"
PACKS = Path(os.environ.get("HWDASH_PROVIDER_PACKS", Path.home() / ".cache/hwdash-provider-packs"))

_ATTR = re.compile(
    r"(\w+): \{\s*value: (.*?),\s*isBlock: (true|false),\s*type: \"(\w+)\",\s*storageClassType: \"(\w+)\",\s*\}",
    re.S,
)
_STRUCT_FN = re.compile(r"\nfunction (\w+)ToHclTerraform\(struct\) \{\n(.*?)\n\}\n", re.S)
_SYNTH = re.compile(r"synthesizeHclAttributes\(\) \{\n(.*?)\n    \}\n", re.S)
_GETTER = re.compile(r"(?:get(?:String|Number|Boolean|List|StringMap|NumberMap|BooleanMap|Any|NumberList|BooleanList)Attribute|interpolationForAttribute)\('(\w+)'\)")
_INTERFACE = re.compile(r"export interface (\w+)(?: extends [\w.]+)? \{\n(.*?)\n\}", re.S)
_FIELD = re.compile(r"readonly (\w+)(\?)?: ([^;]+);")
_TYPE_USE = re.compile(r'^\s*(resource|data) "(aws_\w+)"', re.M)


def used_types() -> dict[str, set[str]]:
    """{"resource": {...}, "data": {...}}: the aws_* types infra/terraform declares."""
    found: dict[str, set[str]] = {"resource": set(), "data": set()}
    for tf in TERRAFORM.rglob("*.tf"):
        for kind, name in _TYPE_USE.findall(tf.read_text()):
            found[kind].add(name)
    return found


def snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def fetch(spec: str) -> Path:
    """The npm tarball of `spec` (e.g. @cdktn/provider-aws@25.7.0), downloaded once."""
    scope_name, version = spec.rsplit("@", 1)
    file = PACKS / f"{scope_name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not file.exists():
        PACKS.mkdir(parents=True, exist_ok=True)
        print(f"npm pack {spec} (35 to 46 MB) ...", file=sys.stderr)
        subprocess.run(["npm", "pack", spec, "--pack-destination", str(PACKS)], check=True,
                       stdout=subprocess.DEVNULL)
    return file


def _directory(tf_type: str, data: bool) -> str:
    """lib/ directory of a type: aws_ecs_service -> ecs-service, data aws_region -> data-aws-region."""
    return "data-" + tf_type.replace("_", "-") if data else tf_type.removeprefix("aws_").replace("_", "-")


def _attrs(body: str) -> dict[str, dict]:
    out = {}
    for name, value, is_block, kind, storage in _ATTR.findall(body):
        struct = re.search(r"(\w+)ToHclTerraform", value)
        out[name] = {"block": is_block == "true", "type": kind, "storage": storage,
                     "struct": struct[1] if struct and is_block == "true" else None}
    return out


def _interfaces(dts: str) -> dict[str, dict[str, tuple[bool, str]]]:
    """interface name -> {snake field name: (required, type text)}."""
    return {
        name: {snake(field): (optional != "?", kind.strip()) for field, optional, kind in _FIELD.findall(body)}
        for name, body in _INTERFACE.findall(dts)
    }


def _schema(attrs: dict[str, dict], interface: dict, structs: dict, interfaces: dict) -> dict:
    schema = {"attributes": {}, "blocks": {}}
    for name, attr in sorted(attrs.items()):
        required, kind = interface.get(name, (False, ""))
        if attr["block"]:
            inner_name = attr["struct"][0].upper() + attr["struct"][1:] if attr["struct"] else ""
            inner = structs.get(attr["struct"], {})
            schema["blocks"][name] = {
                "required": required,
                "max_one": bool(kind) and "[]" not in kind,
                **_schema(inner, interfaces.get(inner_name, {}), structs, interfaces),
            }
        else:
            schema["attributes"][name] = {"required": required}
    return schema


def extract_type(members: dict[str, bytes], tf_type: str, data: bool) -> dict | None:
    directory = _directory(tf_type, data)
    js = members.get(f"package/lib/{directory}/index.js")
    dts = members.get(f"package/lib/{directory}/index.d.ts")
    if js is None or dts is None:
        return None
    js_text, dts_text = js.decode(), dts.decode()
    structs = {name: _attrs(body) for name, body in _STRUCT_FN.findall(js_text)}
    synth = _SYNTH.search(js_text)
    interfaces = _interfaces(dts_text)
    config_name = _directory(tf_type, data).replace("-", "") + "config"
    config = next((v for k, v in interfaces.items() if k.lower() == config_name), {})
    schema = _schema(_attrs(synth[1]) if synth else {}, config, structs, interfaces)
    schema["computed"] = sorted(set(_GETTER.findall(js_text)))
    return schema


def extract(spec: str) -> Path:
    archive = fetch(spec)
    used = used_types()
    wanted = {f"package/lib/{_directory(t, kind == 'data')}/index.{ext}"
              for kind, types in used.items() for t in types for ext in ("js", "d.ts")}
    members: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.name in wanted or member.name == "package/package.json":
                members[member.name] = tar.extractfile(member).read()
    package = json.load(io.BytesIO(members["package/package.json"]))
    version = (package.get("cdktn") or package.get("cdktf"))["provider"]["version"]
    result = {"provider": "hashicorp/aws", "version": version, "source": spec,
              "resources": {}, "data": {}, "missing": []}
    for kind, key in (("resource", "resources"), ("data", "data")):
        for tf_type in sorted(used[kind]):
            schema = extract_type(members, tf_type, data=kind == "data")
            if schema is None:
                result["missing"].append(f"{kind} {tf_type}")
            else:
                result[key][tf_type] = schema
    out = HERE / f"aws-{version}.json"
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"{out.relative_to(HERE.parent.parent)}: {len(result['resources'])} resources, "
          f"{len(result['data'])} data sources from {spec}", file=sys.stderr)
    return out


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) >= 2 else 2)
    for spec in sys.argv[1:]:
        extract(spec)
