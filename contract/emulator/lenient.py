"""Read a request body the way Azure reads it, then answer with Azure's canonical values.

ARM's compute front end deserializes request bodies leniently (Json.NET), and real clients
rely on it. Each leniency here is one seen in real traffic that Azure accepted:

- enum values in any case: the CLI's scale set template sends `"upgradePolicy": {"mode": "manual"}`
  and Azure answers `"Manual"` (tests/data/recordings/test_vmss_create_and_modify.yaml, interactions 10/15);
- booleans sent as strings: the same template sends a NIC configuration's `"primary": "true"` and Azure
  answers `true`; integers as strings likewise (its load balancer sends `"frontendPortRangeStart": "50000"`);
- `null` for a member on create means "not given": the same template sends `"singlePlacementGroup": null`
  and `"managedDisk": {"storageAccountType": null}`, and Azure fills in its defaults (`true`, `Premium_LRS`);
- identity types with or without the space after the comma (`"SystemAssigned,UserAssigned"`): the
  swagger's enum is `"SystemAssigned, UserAssigned"`, and az sends both spellings over the years;
- member names in another case (`"Location"`, `"Sku"`): Json.NET matches names case-insensitively.

The walk follows the operation's request schema, so only members the contract knows are touched,
and the strict checks that follow (schema, rules) see the canonical body.
"""
from __future__ import annotations

import re
from typing import Any

from contract.specs import Spec

_SPACES = re.compile(r"\s+")
_INTEGER = re.compile(r"^[+-]?\d+$")


def _fold(value: str) -> str:
    return _SPACES.sub("", value).lower()


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _scalar(value: Any, schema: dict[str, Any]) -> Any:
    types = _types(schema)
    if isinstance(value, str):
        enum = schema.get("enum")
        if isinstance(enum, list) and value not in enum:
            folded = _fold(value)
            for choice in enum:
                if isinstance(choice, str) and _fold(choice) == folded:
                    return choice
        if "boolean" in types and "string" not in types and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if "integer" in types and "string" not in types and _INTEGER.match(value.strip()):
            return int(value.strip())
    return value


def normalize(value: Any, schema: Any, *, drop_nulls: bool) -> Any:
    """`value` read as Azure reads it under `schema` (a resolved JSON Schema); input is not changed.

    `drop_nulls`: a null member means absent (PUT). PATCH keeps them: there a null removes (RFC 7396).
    """
    if not isinstance(schema, dict):
        return value
    for key in ("allOf", "anyOf", "oneOf"):  # merged views: take the first branch that describes members
        branches = schema.get(key)
        if isinstance(branches, list) and not schema.get("properties"):
            for branch in branches:
                if isinstance(branch, dict) and (branch.get("properties") or branch.get("enum") or branch.get("type")):
                    schema = {**branch, **{k: v for k, v in schema.items() if k != key}}
                    break
    if isinstance(value, dict):
        members = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        by_fold = {name.lower(): name for name in members}
        extra = schema.get("additionalProperties")
        out: dict[str, Any] = {}
        for name, item in value.items():
            if item is None and drop_nulls:
                continue
            canonical = name if name in members else by_fold.get(name.lower(), name)
            if canonical in out and canonical != name:
                canonical = name  # both spellings sent: keep each as given, the schema check decides
            sub = members.get(canonical, extra if isinstance(extra, dict) else None)
            out[canonical] = normalize(item, sub, drop_nulls=drop_nulls) if item is not None else None
        return out
    if isinstance(value, list):
        items = schema.get("items")
        return [normalize(v, items, drop_nulls=drop_nulls) for v in value]
    return _scalar(value, schema)


def without_nulls(value: Any) -> Any:
    """The body as schema validation should see a merge patch: nulls (removals) left out."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def read_body(spec: Spec, operation_id: str, body: Any, *, patch: bool = False) -> Any:
    """The request body of `operation_id` read leniently (unknown operation: unchanged)."""
    if operation_id not in spec.operations or not isinstance(body, (dict, list)):
        return body
    return normalize(body, _schema(spec, operation_id), drop_nulls=not patch)


_CACHE: dict[tuple[int, str], tuple[Spec, Any]] = {}  # the Spec is kept so its id is never reused


def _schema(spec: Spec, operation_id: str) -> Any:
    key = (id(spec), operation_id)
    if key not in _CACHE:
        _CACHE[key] = (spec, spec.request_schema(operation_id))
    return _CACHE[key][1]
