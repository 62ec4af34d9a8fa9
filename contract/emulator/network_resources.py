"""Microsoft.Network handlers: CreateOrUpdate, Get, Delete, UpdateTags and the lists, for every
`Kind` in `network_kinds`, on the shared generic resource store.

ARM semantics as Network answers them (official swagger 2025-05-01, public recordings):
PUT answers 201 (new) or 200 with the resource in provisioningState `Updating` and an
`Azure-AsyncOperation` at `.../providers/Microsoft.Network/locations/{loc}/operations/{id}`;
DELETE answers 202 with that and a `Location` at `.../operationResults/{id}`, or 204 when
there was nothing to delete; a missing resource is 404 `ResourceNotFound` as ARM words it.
Child resources (subnets, security rules, pools, NAT rules...) live inline in their parent's
model and are also served on their own paths. Every write is checked first (schema, then
referential integrity in `references`) and only then changes state.
"""
from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from aiohttp import web

from contract.emulator import lenient, references
from contract.emulator.http import (Call, Refused, answer, find_group, polled_operation, require_object,
                                   resource_not_found)
from contract.emulator.lro import POLL_HINT, Operation
from contract.emulator.network_defaults import fill, fill_child, new_etag, set_state, settle
from contract.emulator.network_kinds import BY_TYPE, KINDS, Kind
from contract.emulator.state import JSON, Resource, normalize_location, obj, objs
from contract.servers import arm_error


# ----------------------------------------------------------------------------- ids and look-ups

def group_id(call: Call) -> str:
    return f"/subscriptions/{call.params['subscriptionId']}/resourceGroups/{call.params['resourceGroupName']}"


def resource_id(call: Call, kind: Kind) -> str:
    """The id of the top-level resource the path names (the parent, for a child kind)."""
    top = kind.parent or kind
    return f"{group_id(call)}/providers/{top.type}/{call.params[top.name_param]}"


def _missing(call: Call, kind: Kind) -> Refused:
    top = kind.parent or kind
    return resource_not_found(top.type, call.params[top.name_param], call.params["resourceGroupName"])


def find(call: Call, kind: Kind) -> Resource:
    """The top-level resource of the path, or ARM's 404 (the group's first, as ARM checks it first)."""
    find_group(call)
    found = call.store.resource(resource_id(call, kind))
    if found is None:
        raise _missing(call, kind)
    return found


def _child_index(parent: Resource, kind: Kind, name: str) -> int | None:
    for index, item in enumerate(objs(obj(parent.model.get("properties")).get(kind.member))):
        if str(item.get("name", "")).lower() == name.lower():
            return index
    return None


def _child_missing(call: Call, parent: Resource, kind: Kind) -> Refused:
    return Refused(arm_error(404, "NotFound", f"Resource {parent.id}/{kind.member}/"
                                              f"{call.params[kind.name_param]} not found."))


# ----------------------------------------------------------------------------- LRO

def begin(call: Call, kind: Kind, rid: str, location: str) -> Operation:
    """An operation whose completion sets the resource (and its children) Succeeded."""
    def settle_state() -> None:
        current = call.store.resource(rid)
        if current is not None and current.model.get("etag") == etag:
            set_state(kind, current.model, "Succeeded")

    current = call.store.resource(rid)
    etag = current.model.get("etag") if current is not None else None
    return call.emulator.operations.start(call.params["subscriptionId"], normalize_location(location) or "global",
                                          settle_state)


def lro_headers(call: Call, op: Operation, *, location: bool) -> dict[str, str]:
    base = (f"{call.origin}/subscriptions/{op.subscription}/providers/Microsoft.Network/locations/"
            f"{quote(op.location)}")
    version = quote(call.api.requested)
    headers = {"Azure-AsyncOperation": f"{base}/operations/{op.id}?api-version={version}", **POLL_HINT}
    if location:
        headers["Location"] = f"{base}/operationResults/{op.id}?api-version={version}"
    return headers


def get_operation_status(call: Call) -> web.Response:
    """Network's Azure-AsyncOperation poll: `{"status": ...}`, InProgress until the operation is done."""
    op = polled_operation(call)
    status = op.status if op.done else "InProgress"
    return answer(200, {"status": status}, headers={} if op.done else dict(POLL_HINT))


