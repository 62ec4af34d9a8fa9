"""Microsoft.Authorization role assignments (at any scope) and the built-in role definitions.

A role assignment is an extension resource: its id is `/{scope}/providers/Microsoft.Authorization/
roleAssignments/{name}`, so it lives in the generic store under its scope and goes with the scope's
resource group. Refusals (rules.yaml, each with its source):
- a principal the emulator's directory does not know: 400 PrincipalNotFound;
- a role definition that does not exist: 400 RoleDefinitionDoesNotExist;
- the same (scope, role, principal) under another name: 409 RoleAssignmentExists.
"""
from __future__ import annotations

import re

from aiohttp import web

from contract.emulator import principals, roles
from contract.emulator.http import Call, Refused, answer, require_object
from contract.emulator.state import JSON, Resource, now_iso, obj
from contract.servers import arm_error

TYPE = "Microsoft.Authorization/roleAssignments"
CREATE = "RoleAssignments_Create"
_GROUP = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)", re.IGNORECASE)
_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)
_EQ = re.compile(r"(\w+)\s+eq\s+'([^']*)'", re.IGNORECASE)


def _scope(call: Call) -> str:
    """The scope as an ARM id: `/subscriptions/s`, a group's or a resource's id (no trailing slash)."""
    if "scope" in call.params:
        return "/" + call.params["scope"].strip("/")
    scope = f"/subscriptions/{call.params['subscriptionId']}"
    if "resourceGroupName" in call.params:
        scope += f"/resourceGroups/{call.params['resourceGroupName']}"
    return scope


def _subscription(scope: str) -> str | None:
    m = _SUBSCRIPTION.match(scope)
    return m.group(1) if m else None


def _assignment_id(scope: str, name: str) -> str:
    return f"{scope}/providers/{TYPE}/{name}"


def _check_scope_group(call: Call, scope: str) -> None:
    """A scope inside a resource group that does not exist is ARM's 404 ResourceGroupNotFound."""
    m = _GROUP.match(scope)
    if m and call.store.group(m.group(1), m.group(2)) is None:
        raise Refused(arm_error(404, "ResourceGroupNotFound", f"Resource group '{m.group(2)}' could not be found."))


