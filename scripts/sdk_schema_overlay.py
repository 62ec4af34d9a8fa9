"""Derive a `x-schema-versions` overlay for specs/vmss.openapi.yaml from azure-mgmt-compute's models.

azure-mgmt-compute is generated from the official Compute specification, so its models say which wire
members an api-version has. For every component of our spec that the SDK has a model of the same name,
the members the SDK knows and our schema (with the older overlays) lacks become overlay properties,
typed from the SDK's annotations. Run it with the SDK version the overlay names, review, paste:

    python scripts/sdk_schema_overlay.py 2026-04-01 > /tmp/overlay.yaml

With the official swagger at hand (a checkout of Azure/azure-rest-api-specs), derive from it instead, and
compare what the spec holds at a version with that version's swagger, component by component:

    python scripts/sdk_schema_overlay.py 2026-04-01 --swagger .../Compute/stable/2026-04-01/ComputeRP.json
    python scripts/sdk_schema_overlay.py 2024-11-01 --compare --swagger .../ComputeRP/stable/2024-11-01/*.json

Older releases (msrest models with `_attribute_map`, flattened `properties.x` keys) work too: install the
release whose operations default to the wanted api-version into a folder and put it first on PYTHONPATH
(36.0.0 -> 2024-11-01, 37.0.0 -> 2025-04-01).
"""
from __future__ import annotations

import datetime
import enum
import json
import re
import sys
import typing
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAX_DEPTH = 6


def _sdk() -> tuple[Any, dict[str, Any], str]:
    from azure.mgmt.compute import _version, models

    module = sys.modules.get(f"{models.__name__}._models")
    return models, {**(vars(module) if module else {}), "_models": models}, _version.VERSION


_MSREST_SCALARS = {"str": "string", "bool": "boolean", "int": "integer", "long": "integer", "float": "number",
                   "iso-8601": "string", "rfc-1123": "string", "duration": "string", "date": "string",
                   "bytearray": "string", "base64": "string", "unix-time": "integer"}


def _is_msrest(cls: Any) -> bool:
    return isinstance(cls, type) and isinstance(getattr(cls, "_attribute_map", None), dict)


def _msrest_schema(kind: str, models: Any, known: set[str], depth: int, seen: tuple[str, ...]) -> dict[str, Any]:
    """An msrest type string ('str', '[Sku]', '{str}', 'UpgradePolicy') as JSON Schema."""
    if kind in _MSREST_SCALARS:
        return {"type": _MSREST_SCALARS[kind]}
    if kind.startswith("[") and kind.endswith("]"):
        return {"type": "array", "items": _msrest_schema(kind[1:-1], models, known, depth, seen)}
    if kind.startswith("{") and kind.endswith("}"):
        return {"type": "object", "additionalProperties": _msrest_schema(kind[1:-1], models, known, depth, seen)}
    cls = getattr(models, kind, None)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return {"type": "string"}
    if not _is_msrest(cls):
        return {}
    if kind in known:
        return {"$ref": f"#/components/schemas/{kind}"}
    if depth >= MAX_DEPTH or kind in seen:
        return {"type": "object"}
    return {"type": "object", "properties": _msrest_tree(cls, models, known, depth + 1, seen + (kind,))}


