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
    deployment_id,
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
from contract.emulator.lro import POLL_HINT, result_url
from contract.emulator.subscriptions import DEFAULT_SUBSCRIPTION
from contract.emulator.state import ResourceGroup, Store
from contract.emulator.whatif import what_if
from contract.templates import Plan
from contract.servers import arm_error

_RUNS: WeakKeyDictionary[Store, dict[str, tuple[ResourceGroup | None, Deployment]]] = WeakKeyDictionary()


def _param(call: Call, *names: str) -> str:
    for name in names:
        if name in call.params:
            return call.params[name]
    raise KeyError(names[0])


MANAGEMENT_GROUPS = "/providers/Microsoft.Management/managementGroups"


def _outer(call: Call) -> str | None:
    """A management-group ('/providers/Microsoft.Management/managementGroups/{groupId}') or tenant ('')
    scope deployment's scope id; None in a subscription or resource group."""
    if "subscriptionId" in call.params or "sub" in call.params:
        return None
    if "groupId" in call.params:
        return f"{MANAGEMENT_GROUPS}/{call.params['groupId']}"
    return ""


def _where(call: Call) -> tuple[str, str, str]:
    """(subscription ('' at management-group and tenant scope), group or '' outside one, deployment name)."""
    sub = "" if _outer(call) is not None else _param(call, "subscriptionId", "sub")
    return (sub, call.params.get("resourceGroupName", ""), _param(call, "deploymentName", "deployment"))


def _home(deployment_or_sub: str) -> str:
    """The subscription of an operationresults URL: the deployment's own, or at management-group and tenant
    scope the caller's (the official example PostDeploymentWhatIfOnTenant.json answers a tenant what-if 202
    with Location /subscriptions/{subscriptionId}/operationresults/...)."""
    return deployment_or_sub or DEFAULT_SUBSCRIPTION


def _scope(call: Call) -> ResourceGroup | None:
    """The deployment's resource group (ARM's 404 when missing), or None at subscription scope."""
    return find_group(call) if "resourceGroupName" in call.params else None


def _deployment_id(call: Call, sub: str, group: str, name: str) -> str:
    return deployment_id(sub, group, name, _outer(call))


def _runs(call: Call) -> dict[str, tuple[ResourceGroup | None, Deployment]]:
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
    group = _scope(call)
    key = _deployment_id(call, sub, group_name, name).lower()
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
    scope = (deployment.scope if deployment.scope is not None
             else f"/subscriptions/{deployment.subscription}/resourcegroups/{deployment.resource_group}"
             if deployment.resource_group else f"/subscriptions/{deployment.subscription}")
    return (f"{call.origin}{scope}/providers/{DEPLOYMENT_TYPE}/{deployment.name}/operationStatuses/"
            f"{deployment.status_id}?api-version={call.api.requested}")


def _refusal(refusal: Refusal) -> web.Response:
    return answer(refusal.status, {"error": refusal.error})


def _plan(call: Call, group: ResourceGroup | None) -> Plan:
    """Validate the request's template where the path says (Refusal when ARM would refuse it)."""
    sub, _, name = _where(call)
    outer = _outer(call)
    if outer is not None:
        return validate("", "", "", name, call.body, _gateway(call), management_group=call.params.get("groupId", ""),
                        tenant=outer == "")
    if group is None:
        return validate(sub, "", "", name, call.body, _gateway(call))
    return validate(sub, group.name, group.location, name, call.body, _gateway(call), group.tags)