def _missing(name: str) -> Refused:
    return Refused(arm_error(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found."))


# ----------------------------------------------------------------------------- role assignments

def put_assignment(call: Call) -> web.Response:
    scope = _scope(call)
    name = call.params["roleAssignmentName"]
    require_object(call.body, "role assignment")
    call.check(CREATE, call.body)
    _check_scope_group(call, scope)
    props = obj(call.body.get("properties"))
    definition = str(props.get("roleDefinitionId", ""))
    role = roles.find(definition.rstrip("/").rsplit("/", 1)[-1])
    if role is None:
        raise Refused(arm_error(400, "RoleDefinitionDoesNotExist",
                                f"The specified role definition with ID '{definition.rsplit('/', 1)[-1]}' does not exist."))
    principal = str(props.get("principalId", ""))
    if not principals.exists(call.store, principal, call.request.headers.get("Authorization")):
        raise Refused(arm_error(400, "PrincipalNotFound",
                                f"Principal {principal.replace('-', '')} does not exist in the directory "
                                f"{principals.TENANT_ID}. Check that you have the correct principal ID. If you are "
                                f"creating this principal and then immediately assigning a role, this error might be "
                                f"related to a replication delay. In this case, set the role assignment principalType "
                                f"property to a value, such as ServicePrincipal, User, or Group.  See "
                                f"https://aka.ms/docs-principaltype"))
    rid = _assignment_id(scope, name)
    existing = call.store.resource(rid)
    for other in call.store.resources(type=TYPE):
        p = obj(other.model.get("properties"))
        if (other.id.lower() != rid.lower() and str(p.get("scope", "")).lower() == scope.lower()
                and str(p.get("principalId", "")).lower() == principal.lower()
                and str(p.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower() == role.guid):
            raise Refused(arm_error(409, "RoleAssignmentExists", "The role assignment already exists."))
    stamp = now_iso()
    before = obj(existing.model.get("properties")) if existing is not None else {}
    model: JSON = {
        "properties": {
            "roleDefinitionId": roles.definition_id(_subscription(scope), role.guid),
            "principalId": principal,
            "principalType": props.get("principalType") or "ServicePrincipal",
            "scope": scope,
            "condition": props.get("condition"),
            "conditionVersion": props.get("conditionVersion"),
            "createdOn": before.get("createdOn", stamp),
            "updatedOn": stamp,
            "createdBy": None,
            "updatedBy": None,
            "delegatedManagedIdentityResourceId": props.get("delegatedManagedIdentityResourceId"),
            "description": props.get("description"),
        },
        "id": rid,
        "type": TYPE,
        "name": name,
    }
    model["properties"] = {k: v for k, v in model["properties"].items() if v is not None}  # unset members left out (not x-nullable in the swagger)
    call.store.put_resource(Resource(id=rid, type=TYPE, model=model))
    return answer(200 if existing is not None else 201, model, write=True)


def get_assignment(call: Call) -> web.Response:
    found = call.store.resource(_assignment_id(_scope(call), call.params["roleAssignmentName"]))
    if found is None:
        raise _missing(call.params["roleAssignmentName"])
    return answer(200, found.model)


def delete_assignment(call: Call) -> web.Response:
    found = call.store.resource(_assignment_id(_scope(call), call.params["roleAssignmentName"]))
    if found is None:
        return answer(204, write=True)
    call.store.delete_resource(found.id)
    return answer(200, found.model, write=True)


def _related(scope: str, other: str, at_scope: bool) -> bool:
    """Whether an assignment at `other` applies at `scope` (at or above it) or, unless `at_scope`, below it."""
    a, b = scope.lower().rstrip("/") + "/", other.lower().rstrip("/") + "/"
    return a.startswith(b) or (not at_scope and b.startswith(a))


def list_assignments(call: Call) -> web.Response:
    """Assignments at, above and below the scope; `$filter=atScope()` keeps at and above,
    `principalId eq '...'` one principal (the filters az and the SDKs send)."""
    scope = _scope(call)
    _check_scope_group(call, scope)
    query = call.query("$filter") or ""
    at_scope = "atscope()" in query.lower().replace(" ", "")
    wanted = {k.lower(): v.lower() for k, v in _EQ.findall(query)}
    items = []
    for resource in call.store.resources(prefix=f"/subscriptions/{_subscription(scope) or ''}", type=TYPE):
        props = obj(resource.model.get("properties"))
        if not _related(scope, str(props.get("scope", "")), at_scope):
            continue
        if "principalid" in wanted and str(props.get("principalId", "")).lower() != wanted["principalid"]:
            continue
        items.append(resource.model)
    return answer(200, {"value": items})


# ----------------------------------------------------------------------------- role definitions

def get_definition(call: Call) -> web.Response:
    role = roles.find(call.params["roleDefinitionId"])
    if role is None or role.guid != call.params["roleDefinitionId"].lower():
        raise Refused(arm_error(404, "RoleDefinitionDoesNotExist",
                                f"The role definition '{call.params['roleDefinitionId']}' could not be found."))
    return answer(200, roles.view(role, _subscription(_scope(call))))


def list_definitions(call: Call) -> web.Response:
    """Built-in roles; `$filter=roleName eq 'Contributor'` (how az finds a role by name)."""
    wanted = {k.lower(): v.lower() for k, v in _EQ.findall(call.query("$filter") or "")}
    subscription = _subscription(_scope(call))
    items = [roles.view(r, subscription) for r in roles.BUILT_IN
             if "rolename" not in wanted or r.name.lower() == wanted["rolename"]]
    return answer(200, {"value": items})


HANDLERS = {
    "RoleAssignments_Create": put_assignment,
    "RoleAssignments_Get": get_assignment,
    "RoleAssignments_Delete": delete_assignment,
    "RoleAssignments_ListForScope": list_assignments,
    "RoleAssignments_ListForSubscription": list_assignments,
    "RoleAssignments_ListForResourceGroup": list_assignments,
    "RoleDefinitions_Get": get_definition,
    "RoleDefinitions_List": list_definitions,
}