def _msrest_tree(cls: type, models: Any, known: set[str], depth: int, seen: tuple[str, ...]) -> dict[str, Any]:
    """The wire members of an msrest model, flattened keys (`properties.upgradePolicy`) unfolded into objects."""
    readonly = {attr for attr, rule in (getattr(cls, "_validation", None) or {}).items() if rule.get("readonly")}
    tree: dict[str, Any] = {}
    for attr, spec in cls._attribute_map.items():
        parts = [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", spec["key"])]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {"type": "object", "properties": {}})["properties"]
        schema = _msrest_schema(spec["type"], models, known, depth, seen)
        node[parts[-1]] = {**schema, "readOnly": True} if attr in readonly and "$ref" not in schema else schema
    return tree


def _missing(ours: str, theirs: dict[str, Any], schemas: dict[str, Any], overlays: dict[str, Any],
             added: dict[str, Any]) -> None:
    """Put into `added[ours]` what `theirs` (unfolded members) has and our component `ours` lacks; follow
    a member that is a `$ref` in our schema but unfolded in theirs (msrest's flattened `properties`)."""
    have = _our_members(ours, schemas, overlays)
    own = (schemas.get(ours) or {}).get("properties") or {}
    for name, schema in theirs.items():
        if name not in have:
            added.setdefault(ours, {"properties": {}})["properties"][name] = schema
            continue
        ref = (own.get(name) or {}).get("$ref", "") if isinstance(own.get(name), dict) else ""
        if ref.startswith("#/components/schemas/") and "properties" in schema and "$ref" not in schema:
            _missing(ref.rsplit("/", 1)[-1], schema["properties"], schemas, overlays, added)


def _is_model(cls: Any) -> bool:
    """An SDK model class (its rest-field table is built when the first instance is made)."""
    if not (isinstance(cls, type) and hasattr(cls, "_is_model")):
        return False
    try:
        cls()
    except Exception:  # noqa: BLE001 - a model that cannot be built empty has no table to read
        return False
    return hasattr(cls, "_attr_to_rest_field")


def _fields(cls: type, namespace: dict[str, Any]) -> dict[str, tuple[Any, bool]]:
    """rest name -> (type hint, read-only) of an SDK model class."""
    hints = typing.get_type_hints(cls, globalns=namespace)
    out: dict[str, tuple[Any, bool]] = {}
    for attr, field in getattr(cls, "_attr_to_rest_field", {}).items():
        visibility = getattr(field, "_visibility", None) or []
        out[field._rest_name] = (hints.get(attr, Any), list(visibility) == ["read"])
    return out


def _schema(hint: Any, known: set[str], namespace: dict[str, Any], depth: int, seen: tuple[type, ...]) -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union:
        rest = [a for a in args if a is not type(None)]
        if any(isinstance(a, type) and issubclass(a, enum.Enum) for a in rest) or str in rest:
            return {"type": "string"}  # an open enum (modelAsString) or a plain string
        return _schema(rest[0], known, namespace, depth, seen) if len(rest) == 1 else {}
    if origin in (list, typing.List):
        return {"type": "array", "items": _schema(args[0], known, namespace, depth, seen) if args else {}}
    if origin in (dict, typing.Dict):
        return {"type": "object", "additionalProperties": _schema(args[1], known, namespace, depth, seen) if args else {}}
    if hint is str or hint is datetime.datetime or hint is bytes or hint is datetime.timedelta:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"type": "string"}
    if _is_model(hint):
        if hint.__name__ in known:
            return {"$ref": f"#/components/schemas/{hint.__name__}"}
        if depth >= MAX_DEPTH or hint in seen:
            return {"type": "object"}
        props = {name: _member(h, ro, known, namespace, depth + 1, seen + (hint,))
                 for name, (h, ro) in _fields(hint, namespace).items()}
        return {"type": "object", "properties": props}
    return {}


def _member(hint: Any, read_only: bool, known: set[str], namespace: dict[str, Any], depth: int,
            seen: tuple[type, ...]) -> dict[str, Any]:
    schema = _schema(hint, known, namespace, depth, seen)
    return {**schema, "readOnly": True} if read_only and "$ref" not in schema else schema


def _our_members(name: str, schemas: dict[str, Any], overlays: dict[str, Any]) -> set[str]:
    """Members our schema `name` has: its own, its allOf bases', and every overlay's."""
    schema = schemas.get(name) or {}
    found = set((schema.get("properties") or {}))
    for part in schema.get("allOf", ()):
        ref = part.get("$ref", "") if isinstance(part, dict) else ""
        if ref.startswith("#/components/schemas/"):
            found |= _our_members(ref.rsplit("/", 1)[-1], schemas, overlays)
    for overlay in overlays.values():
        found |= set(((overlay.get("schemas") or {}).get(name) or {}).get("properties") or {})
    return found


