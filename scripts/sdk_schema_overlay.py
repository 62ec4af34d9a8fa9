"""Derive a `x-schema-versions` overlay for specs/vmss.openapi.yaml from azure-mgmt-compute's models.

azure-mgmt-compute is generated from the official Compute specification, so its models say which wire
members an api-version has. For every component of our spec that the SDK has a model of the same name,
the members the SDK knows and our schema (with the older overlays) lacks become overlay properties,
typed from the SDK's annotations. Run it with the SDK version the overlay names, review, paste:

    python scripts/sdk_schema_overlay.py 2026-04-01 > /tmp/overlay.yaml

Older releases (msrest models with `_attribute_map`, flattened `properties.x` keys) work too: install the
release whose operations default to the wanted api-version into a folder and put it first on PYTHONPATH
(36.0.0 -> 2024-11-01, 37.0.0 -> 2025-04-01).
"""
from __future__ import annotations

import datetime
import enum
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


if __name__ == "__main__":
    print(yaml.safe_dump(overlay(sys.argv[1] if len(sys.argv) > 1 else "2026-04-01"), sort_keys=False, width=110))
