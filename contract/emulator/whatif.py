"""Deployments_WhatIf: what a deployment would change, predicted with the same plan a PUT would run.

The template is validated and planned exactly as for a deployment (`deployment_engine.validate`:
the template language, the parameters, dependsOn and implicit dependencies, the resource types
the emulator serves), then nothing is written: each planned resource is read through the same
GET handler a client's GET reaches, and compared with the body the deployment would PUT.

- Create: the resource does not exist (the GET answers 404); `after` is the body it would get.
- NoChange / Modify: it exists; `delta` lists every member the template sets whose value differs
  (`Create` for a member the resource lacks, `Modify` for a changed value, `Array` with `children`
  for a changed array). Members the template leaves out are not compared: the emulator cannot tell
  which of them a PUT would reset and which are server-set (ARM's own what-if reports these as
  noise, and its documentation says to expect it). `after` is `before` with the template's members
  laid over it (objects merged, arrays replaced), the state a successful PUT leads to.
- Ignore (mode Incremental) / Delete (mode Complete): resources of the group the template does not name
  (resource-group scope; at subscription scope only the template's own resources are listed).
- Unsupported: a nested Microsoft.Resources/deployments resource (ARM expands it; the emulator's
  what-if does not).

A member whose expressions cannot be evaluated before deploying (a reference() to a resource this
same deployment would create) keeps its template text, as ARM's what-if shows it. Values of secure
parameters never appear in `after` or `delta`. ResultFormat ResourceIdOnly keeps only resourceId and
changeType. Source of the shape: resources.json WhatIfOperationResult / WhatIfChange /
WhatIfPropertyChange (2025-04-01).
"""
from __future__ import annotations

import copy
from typing import Any

from contract.emulator.deployment_engine import DEPLOYMENT_TYPE, Gateway, delete_version
from contract.templates import Plan

_SNAPSHOT_KEYS = ("id", "name", "type", "apiVersion")


def what_if(plan: Plan, gateway: Gateway, subscription: str, group: str, mode: str,
            result_format: str = "FullResourcePayloads") -> dict[str, Any]:
    """The WhatIfOperationResult of deploying `plan` into the group now."""
    secrets = [v for v in plan.secret_values() if isinstance(v, str) and v]
    changes: list[dict[str, Any]] = []
    named: set[str] = set()
    for inst in plan.instances:
        named.add(inst.id.lower())
        if inst.type.lower() == DEPLOYMENT_TYPE.lower():
            changes.append({"resourceId": inst.id, "changeType": "Unsupported",
                            "unsupportedReason": "The emulator's what-if does not expand nested deployments."})
            continue
        body, _ = plan.evaluate_lenient(inst)
        desired = _without_secrets({"id": inst.id, "name": inst.name, "type": inst.type,
                                    "apiVersion": inst.api_version, **body}, secrets)
        reply = gateway.call("GET", inst.id, inst.api_version, None)
        if reply.status == 404 or not isinstance(reply.body, dict):
            changes.append({"resourceId": inst.id, "changeType": "Create", "after": desired})
            continue
        before = {"apiVersion": inst.api_version, **reply.body}
        delta = diff(before, {k: v for k, v in desired.items() if k not in _SNAPSHOT_KEYS})
        changes.append({"resourceId": inst.id, "changeType": "Modify" if delta else "NoChange",
                        "before": before, "after": overlay(before, desired), **({"delta": delta} if delta else {})})
    versions = {i.type.lower(): i.api_version for i in plan.instances}
    for rid, rtype in gateway.resources_in(subscription, group) if group else ():  # a group's own resources
        if rid.lower() in named:
            continue
        version = versions.get(rtype.lower()) or delete_version(rtype)
        reply = gateway.call("GET", rid, version, None)
        before = reply.body if reply.status < 400 and isinstance(reply.body, dict) else None
        change: dict[str, Any] = {"resourceId": rid,
                                  "changeType": "Delete" if mode.lower() == "complete" else "Ignore"}
        if before is not None:
            change["before"] = before
        changes.append(change)
    if result_format == "ResourceIdOnly":
        changes = [{"resourceId": c["resourceId"], "changeType": c["changeType"]} for c in changes]
    return {"status": "Succeeded", "properties": {"changes": changes}}


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """WhatIfPropertyChanges for the members `after` sets (paths like `properties.sku.capacity`)."""
    if isinstance(after, dict) and isinstance(before, dict):
        out: list[dict[str, Any]] = []
        for key, value in after.items():
            where = f"{path}.{key}" if path else key
            found = _member(before, key)
            if found is _ABSENT:
                out.append({"path": where, "propertyChangeType": "Create", "after": value})
            else:
                out.extend(diff(found, value, where))
        return out
    if isinstance(after, list) and isinstance(before, list):
        children: list[dict[str, Any]] = []
        for i in range(max(len(before), len(after))):
            if i >= len(before):
                children.append({"path": str(i), "propertyChangeType": "Create", "after": after[i]})
            elif i >= len(after):
                children.append({"path": str(i), "propertyChangeType": "Delete", "before": before[i]})
            else:
                inner = diff(before[i], after[i])
                if not inner:
                    continue
                if isinstance(after[i], (dict, list)) and isinstance(before[i], type(after[i])):
                    children.append({"path": str(i), "propertyChangeType": "Modify", "children": inner})
                else:
                    children.append({"path": str(i), "propertyChangeType": "Modify", "before": before[i],
                                     "after": after[i]})
        return [{"path": path, "propertyChangeType": "Array", "children": children}] if children else []
    if _same(before, after, path):
        return []
    return [{"path": path, "propertyChangeType": "Modify", "before": before, "after": after}]


def overlay(before: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """`before` with `desired`'s members laid over it: objects merge, anything else replaces."""
    out = copy.deepcopy(before)
    for key, value in desired.items():
        found = _member(out, key)
        name = next((k for k in out if k.lower() == key.lower()), key)
        if isinstance(value, dict) and isinstance(found, dict):
            out[name] = overlay(found, value)
        else:
            out[name] = copy.deepcopy(value)
    return out


_ABSENT = object()


def _member(mapping: dict[str, Any], key: str) -> Any:
    """ARM member names are case-insensitive."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if name.lower() == lowered:
            return value
    return _ABSENT


def _same(before: Any, after: Any, path: str) -> bool:
    if before == after:
        return True
    if isinstance(before, str) and isinstance(after, str):
        if path.rsplit(".", 1)[-1].lower() == "location":  # "West US" and "westus" are one region
            return before.replace(" ", "").lower() == after.replace(" ", "").lower()
        if before.startswith("/subscriptions/") and after.startswith("/subscriptions/"):
            return before.lower() == after.lower()  # ARM resource ids are case-insensitive
    return False


def _without_secrets(value: Any, secrets: list[str]) -> Any:
    """`value` less every member whose value is a secure parameter's value."""
    if not secrets:
        return value
    if isinstance(value, dict):
        return {k: _without_secrets(v, secrets) for k, v in value.items() if not (isinstance(v, str) and v in secrets)}
    if isinstance(value, list):
        return [_without_secrets(v, secrets) for v in value if not (isinstance(v, str) and v in secrets)]
    return value
