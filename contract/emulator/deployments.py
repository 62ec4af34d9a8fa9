"""HTTP handlers of Microsoft.Resources/deployments at resource-group scope (the engine: deployment_engine.py).

Deployments live per emulator store, each tied to the resource group object it was made in,
so deleting the group (even re-creating it after) removes them, as ARM does.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from weakref import WeakKeyDictionary

from aiohttp import web

from contract.emulator.deployment_engine import (
    DEPLOYMENT_TYPE,
    Deployment,
    Gateway,
    Refusal,
    advance,
    end,
    iso,
    validate,
)
from contract.emulator.http import Call, Refused, answer, find_group, require_object
from contract.emulator.internal import EmulatorGateway
from contract.emulator.lro import POLL_HINT
from contract.emulator.state import ResourceGroup, Store
from contract.emulator.whatif import what_if
from contract.servers import arm_error

CREATE = "Deployments_CreateOrUpdate"
VALIDATE = "Deployments_Validate"
WHAT_IF = "Deployments_WhatIf"
_RUNS: WeakKeyDictionary[Store, dict[str, tuple[ResourceGroup, Deployment]]] = WeakKeyDictionary()


def _param(call: Call, *names: str) -> str:
    for name in names:
        if name in call.params:
            return call.params[name]
    raise KeyError(names[0])


def _where(call: Call) -> tuple[str, str, str]:
    return (_param(call, "subscriptionId", "sub"), _param(call, "resourceGroupName", "rg"),
            _param(call, "deploymentName", "deployment"))


def _deployment_id(sub: str, group: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{DEPLOYMENT_TYPE}/{name}"


def _runs(call: Call) -> dict[str, tuple[ResourceGroup, Deployment]]:
    runs = _RUNS.get(call.store)
    if runs is None:
        runs = _RUNS[call.store] = {}
    return runs


def _gateway(call: Call) -> Gateway:
    """The emulator's own dispatch, for the template's resources and reference()."""
    return EmulatorGateway(call.emulator, call.origin, call.request.headers.get("Authorization"))


def _find(call: Call) -> Deployment | None:
    """The deployment of the path; one whose group was deleted (even if re-created) is gone."""
    sub, group_name, name = _where(call)
    group = find_group(call)
    key = _deployment_id(sub, group_name, name).lower()
    runs = _runs(call)
    found = runs.get(key)
    if found is None:
        return None
    if found[0] is not group:
        del runs[key]
        return None
    return found[1]


def _require(call: Call) -> Deployment:
    deployment = _find(call)
    if deployment is None:
        raise Refused(arm_error(404, "DeploymentNotFound", f"Deployment '{_where(call)[2]}' could not be found."))
    return deployment


def _status_url(call: Call, deployment: Deployment) -> str:
    return (f"{call.origin}/subscriptions/{deployment.subscription}/resourcegroups/{deployment.resource_group}"
            f"/providers/{DEPLOYMENT_TYPE}/{deployment.name}/operationStatuses/{deployment.status_id}"
            f"?api-version={call.api.requested}")


def _refusal(refusal: Refusal) -> web.Response:
    return answer(refusal.status, {"error": refusal.error})


def put_deployment(call: Call) -> web.Response:
    """Validate, then start the deployment: 201 (new) / 200 (existing name), Accepted, Azure-AsyncOperation."""
    group = find_group(call)
    require_object(call.body, "deployment")
    call.check(CREATE, call.body)
    sub, group_name, name = _where(call)
    existing = _find(call)
    if existing is not None and not existing.done:
        raise Refused(arm_error(409, "DeploymentActive",
                                f"Unable to edit or replace deployment '{name}': previous deployment from "
                                f"'{iso(existing.started)}' is still active. Please see "
                                f"https://aka.ms/arm-deploy-resources for usage details."))
    gateway = _gateway(call)
    try:
        plan = validate(sub, group.name, group.location, name, call.body, gateway, group.tags)
    except Refusal as refusal:
        return _refusal(refusal)
    properties = call.body["properties"]
    deployment = Deployment(subscription=sub, resource_group=group.name, name=name, plan=plan,
                            request=copy.deepcopy({"template": properties["template"]}),
                            mode=plan.context.mode, polls_left=call.emulator.operations.polls,
                            tags=dict(call.body.get("tags") or {}))
    _runs(call)[deployment.id.lower()] = (group, deployment)
    headers = {"Azure-AsyncOperation": _status_url(call, deployment), **POLL_HINT}
    return answer(200 if existing is not None else 201, deployment.view(), write=True, headers=headers)


def get_deployment(call: Call) -> web.Response:
    """GET (an observation, like a poll: the deployment moves on) and HEAD (204 / 404)."""
    if call.request.method == "HEAD":
        return answer(204) if _find(call) is not None else answer(404)
    deployment = _require(call)
    advance(deployment, _gateway(call))
    return answer(200, deployment.view())


def get_status(call: Call) -> web.Response:
    """.../deployments/{name}/operationStatuses/{id}: {"status": ...}; each poll moves the deployment on."""
    deployment = _require(call)
    if _param(call, "operationId", "opid") != deployment.status_id:
        return arm_error(404, "NotFound", f"Operation '{_param(call, 'operationId', 'opid')}' was not found.")
    advance(deployment, _gateway(call))
    headers = {} if deployment.done else dict(POLL_HINT)
    return answer(200, deployment.status_view(), headers=headers)


def list_deployments(call: Call) -> web.Response:
    find_group(call)
    sub, group_name = _param(call, "subscriptionId", "sub"), _param(call, "resourceGroupName", "rg")
    prefix = _deployment_id(sub, group_name, "").lower()
    group = find_group(call)
    items = [d.view() for key, (g, d) in _runs(call).items() if key.startswith(prefix) and g is group]
    return answer(200, {"value": items})


def delete_deployment(call: Call) -> web.Response:
    """Removes the deployment from the history (never the resources it made); 202 + Location, then 204.

    A deployment that is not there answers 204: ARM's resource-provider contract ("a 204 (NoContent) should be
    used if the resource does not exist and the request is well formed", Resource API Reference, Delete
    Resource, github.com/Azure/azure-resource-manager-rpc v1.0/resource-api-reference.md), and the swagger
    declares 204 for Deployments_Delete. The group itself must exist (404 ResourceGroupNotFound)."""
    deployment = _find(call)
    if deployment is None:
        return answer(204)
    if not deployment.done:
        raise Refused(arm_error(409, "DeploymentActive",
                                f"The deployment '{deployment.name}' is still active and cannot be deleted; cancel it "
                                f"first. Please see https://aka.ms/arm-deploy-resources for usage details."))
    del _runs(call)[deployment.id.lower()]
    op = call.emulator.operations.start(deployment.subscription, "")
    location = (f"{call.origin}/subscriptions/{deployment.subscription}/operationresults/{op.id}"
                f"?api-version={call.api.requested}")
    return answer(202, write=True, headers={"Location": location, **POLL_HINT})


def cancel_deployment(call: Call) -> web.Response:
    """Only an Accepted or Running deployment can be cancelled (the swagger); it ends Canceled."""
    deployment = _require(call)
    if deployment.done:
        raise Refused(arm_error(409, "DeploymentCannotBeCancelled",
                                f"The deployment '{deployment.name}' cannot be cancelled: it is "
                                f"'{deployment.state}', and only an Accepted or Running deployment can be."))
    end(deployment, "Canceled", None)
    return answer(204, write=True)


def validate_deployment(call: Call) -> web.Response:
    """POST .../validate: 200 with the would-be deployment, or 400 {"error": ...}; nothing is deployed."""
    group = find_group(call)
    require_object(call.body, "deployment")
    call.check(VALIDATE, call.body)
    sub, _, name = _where(call)
    try:
        plan = validate(sub, group.name, group.location, name, call.body, _gateway(call), group.tags)
    except Refusal as refusal:
        return _refusal(refusal)
    preview = Deployment(subscription=sub, resource_group=group.name, name=name, plan=plan, request={},
                         mode=plan.context.mode)
    body = preview.view()
    body["properties"]["provisioningState"] = "Succeeded"
    body["properties"]["validatedResources"] = [{"id": i.id} for i in plan.instances]
    return answer(200, body, write=True)


def what_if_deployment(call: Call) -> web.Response:
    """POST .../whatIf: validated as a deployment would be (400 at once when refused), then 202 + Location on
    ARM's operationresults URL, whose final 200 carries the WhatIfOperationResult (contract/emulator/whatif.py)."""
    group = find_group(call)
    require_object(call.body, "deployment")
    call.check(WHAT_IF, call.body)
    sub, _, name = _where(call)
    gateway = _gateway(call)
    try:
        plan = validate(sub, group.name, group.location, name, call.body, gateway, group.tags)
    except Refusal as refusal:
        return _refusal(refusal)
    settings = call.body["properties"].get("whatIfSettings") or {}
    result = what_if(plan, gateway, sub, group.name, plan.context.mode,
                     str(settings.get("resultFormat") or "FullResourcePayloads"))
    op = call.emulator.operations.start(sub, group.location)
    op.result = result
    location = f"{call.origin}/subscriptions/{sub}/operationresults/{op.id}?api-version={call.api.requested}"
    return answer(202, headers={"Location": location, **POLL_HINT})


