"""Microsoft.ManagedIdentity user-assigned identities: create, read, update, list, delete.

The swagger (msi stable 2023-01-31 / 2024-11-30) marks none of these long-running: a PUT
answers 201 (new) or 200 with the finished identity, a DELETE 200 (or 204 when there was
nothing to delete). Azure gives each identity a principal (its service principal's object id)
and a client id; both stay the same across updates.
"""
from __future__ import annotations

import copy

from aiohttp import web

from contract.emulator import principals
from contract.emulator.http import Call, Refused, answer, find_group, require_object, resource_not_found
from contract.emulator.state import JSON, Resource, normalize_location, obj

TYPE = principals.IDENTITY_TYPE
CREATE = "UserAssignedIdentities_CreateOrUpdate"
UPDATE = "UserAssignedIdentities_Update"


def identity_id(subscription: str, group: str, name: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{TYPE}/{name}"


def _id(call: Call) -> str:
    return identity_id(call.params["subscriptionId"], call.params["resourceGroupName"], call.params["resourceName"])


def _missing(call: Call) -> Refused:
    return resource_not_found(TYPE, call.params["resourceName"], call.params["resourceGroupName"])


def _model(call: Call, body: JSON, existing: Resource | None) -> JSON:
    """The stored identity: ARM's envelope, the body's location and tags, the server's ids kept."""
    group = find_group(call)
    before = obj(existing.model.get("properties")) if existing is not None else {}
    props: JSON = {
        "tenantId": principals.TENANT_ID,
        "principalId": before.get("principalId") or principals.new_principal(),
        "clientId": before.get("clientId") or principals.new_principal(),
    }
    scope = obj(body.get("properties")).get("isolationScope") or before.get("isolationScope")
    if scope is not None:
        props["isolationScope"] = scope
    location = body.get("location") or (existing.model.get("location") if existing is not None else "")
    return {
        "id": identity_id(call.params["subscriptionId"], group.name, existing.model["name"] if existing
                          else call.params["resourceName"]),
        "name": existing.model["name"] if existing is not None else call.params["resourceName"],
        "type": TYPE,
        "location": normalize_location(str(location)),
        "tags": copy.deepcopy(body.get("tags") if isinstance(body.get("tags"), dict)
                              else (existing.model.get("tags", {}) if existing is not None else {})),
        "properties": props,
    }


def put_identity(call: Call) -> web.Response:
    find_group(call)
    require_object(call.body, "user assigned identity")
    call.check(CREATE, call.body)
    existing = call.store.resource(_id(call))
    model = _model(call, call.body, existing)
    call.store.put_resource(Resource(id=model["id"], type=TYPE, model=model))
    return answer(200 if existing is not None else 201, model, write=True)


def patch_identity(call: Call) -> web.Response:
    find_group(call)
    existing = call.store.resource(_id(call))
    if existing is None:
        raise _missing(call)
    require_object(call.body, "user assigned identity update")
    call.check(UPDATE, call.body)
    body = {"location": existing.model.get("location"), **{k: v for k, v in call.body.items() if v is not None}}
    if "tags" not in call.body:
        body["tags"] = existing.model.get("tags", {})
    model = _model(call, body, existing)
    call.store.put_resource(Resource(id=model["id"], type=TYPE, model=model))
    return answer(200, model, write=True)


def get_identity(call: Call) -> web.Response:
    find_group(call)
    existing = call.store.resource(_id(call))
    if existing is None:
        raise _missing(call)
    return answer(200, existing.model)


def delete_identity(call: Call) -> web.Response:
    """Azure lets an identity go while a scale set still names it (the swagger documents no
    refusal; the assignment dangles): the scale set keeps its reference."""
    find_group(call)
    existing = call.store.resource(_id(call))
    if existing is None:
        return answer(204, write=True)
    call.store.delete_resource(existing.id)
    return answer(200, write=True)


def list_identities(call: Call) -> web.Response:
    subscription = call.params["subscriptionId"]
    prefix = f"/subscriptions/{subscription}/"
    if "resourceGroupName" in call.params:
        group = find_group(call)
        prefix = f"/subscriptions/{subscription}/resourceGroups/{group.name}/"
    items = [r.model for r in call.store.resources(prefix=prefix, type=TYPE)]
    return answer(200, {"value": items})


def find(call: Call, resource_id: str) -> Resource | None:
    """The user-assigned identity an ARM id names (case-insensitive), if it exists."""
    found = call.store.resource(resource_id)
    return found if found is not None and found.type.lower() == TYPE.lower() else None


HANDLERS = {
    "UserAssignedIdentities_CreateOrUpdate": put_identity,
    "UserAssignedIdentities_Update": patch_identity,
    "UserAssignedIdentities_Get": get_identity,
    "UserAssignedIdentities_Delete": delete_identity,
    "UserAssignedIdentities_ListByResourceGroup": list_identities,
    "UserAssignedIdentities_ListBySubscription": list_identities,
}
