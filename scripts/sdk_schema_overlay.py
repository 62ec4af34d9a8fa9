"""Derive a `x-schema-versions` overlay for specs/vmss.openapi.yaml from azure-mgmt-compute's models.

azure-mgmt-compute is generated from the official Compute specification, so its models say which wire
members an api-version has. For every component of our spec that the SDK has a model of the same name,
the members the SDK knows and our schema (with the older overlays) lacks become overlay properties,
typed from the SDK's annotations. Run it with the SDK version the overlay names, review, paste:

    python scripts/sdk_schema_overlay.py 2026-04-01 > /tmp/overlay.yaml
"""
from __future__ import annotations

import datetime
import enum
import sys
import typing
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
MAX_DEPTH = 6


def _sdk() -> tuple[Any, dict[str, Any], str]:
    from azure.mgmt.compute import _version, models
    from azure.mgmt.compute.models import _models

    return models, {**vars(sys.modules[_models.__name__]), "_models": models}, _version.VERSION


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
