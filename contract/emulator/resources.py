"""ARM itself: resource groups (Microsoft.Resources) and the compute operation-status resources."""
from __future__ import annotations

from aiohttp import web

from contract.emulator.http import Call, answer, find_group, polled_operation, require_object
from contract.emulator.lro import POLL_HINT, result_url
from contract.emulator.state import ResourceGroup
from contract.servers import arm_error


def put_group(call: Call) -> web.Response:
    require_object(call.body, "resource group")
    location = call.body.get("location")
    if not isinstance(location, str) or not location.strip():
        return arm_error(400, "LocationRequired", "The location property is required for this definition.",
                         target="location")
    tags = call.body.get("tags") or {}
    if not isinstance(tags, dict):
        return arm_error(400, "InvalidParameter", "Tags must be an object of strings.", target="tags")
    existing = call.store.group(call.params["subscriptionId"], call.params["resourceGroupName"])
    managed_by = call.body.get("managedBy") if isinstance(call.body.get("managedBy"), str) else None
    if existing is not None:
        existing.tags = dict(tags)
        existing.managed_by = managed_by
        return answer(200, existing.view(), write=True)
    group = ResourceGroup(subscription=call.params["subscriptionId"], name=call.params["resourceGroupName"],
                          location=location.replace(" ", "").lower(), tags=dict(tags), managed_by=managed_by)
    call.store.put_group(group)
    return answer(201, group.view(), write=True)


def update_group(call: Call) -> web.Response:
    """PATCH: members left out keep their value, tags given replace the group's tags (resources.json)."""
    group = find_group(call)
    require_object(call.body, "resource group")
    call.check("ResourceGroups_Update", call.body)
    tags = call.body.get("tags")
    if tags is not None:
        group.tags = dict(tags)
    if call.body.get("managedBy") is not None:
        group.managed_by = str(call.body["managedBy"])
    return answer(200, group.view(), write=True)


def get_group(call: Call) -> web.Response:
    group = find_group(call)
    if call.request.method == "HEAD":
        return answer(204)
    return answer(200, group.view())


def list_groups(call: Call) -> web.Response:
    groups = [g.view() for g in call.store.groups.values() if g.subscription.lower() == call.params["subscriptionId"].lower()]
    return answer(200, {"value": groups})


def delete_group(call: Call) -> web.Response:
    """Deleting a group deletes what is in it; 202 with a Location ARM's poller follows."""
    group = find_group(call)
    call.store.delete_group(group.subscription, group.name)
    op = call.emulator.operations.start(call.params["subscriptionId"], group.location)
    return answer(202, write=True, headers={"Location": result_url(call.origin, op, call.api.requested), **POLL_HINT})


def get_operation_result(call: Call) -> web.Response:
    """Microsoft.Resources' Location poll: 202 while running, 200 once done."""
    op = polled_operation(call)
    if op.done:
        return answer(200, op.result)  # a what-if's WhatIfOperationResult; nothing for the others
    return answer(202, headers={"Location": str(call.request.url), **POLL_HINT})


def get_operation_status(call: Call) -> web.Response:
    """`.../locations/{loc}/operations/{id}`: status JSON; with `monitor=true`, the empty final answer."""
    op = polled_operation(call)
    if (call.query("monitor") or "").lower() == "true":
        if op.done:
            return answer(200, op.result)
        return answer(202, headers={"Location": str(call.request.url), **POLL_HINT})
    headers = {} if op.done else dict(POLL_HINT)
    return answer(200, op.view(), headers=headers)


HANDLERS = {
    "ResourceGroups_CreateOrUpdate": put_group,
    "ResourceGroups_Get": get_group,
    "ResourceGroups_CheckExistence": get_group,
    "ResourceGroups_List": list_groups,
    "ResourceGroups_Delete": delete_group,
    "ResourceGroups_Update": update_group,
    "OperationResults_Get": get_operation_result,
    "OperationStatus_Get": get_operation_status,
}
