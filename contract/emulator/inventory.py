"""What a subscription or a resource group holds: ARM's generic resource lists.

`GET /subscriptions/{s}/resources` and `.../resourceGroups/{g}/resources` (Resources_List,
Resources_ListByResourceGroup) list every top-level resource the emulator holds, whatever its provider:
scale sets and the generic store's resources (networks, identities...). Child resources (subnets, a
scale set's VMs) are not listed, as ARM lists tracked top-level resources only. `$filter` is
`contract.emulator.odata`'s; `$expand` adds createdTime / changedTime / provisioningState; `$top` cuts; long lists page (`nextLink`).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from contract.emulator import query
from contract.emulator.http import Call, answer, find_group
from contract.emulator.odata import FilterError, parse_filter, resource_group_of
from contract.servers import arm_error

# Members a list entry carries (resources.json GenericResourceExpanded without `properties`).
_LISTED = ("id", "name", "type", "location", "extendedLocation", "tags", "plan", "kind", "managedBy", "sku",
           "identity", "zones")
_EXPANDABLE = ("createdTime", "changedTime", "provisioningState")


def _entry(model: dict[str, Any], expand: set[str]) -> dict[str, Any]:
    entry = {k: model[k] for k in _LISTED if model.get(k) is not None}
    entry.setdefault("tags", {})  # always there, `{}` when empty (test_vmss_create_linux_secrets.yaml)
    properties = model.get("properties") if isinstance(model.get("properties"), dict) else {}
    if "provisioningstate" in expand and "provisioningState" in properties:
        entry["provisioningState"] = properties["provisioningState"]
    for name in ("createdTime", "changedTime"):
        stamp = properties.get("timeCreated")
        if name.lower() in expand and stamp:
            entry[name] = stamp
    return entry


def _is_top_level(resource_type: str) -> bool:
    return resource_type.count("/") == 1  # Namespace/type, not Namespace/type/child


def held_resources(call: Call, subscription: str, group: str | None = None) -> list[dict[str, Any]]:
    """Models of every top-level resource in the subscription (or the group), scale sets included."""
    models: dict[str, dict[str, Any]] = {}
    for vmss in call.store.list_scale_sets(subscription, group):
        model = dict(vmss.model)
        model.update({"id": vmss.id, "name": vmss.name, "type": "Microsoft.Compute/virtualMachineScaleSets"})
        models[vmss.id.lower()] = model
    prefix = f"/subscriptions/{subscription}/resourceGroups/{group}/" if group else f"/subscriptions/{subscription}/"
    for resource in call.store.resources(prefix=prefix):
        if _is_top_level(resource.type) and resource.id.lower() not in models:
            model = dict(resource.model)
            model.setdefault("id", resource.id)
            model.setdefault("type", resource.type)
            model.setdefault("name", resource.id.rstrip("/").rsplit("/", 1)[-1])
            models[resource.id.lower()] = model
    return list(models.values())


def _list(call: Call, group: str | None) -> web.Response:
    subscription = call.params["subscriptionId"]
    text = call.query("$filter")
    try:
        keep = parse_filter(text)
    except FilterError:
        return arm_error(400, "InvalidFilterInQueryString", f"Invalid $filter '{text}' specified in the query string.")
    top_text = call.query("$top")
    top: int | None = None
    if top_text is not None:
        if not top_text.isdigit():
            return arm_error(400, "InvalidParameter", f"The $top value '{top_text}' is not a non-negative integer.",
                             target="$top")
        top = int(top_text)
    expand = {v.strip().lower() for v in (call.query("$expand") or "").split(",") if v.strip()}
    entries = [_entry(m, expand) for m in held_resources(call, subscription, group)]
    entries = [e for e in entries if keep(e)]
    entries.sort(key=lambda e: (resource_group_of(str(e["id"])).lower(), str(e["type"]).lower(), str(e["name"]).lower()))
    return answer(200, query.page(call, entries[:top] if top is not None else entries))


def list_resources(call: Call) -> web.Response:
    return _list(call, None)


def list_group_resources(call: Call) -> web.Response:
    find_group(call)
    return _list(call, call.params["resourceGroupName"])


HANDLERS = {
    "Resources_List": list_resources,
    "Resources_ListByResourceGroup": list_group_resources,
}