def export_template(call: Call) -> web.Response:
    deployment = _require(call)
    return answer(200, {"template": deployment.request.get("template", {})}, write=True)


def list_operations(call: Call) -> web.Response:
    deployment = _require(call)
    return answer(200, {"value": [op.view(deployment.id) for op in deployment.operations]})


def get_operation(call: Call) -> web.Response:
    deployment = _require(call)
    wanted = _param(call, "operationId", "opid")
    for op in deployment.operations:
        if op.operation_id == wanted:
            return answer(200, op.view(deployment.id))
    return arm_error(404, "DeploymentOperationNotFound",
                     f"Deployment operation '{wanted}' of deployment '{deployment.name}' could not be found.")


HANDLERS: dict[str, Callable[[Call], web.Response]] = {
    "Deployments_CreateOrUpdate": put_deployment,
    "Deployments_Get": get_deployment,
    "Deployments_CheckExistence": get_deployment,
    "Deployments_Delete": delete_deployment,
    "Deployments_ListByResourceGroup": list_deployments,
    "Deployments_Cancel": cancel_deployment,
    "Deployments_Validate": validate_deployment,
    "Deployments_WhatIf": what_if_deployment,
    "Deployments_ExportTemplate": export_template,
    "DeploymentOperationStatus_Get": get_status,
    "DeploymentOperations_List": list_operations,
    "DeploymentOperations_Get": get_operation,
}