def put_deployment(call: Call) -> web.Response:
    """Validate, then start the deployment: 201 (new) / 200 (existing name), Accepted, Azure-AsyncOperation."""
    group = _scope(call)
    require_object(call.body, "deployment")
    call.check(call.operation.operation_id, call.body)
    sub, group_name, name = _where(call)
    existing = _find(call)
    if existing is not None and not existing.done:
        raise Refused(arm_error(409, "DeploymentActive",
                                f"Unable to edit or replace deployment '{name}': previous deployment from "
                                f"'{iso(existing.started)}' is still active. Please see "
                                f"https://aka.ms/arm-deploy-resources for usage details."))
    try:
        plan = _plan(call, group)
    except Refusal as refusal:
        return _refusal(refusal)
    properties = call.body["properties"]
    deployment = Deployment(subscription=sub, resource_group=group.name if group is not None else "", name=name,
                            plan=plan, request=copy.deepcopy({"template": properties["template"]}),
                            mode=plan.context.mode, polls_left=call.emulator.operations.polls,
                            tags=dict(call.body.get("tags") or {}),
                            location=None if group is not None else plan.context.location, scope=_outer(call))
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
    group = _scope(call)
    sub, group_name, _ = _where(call) if "deploymentName" in call.params else (
        "" if _outer(call) is not None else _param(call, "subscriptionId", "sub"),
        call.params.get("resourceGroupName", ""), "")
    prefix = _deployment_id(call, sub, group_name, "").lower()
    items = [d.view() for key, (g, d) in _runs(call).items() if key.startswith(prefix) and g is group
             and "/" not in key[len(prefix):]]
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
    return _accepted(call, _home(deployment.subscription), "", None, write=True)


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
    """POST .../validate: a refused template answers 400 {"error": ...} at once; a valid one 202 + Location on
    ARM's operationresults URL, whose final 200 carries the would-be deployment. Nothing is deployed.

    Asynchronous, as Azure validates: the swagger marks validate long-running because "this is the current
    service behavior" (Azure/azure-rest-api-specs#9007), and Azure/azure-sdk-for-go#24274 describes the
    submitted template validated asynchronously with the DeploymentValidateResult as the terminal 200. That
    issue also shows a failed validation arriving as the poll's terminal 400; here a refusal answers 400 on
    the request itself (the swagger documents 400 there), which every SDK reports the same way."""
    group = _scope(call)
    require_object(call.body, "deployment")
    call.check(call.operation.operation_id, call.body)
    sub, _, name = _where(call)
    try:
        plan = _plan(call, group)
    except Refusal as refusal:
        return _refusal(refusal)
    preview = Deployment(subscription=sub, resource_group=group.name if group is not None else "", name=name,
                         plan=plan, request={}, mode=plan.context.mode,
                         location=None if group is not None else plan.context.location, scope=_outer(call))
    body = preview.view()
    body["properties"]["provisioningState"] = "Succeeded"
    body["properties"]["validatedResources"] = [{"id": i.id} for i in plan.instances]
    return _accepted(call, _home(sub), plan.context.location, body)


def what_if_deployment(call: Call) -> web.Response:
    """POST .../whatIf: validated as a deployment would be (400 at once when refused), then 202 + Location on
    ARM's operationresults URL, whose final 200 carries the WhatIfOperationResult (contract/emulator/whatif.py)."""
    group = _scope(call)
    require_object(call.body, "deployment")
    call.check(call.operation.operation_id, call.body)
    sub, _, _ = _where(call)
    try:
        plan = _plan(call, group)
    except Refusal as refusal:
        return _refusal(refusal)
    settings = call.body["properties"].get("whatIfSettings") or {}
    result = what_if(plan, _gateway(call), sub, group.name if group is not None else "", plan.context.mode,
                     str(settings.get("resultFormat") or "FullResourcePayloads"))
    return _accepted(call, _home(sub), plan.context.location, result)


def _accepted(call: Call, subscription: str, location: str, result: object, write: bool = False) -> web.Response:
    """202 + Location on ARM's operationresults URL, whose final 200 carries `result`."""
    op = call.emulator.operations.start(subscription, location)
    op.result = result
    return answer(202, write=write,
                  headers={"Location": result_url(call.origin, op, call.api.requested), **POLL_HINT})


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
    # subscription scope (resources.json's *AtSubscriptionScope operations): the same handlers
    "Deployments_CreateOrUpdateAtSubscriptionScope": put_deployment,
    "Deployments_GetAtSubscriptionScope": get_deployment,
    "Deployments_CheckExistenceAtSubscriptionScope": get_deployment,
    "Deployments_DeleteAtSubscriptionScope": delete_deployment,
    "Deployments_ListAtSubscriptionScope": list_deployments,
    "Deployments_CancelAtSubscriptionScope": cancel_deployment,
    "Deployments_ValidateAtSubscriptionScope": validate_deployment,
    "Deployments_WhatIfAtSubscriptionScope": what_if_deployment,
    "Deployments_ExportTemplateAtSubscriptionScope": export_template,
    "DeploymentOperationStatus_GetAtSubscriptionScope": get_status,
    "DeploymentOperations_ListAtSubscriptionScope": list_operations,
    "DeploymentOperations_GetAtSubscriptionScope": get_operation,
}
# management-group and tenant scope (the swagger's *AtManagementGroupScope / *AtTenantScope): the same handlers;
# their resources are what the emulator serves (nested deployments into a subscription or group); any other type
# there fails validation naming it (NoRegisteredProviderFound / InvalidResourceType)
HANDLERS.update({f"{op}At{scope}Scope": HANDLERS[f"{op}AtSubscriptionScope"]
                 for scope in ("ManagementGroup", "Tenant")
                 for op in ("Deployments_CreateOrUpdate", "Deployments_Get", "Deployments_CheckExistence",
                            "Deployments_Delete", "Deployments_List", "Deployments_Cancel", "Deployments_Validate",
                            "Deployments_WhatIf", "Deployments_ExportTemplate", "DeploymentOperationStatus_Get",
                            "DeploymentOperations_List", "DeploymentOperations_Get")})