def get_operation_result(call: Call) -> web.Response:
    """Network's Location poll: 202 while the operation runs, then 204 (a delete has no result body)."""
    op = polled_operation(call)
    if op.done:
        return answer(204)
    return answer(202, headers={"Location": str(call.request.url), **POLL_HINT})


# ----------------------------------------------------------------------------- views

def view(call: Call, kind: Kind, model: JSON) -> JSON:
    """What Azure answers for a stored model: a copy with back-references as they are now."""
    out = copy.deepcopy(model)
    references.decorate(call.store, kind, out)
    return out


def _list_answer(items: list[JSON]) -> web.Response:
    return answer(200, {"value": items})


# ----------------------------------------------------------------------------- top-level resources

def _accepted(call: Call, kind: Kind, operation_id: str) -> JSON:
    """The write's body read as Azure reads it (`lenient`: "50000" for an integer, `Port` for `port`,
    both seen in the recordings' templates), once the schema accepts it."""
    require_object(call.body, kind.type)
    body: JSON = lenient.read_body(call.contract.spec, operation_id, call.body)
    call.check(operation_id, body)
    clean: JSON = call.contract.without_secrets(body)
    return clean


def put_resource(call: Call, kind: Kind) -> web.Response:
    group = find_group(call)
    body = _accepted(call, kind, f"{kind.prefix}_CreateOrUpdate")
    rid = resource_id(call, kind)
    existing = call.store.resource(rid)
    location = body.get("location") or (existing.model.get("location") if existing else None) or group.location
    if not isinstance(location, str) or not location.strip():
        raise Refused(arm_error(400, "LocationRequired", "The location property is required for this definition.",
                                target="location"))
    model: JSON = {k: v for k, v in body.items() if k not in ("id", "name", "type", "etag")}
    model["location"] = location
    model.setdefault("properties", {})
    if not isinstance(model["properties"], dict):
        raise Refused(arm_error(400, "InvalidRequestFormat", "Cannot parse the request: 'properties' must be an "
                                                             "object.", target="properties"))
    fill(kind, model, rid, existing.model if existing else None)
    settle(kind, model, rid, new_etag(), "Updating")
    references.check_network_write(call.store, kind, model, existing.model if existing else None)
    call.store.put_resource(Resource(id=rid, type=kind.type, model=model))
    op = begin(call, kind, rid, location)
    return answer(200 if existing else 201, view(call, kind, model), write=True,
                  headers=lro_headers(call, op, location=False))


def get_resource(call: Call, kind: Kind) -> web.Response:
    found = find(call, kind)
    return answer(200, view(call, kind, found.model))


def delete_resource(call: Call, kind: Kind) -> web.Response:
    find_group(call)
    rid = resource_id(call, kind)
    found = call.store.resource(rid)
    if found is None:
        return answer(204)  # Network: deleting what is not there is not an error
    references.check_delete(call.store, kind, found.model)
    call.store.delete_resource(rid)
    op = call.emulator.operations.start(call.params["subscriptionId"],
                                        normalize_location(str(found.model.get("location", ""))) or "global")
    return answer(202, write=True, headers=lro_headers(call, op, location=True))


def update_tags(call: Call, kind: Kind) -> web.Response:
    found = find(call, kind)
    require_object(call.body, "tags object")
    call.check(f"{kind.prefix}_UpdateTags", call.body)
    tags = call.body.get("tags")
    if tags is not None:
        found.model["tags"] = dict(tags)
    found.model["etag"] = new_etag()
    return answer(200, view(call, kind, found.model), write=True)


def list_resources(call: Call, kind: Kind) -> web.Response:
    if "resourceGroupName" in call.params:
        find_group(call)
        prefix = group_id(call)
    else:
        prefix = f"/subscriptions/{call.params['subscriptionId']}"
    items = call.store.resources(prefix=prefix, type=kind.type)
    return _list_answer([view(call, kind, r.model) for r in items])


# ----------------------------------------------------------------------------- child resources