def overlay(version: str) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "specs" / "vmss.openapi.yaml").read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    older = {v: o for v, o in (document.get("x-schema-versions") or {}).items() if v < version}
    models, namespace, sdk_version = _sdk()
    known = set(schemas)
    added: dict[str, Any] = {}
    for name in sorted(schemas):
        cls = getattr(models, name, None)
        if _is_msrest(cls):
            _missing(name, _msrest_tree(cls, models, known, 1, (name,)), schemas, older, added)
            continue
        if not _is_model(cls):
            continue
        ours = _our_members(name, schemas, older)
        extra = {rest: _member(hint, ro, known, namespace, 1, (cls,))
                 for rest, (hint, ro) in _fields(cls, namespace).items() if rest not in ours}
        if extra:
            added[name] = {"properties": extra}
    return {version: {
        "x-source": f"azure-mgmt-compute {sdk_version} models, generated from the official Compute specification "
                    f"(api-version {version}); derived by scripts/sdk_schema_overlay.py",
        "x-compared": ["every component of this file that the SDK has a model of the same name"],
        "x-reason": "the members the SDK's models know at this api-version and the older overlays lack; typed "
                    "from the models' annotations (enums stay open strings, models not in this file inline)",
        "schemas": added,
    }}


# ----------------------------------------------------------------------------- from the official swagger itself

def swagger_definitions(files: list[Path]) -> dict[str, Any]:
    """Every `definitions` entry of the given swagger (OpenAPI 2.0) files, by name; a name defined twice keeps
    the first (Compute's files share names only for identical common types)."""
    found: dict[str, Any] = {}
    for f in files:
        for name, schema in (json.loads(Path(f).read_text(encoding="utf-8")).get("definitions") or {}).items():
            found.setdefault(name, schema)
    return found


def _ref_name(ref: str) -> str:
    """`./virtualMachine.json#/definitions/X`, `#/definitions/X` -> X (definitions are merged by name)."""
    return ref.split("#/definitions/", 1)[1] if "#/definitions/" in ref else ""


def _swagger_members(name: str, defs: dict[str, Any], seen: tuple[str, ...] = (),
                     unresolved: set[str] | None = None) -> dict[str, Any]:
    """A definition's wire members: its own `properties` and those of its `allOf` bases among the given files
    (a base in a file not given is named in `unresolved`)."""
    schema = defs.get(name) or {}
    out: dict[str, Any] = {}
    for part in schema.get("allOf", ()):
        base = _ref_name(part.get("$ref", "") if isinstance(part, dict) else "")
        if base in defs and base not in seen:
            out.update(_swagger_members(base, defs, seen + (name,), unresolved))
        elif base and unresolved is not None:
            unresolved.add(base)
    out.update(schema.get("properties") or {})
    return out


def _swagger_schema(schema: dict[str, Any], defs: dict[str, Any], known: set[str], depth: int,
                    seen: tuple[str, ...]) -> dict[str, Any]:
    """A swagger member as our JSON Schema: a definition we hold by `$ref`, others inline (depth-limited);
    enums stay open strings (as the SDK-derived overlays have them); readOnly kept."""
    ref = schema.get("$ref", "")
    if ref:
        name = _ref_name(ref)
        if name in known:
            out: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
        elif name not in defs:
            out = {}
        else:
            target = defs[name]
            if depth >= MAX_DEPTH or name in seen:
                out = {"type": target.get("type", "object")}
            else:
                out = _swagger_schema({k: v for k, v in target.items() if k != "description"}, defs, known, depth,
                                      seen + (name,))
                if target.get("type", "object") == "object" and "enum" not in target:
                    members = _swagger_members(name, defs)
                    out = {"type": "object", "properties": {
                        m: _swagger_schema(v, defs, known, depth + 1, seen + (name,)) for m, v in members.items()}}
        return {**out, "readOnly": True} if schema.get("readOnly") and "$ref" not in out else out
    kind = schema.get("type")
    if "enum" in schema or kind == "string":
        out = {"type": "string"}
    elif kind == "array":
        out = {"type": "array", "items": _swagger_schema(schema.get("items") or {}, defs, known, depth, seen)}
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        out = {"type": "object", "additionalProperties": _swagger_schema(schema["additionalProperties"], defs, known,
                                                                         depth, seen)}
    elif kind == "object" and schema.get("properties"):
        out = {"type": "object", "properties": {m: _swagger_schema(v, defs, known, depth + 1, seen)
                                                for m, v in schema["properties"].items()}}
    elif kind in ("integer", "number", "boolean", "object"):
        out = {"type": kind}
    else:
        out = {}
    return {**out, "readOnly": True} if schema.get("readOnly") else out