def put_child(call: Call, kind: Kind) -> web.Response:
    parent = find(call, kind)
    if isinstance(call.body, dict) and "location" in call.body:
        # A child (subnet, NAT rule...) has no location of its own; Azure ignores one sent: the `az vmss create`
        # templates of test_vmss_simple_placement.yaml / test_quick_create_flexible_vmss.yaml give their
        # loadBalancers/inboundNatRules a location, and Azure deployed them.
        call.body = {k: v for k, v in call.body.items() if k != "location"}
    body = _accepted(call, kind, f"{kind.prefix}_CreateOrUpdate")
    name = call.params[kind.name_param]
    item: JSON = {k: v for k, v in body.items() if k not in ("id", "type", "etag")}
    item["name"] = name
    if not isinstance(item.setdefault("properties", {}), dict):
        raise Refused(arm_error(400, "InvalidRequestFormat", "Cannot parse the request: 'properties' must be an "
                                                             "object.", target="properties"))
    fill_child(kind, item)
    model = copy.deepcopy(parent.model)
    items = model["properties"].setdefault(kind.member, [])
    index = _child_index(parent, kind, name)
    if index is None:
        items.append(item)
    else:
        items[index] = item
    top = BY_TYPE[kind.parent.type.lower()] if kind.parent else kind
    settle(top, model, parent.id, new_etag(), "Updating")
    references.check_network_write(call.store, top, model, parent.model)
    call.store.put_resource(Resource(id=parent.id, type=top.type, model=model))
    op = begin(call, top, parent.id, str(model.get("location", "")))
    stored = model["properties"][kind.member][index if index is not None else len(items) - 1]
    return answer(201 if index is None else 200, view(call, kind, stored), write=True,
                  headers=lro_headers(call, op, location=False))


def get_child(call: Call, kind: Kind) -> web.Response:
    parent = find(call, kind)
    index = _child_index(parent, kind, call.params[kind.name_param])
    if index is None:
        raise _child_missing(call, parent, kind)
    item = parent.model["properties"][kind.member][index]
    return answer(200, view(call, kind, item))


def delete_child(call: Call, kind: Kind) -> web.Response:
    parent = find(call, kind)
    index = _child_index(parent, kind, call.params[kind.name_param])
    if index is None:
        return answer(204)
    item = parent.model["properties"][kind.member][index]
    references.check_delete(call.store, kind, item)
    top = BY_TYPE[kind.parent.type.lower()] if kind.parent else kind
    model = copy.deepcopy(parent.model)
    del model["properties"][kind.member][index]
    settle(top, model, parent.id, new_etag(), str(obj(parent.model.get("properties")).get("provisioningState",
                                                                                             "Succeeded")))
    call.store.put_resource(Resource(id=parent.id, type=top.type, model=model))
    op = call.emulator.operations.start(call.params["subscriptionId"],
                                        normalize_location(str(model.get("location", ""))) or "global")
    return answer(202, write=True, headers=lro_headers(call, op, location=True))


def list_children(call: Call, kind: Kind) -> web.Response:
    parent = find(call, kind)
    items = objs(obj(parent.model.get("properties")).get(kind.member))
    return _list_answer([view(call, kind, item) for item in items])


# ----------------------------------------------------------------------------- the operationId table

def _bind(handler: Any, kind: Kind) -> Any:
    def bound(call: Call) -> web.Response:
        return handler(call, kind)
    bound.__name__ = f"{handler.__name__}_{kind.prefix}"
    return bound


def _handlers() -> dict[str, Any]:
    table: dict[str, Any] = {
        "NetworkOperationStatus_Get": get_operation_status,
        "NetworkOperationResults_Get": get_operation_result,
    }
    for top in KINDS:
        table[f"{top.prefix}_CreateOrUpdate"] = _bind(put_resource, top)
        table[f"{top.prefix}_Get"] = _bind(get_resource, top)
        table[f"{top.prefix}_Delete"] = _bind(delete_resource, top)
        table[f"{top.prefix}_UpdateTags"] = _bind(update_tags, top)
        table[f"{top.prefix}_List"] = _bind(list_resources, top)
        table[f"{top.prefix}_ListAll"] = _bind(list_resources, top)
        for kid in top.children:
            if not kid.prefix:
                continue
            table[f"{kid.prefix}_Get"] = _bind(get_child, kid)
            table[f"{kid.prefix}_List"] = _bind(list_children, kid)
            if kid.prefix not in _READ_ONLY_CHILDREN:
                table[f"{kid.prefix}_CreateOrUpdate"] = _bind(put_child, kid)
                table[f"{kid.prefix}_Delete"] = _bind(delete_child, kid)
    return table


# The swagger serves these load balancer children read-only (they change with the load balancer).
_READ_ONLY_CHILDREN = frozenset({"LoadBalancerFrontendIPConfigurations", "LoadBalancerProbes",
                                 "LoadBalancerLoadBalancingRules"})
HANDLERS: dict[str, Any] = _handlers()