def swagger_overlay(version: str, files: list[Path], source: str = "") -> dict[str, Any]:
    """The overlay of `version` read from its official swagger files: for every component of ours that the
    swagger defines under the same name, the members the swagger has and ours (with the older overlays) lack."""
    document = yaml.safe_load((ROOT / "specs" / "vmss.openapi.yaml").read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    older = {v: o for v, o in (document.get("x-schema-versions") or {}).items() if v < version}
    defs = swagger_definitions(files)
    known = set(schemas)
    added: dict[str, Any] = {}
    for name in sorted(set(schemas) & set(defs)):
        ours = _our_members(name, schemas, older)
        extra = {m: _swagger_schema(v, defs, known, 1, (name,)) for m, v in _swagger_members(name, defs).items()
                 if m not in ours}
        if extra:
            added[name] = {"properties": extra}
    return {version: {
        "x-source": source or "Azure/azure-rest-api-specs " + ", ".join(str(f) for f in files),
        "x-compared": ["every component of this file that the swagger defines under the same name"],
        "x-reason": "the members the official swagger has at this api-version and the older overlays lack; typed "
                    "from the swagger (enums stay open strings, definitions not in this file inline)",
        "schemas": added,
    }}


def compare(version: str, files: list[Path]) -> dict[str, dict[str, list[str]]]:
    """Our schemas at `version` (base + every overlay up to it) against that version's swagger, per component
    both define: members only the swagger has (`missing`: an answer carrying one is wrongly called drift, a
    request wrongly refused) and members only we have (`extra`: from an SDK's models or an older version)."""
    document = yaml.safe_load((ROOT / "specs" / "vmss.openapi.yaml").read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    upto = {v: o for v, o in (document.get("x-schema-versions") or {}).items() if v <= version}
    defs = swagger_definitions(files)
    out: dict[str, dict[str, list[str]]] = {}
    for name in sorted(set(schemas) & set(defs)):
        unresolved: set[str] = set()
        ours, theirs = _our_members(name, schemas, upto), set(_swagger_members(name, defs, unresolved=unresolved))
        # members our schema takes from a base the given files only name (common-types' Resource...) are not extra
        inherited = set().union(*(_our_members(b, schemas, upto) for b in unresolved)) if unresolved else set()
        missing, extra = sorted(theirs - ours), sorted(ours - theirs - inherited)
        if missing or extra:
            out[name] = {"missing": missing, "extra": extra}
    return out


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version", nargs="?", default="2026-04-01")
    parser.add_argument("--swagger", nargs="+", type=Path, metavar="FILE",
                        help="derive from these official swagger files instead of the installed SDK's models")
    parser.add_argument("--source", default="", help="x-source to write (repository path and commit)")
    parser.add_argument("--compare", action="store_true",
                        help="with --swagger: list per component the members only the swagger or only we have")
    args = parser.parse_args(argv)
    if args.compare:
        if not args.swagger:
            parser.error("--compare needs --swagger FILE...")
        print(yaml.safe_dump(compare(args.version, args.swagger), sort_keys=False, width=110))
        return 0
    made = swagger_overlay(args.version, args.swagger, args.source) if args.swagger else overlay(args.version)
    print(yaml.safe_dump(made, sort_keys=False, width=110))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
