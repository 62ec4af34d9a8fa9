"""The deployment engine behind Microsoft.Resources/deployments: validate, then run a plan through the emulator.

A PUT validates first, as ARM does before it deploys anything: the template language
(contract/templates) refuses a bad template with 400 InvalidTemplate, a template or
parameters link with 400 InvalidContentLink (nothing here reaches the internet), and a
resource type the emulator does not serve with 400 InvalidTemplateDeployment whose inner
error is NoRegisteredProviderFound / InvalidResourceType. Then the deployment is Accepted,
Running while its operation-status URL is polled (the emulator's lro_polls), and at the end
deploys every resource in dependsOn order through exactly the handler a direct PUT of that
resource reaches (`Gateway`: the spec lookup and handler registry of the HTTP server), so the
same schemas, rules and refusals apply. A refused resource fails the deployment
(DeploymentFailed with the resource's own error in `details`); its dependants are not
attempted; DeploymentOperations list what happened to each resource. Mode Complete then deletes
every resource of the group the template does not name, through the same DELETE handlers (scale
sets first). Answers never carry a secure parameter's value.

Error codes and messages, with where they come from:
- InvalidTemplate (400): ARM's template validation ("Deployment template validation failed: ...",
  seen in public ARM error reports, e.g. a gist of New-AzureRmResourceGroupDeployment output).
- InvalidTemplateDeployment (400): "The template deployment 'x' is not valid according to the
  validation procedure. The tracking id is '...'. See inner errors for details." (Azure/azure-cli#6231).
- InvalidContentLink (400): "Unable to download deployment content from '...'" (Azure/simuland#31).
- DeploymentFailed: "At least one resource deployment operation failed. Please list deployment
  operations for details. ..." with the resource's error in `details` (ARM answers quoted in public
  issues and gists; ARM-FACTS.md).
- DeploymentNotFound (404): "Deployment 'x' could not be found." (ARM answer quoted in a public gist).
- DeploymentActive (409): "Unable to edit or replace deployment 'x': previous deployment from '...' is
  still active ..." (Azure/bicep#14369).
- ResourceGroupNotFound (404): as for every resource in a missing group (ARM-FACTS.md).
- NoRegisteredProviderFound / InvalidResourceType: ARM's answers for an unknown namespace / type (ARM-FACTS.md).
"""
from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from contract.templates import DeploymentContext, Plan, ResourceInstance, TemplateError, prepare

DEPLOYMENT_TYPE = "Microsoft.Resources/deployments"
TERMINAL = frozenset({"Succeeded", "Failed", "Canceled"})
FAILED_MESSAGE = ("At least one resource deployment operation failed. Please list deployment operations for "
                  "details. Please see https://aka.ms/arm-deployment-operations for usage details.")
_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "NoContent", 400: "BadRequest", 401: "Unauthorized",
            403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 409: "Conflict", 413: "RequestEntityTooLarge",
            429: "TooManyRequests", 500: "InternalServerError"}


@dataclass
class Reply:
    """What a handler answered, as the engine needs it (status, headers, parsed body)."""

    status: int
    headers: dict[str, str]
    body: Any


class Gateway(Protocol):
    """The emulator's own dispatch, reached without HTTP: the same spec lookup and handlers."""

    def served(self, method: str, path: str) -> dict[str, Any] | None:
        """None when a handler serves `method path`; else ARM's error object for it (code, message)."""

    def call(self, method: str, path: str, api_version: str, body: Any) -> Reply:
        """Run the handler of `method path` as a request with this body and api-version would."""

    def settle(self, reply: Reply) -> None:
        """Finish at once the long-running operation a write answer started (the deployment waits for it)."""

    def resources_in(self, subscription: str, group: str) -> list[tuple[str, str]]:
        """(id, type) of every top-level resource in the group (Complete mode deletes the unnamed ones)."""


def deployment_id(subscription: str, group: str, name: str, scope: str | None = None) -> str:
    """A deployment's id: in its resource group, or at subscription scope when `group` is '', or under
    `scope` (a management group's id, or '' for the tenant) when given."""
    if scope is None:
        scope = f"/subscriptions/{subscription}/resourceGroups/{group}" if group else f"/subscriptions/{subscription}"
    return f"{scope}/providers/{DEPLOYMENT_TYPE}/{name}"


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def iso(moment: _dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def duration(start: _dt.datetime, end: _dt.datetime) -> str:
    """ARM's ISO 8601 duration ("PT1M23.4393538S" in the recordings)."""
    seconds = max(0.0, (end - start).total_seconds())
    minutes, rest = divmod(seconds, 60)
    return f"PT{int(minutes)}M{rest:.7f}S" if minutes else f"PT{rest:.7f}S"


@dataclass
class DeploymentOperation:
    """One row of DeploymentOperations: what happened to one template resource."""

    operation_id: str
    instance: ResourceInstance
    state: str = "Running"
    status_code: str = ""
    error: dict[str, Any] | None = None
    started: _dt.datetime = field(default_factory=now)
    ended: _dt.datetime | None = None
    provisioning_operation: str = "Create"

    def view(self, deployment_id: str) -> dict[str, Any]:
        end = self.ended or now()
        props: dict[str, Any] = {
            "provisioningOperation": self.provisioning_operation,
            "provisioningState": self.state,
            "timestamp": iso(end),
            "duration": duration(self.started, end),
            "trackingId": self.operation_id,
            "serviceRequestId": self.operation_id,
            "statusCode": self.status_code,
            "targetResource": {"id": self.instance.id, "resourceType": self.instance.type,
                               "resourceName": self.instance.name, "apiVersion": self.instance.api_version},
        }
        props["statusMessage"] = {"status": "OK"} if self.error is None else {"status": "Failed", "error": self.error}
        return {"id": f"{deployment_id}/operations/{self.operation_id}", "operationId": self.operation_id,
                "properties": props}


@dataclass
class Deployment:
    """A deployment and its run: the validated plan, where it is, and what it produced."""

    subscription: str
    resource_group: str
    name: str
    plan: Plan
    request: dict[str, Any]
    mode: str
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "Accepted"
    started: _dt.datetime = field(default_factory=now)
    ended: _dt.datetime | None = None
    operations: list[DeploymentOperation] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    status_id: str = field(default_factory=lambda: str(uuid.uuid4().int)[:20])
    polls_left: int = 1
    tags: dict[str, str] = field(default_factory=dict)
    location: str | None = None  # where ARM keeps a subscription-scope deployment's data (none in a group)
    scope: str | None = None  # management-group id, or '' at tenant scope; None in a subscription or group

    @property
    def id(self) -> str:
        return deployment_id(self.subscription, self.resource_group, self.name, self.scope)

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    # ------------------------------------------------------------------ answers

    def view(self) -> dict[str, Any]:
        end = self.ended or now()
        props: dict[str, Any] = {
            "templateHash": self.plan.template_hash,
            "parameters": self.plan.parameters_view(),
            "mode": self.mode,
            "provisioningState": self.state,
            "timestamp": iso(end),
            "duration": duration(self.started, end),
            "correlationId": self.correlation_id,
            "providers": self._providers(),
            "dependencies": self._dependencies(),
        }
        if self.state == "Succeeded":
            props["outputs"] = self.outputs or {}
            props["outputResources"] = [{"id": i} for i in self._output_resources()]
        elif self.state == "Failed" and self.error is not None:
            props["error"] = self.error
            props["outputResources"] = [{"id": i} for i in self._output_resources()]
        out: dict[str, Any] = {"id": self.id, "name": self.name, "type": DEPLOYMENT_TYPE, "properties": props}
        if self.location:
            out["location"] = self.location
        if self.tags:
            out["tags"] = dict(self.tags)
        return out

    def status_view(self) -> dict[str, Any]:
        """The operationStatuses body: {"status"} while it runs ({"status": "Running"} in the recordings)."""
        body: dict[str, Any] = {"status": self.state}
        if self.state == "Failed" and self.error is not None:
            body["error"] = self.error
        return body

    def _providers(self) -> list[dict[str, Any]]:
        """Namespaces and types in template order, as the recorded answers list them."""
        grouped: dict[str, dict[str, list[str]]] = {}
        for inst in self.plan.instances:
            namespace, rtype = inst.type.split("/", 1)
            types = grouped.setdefault(namespace, {})
            locations = types.setdefault(rtype, [])
            location = self.plan.context.location
            if location not in locations:
                locations.append(location)
        return [{"namespace": ns, "resourceTypes": [{"resourceType": t, "locations": locs} for t, locs in types.items()]}
                for ns, types in grouped.items()]

    def _dependencies(self) -> list[dict[str, Any]]:
        by_id = {i.id: i for i in self.plan.instances}
        out = []
        for inst in self.plan.instances:
            if not inst.depends_on:
                continue
            out.append({"dependsOn": [{"id": d, "resourceType": by_id[d].type, "resourceName": by_id[d].name}
                                      for d in inst.depends_on],
                        "id": inst.id, "resourceType": inst.type, "resourceName": inst.name})
        return out

    def _output_resources(self) -> list[str]:
        """Resources the deployment created, sorted by id (as the recordings list them)."""
        return sorted((op.instance.id for op in self.operations
                       if op.state == "Succeeded" and op.provisioning_operation == "Create"), key=str.lower)


# ----------------------------------------------------------------------------- validation

class Refusal(Exception):
    """A deployment ARM refuses before it starts: status and ARM's error object."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


def refuse_links(properties: dict[str, Any]) -> None:
    """templateLink / parametersLink: ARM downloads them; the emulator reaches no network."""
    for member in ("templateLink", "parametersLink"):
        link = properties.get(member)
        if link is None:
            continue
        uri = link.get("uri") or link.get("id") or "" if isinstance(link, dict) else ""
        raise Refusal(400, {"code": "InvalidContentLink",
                            "message": f"Unable to download deployment content from '{uri}'. The emulator reaches "
                                       f"no network: give '{'template' if member == 'templateLink' else 'parameters'}' "
                                       f"inline. Please see https://aka.ms/arm-deploy for usage details.",
                            "target": f"properties.{member}"})
    if not isinstance(properties.get("template"), dict):
        raise Refusal(400, {"code": "InvalidTemplate",
                            "message": "Deployment template validation failed: 'The request content has no "
                                       "'properties.template' object (give the template inline).'",
                            "target": "properties.template"})


class Resolver:
    """What the template language asks the emulator: reference() and providers(), answered through the gateway."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.plan: Plan | None = None

    def reference(self, resource_id: str, api_version: str | None) -> Any:
        """reference(): a GET of the resource through the same handler a client's GET reaches."""
        version = api_version or self._template_api_version(resource_id) or ""
        reply = self.gateway.call("GET", resource_id, version, None)
        if reply.status >= 400:
            error = reply.body.get("error", {}) if isinstance(reply.body, dict) else {}
            raise TemplateError(str(error.get("message") or f"The resource '{resource_id}' could not be read."),
                                code=str(error.get("code") or "ResourceNotFound"))
        return reply.body

    def list_action(self, name: str, resource_id: str, api_version: str, values: Any) -> Any:
        """listKeys() and friends: a POST of {id}/{name} through the same handler a client's POST reaches."""
        path = f"{resource_id.rstrip('/')}/{name}"
        problem = self.gateway.served("POST", path)
        if problem is not None:
            raise TemplateError(f"The template function '{name}' cannot run on '{resource_id}': "
                                f"{problem['message']}", code=str(problem.get("code") or "InvalidResourceType"))
        reply = self.gateway.call("POST", path, api_version, values)
        if reply.status >= 400:
            error = reply.body.get("error", {}) if isinstance(reply.body, dict) else {}
            raise TemplateError(str(error.get("message") or f"'{name}' of '{resource_id}' answered {reply.status}."),
                                code=str(error.get("code") or "ResourceNotFound"))
        return reply.body

    def providers(self, namespace: str, resource_type: str | None) -> Any:
        if self.plan is None:
            return {"namespace": namespace, "resourceTypes": []}
        return self.plan.default_providers(namespace, resource_type)

    def _template_api_version(self, resource_id: str) -> str | None:
        for inst in (self.plan.instances + self.plan.skipped) if self.plan is not None else []:
            if inst.id.lower() == resource_id.lower():
                return inst.api_version
        return None


def validate(subscription: str, group: str, location: str, name: str, body: dict[str, Any], gateway: Gateway,
             group_tags: dict[str, Any] | None = None, *, management_group: str = "", tenant: bool = False) -> Plan:
    """The plan of a deployment request, or a Refusal carrying ARM's error (nothing deployed).

    `group` '' is a subscription-scope deployment: its `location` (where ARM keeps the deployment's data) is
    required, as for every scope but a resource group (400 InvalidDeployment, quoted in
    MicrosoftDocs/azure-docs#69681 and Azure/bicep#1093)."""
    properties = body.get("properties") if isinstance(body.get("properties"), dict) else {}
    if not group:
        given = body.get("location")
        if not isinstance(given, str) or not given:
            raise Refusal(400, {"code": "InvalidDeployment",
                                "message": f"The 'location' property must be specified for the deployment '{name}'. "
                                           f"Please see https://aka.ms/deploy-to-subscription for usage details."})
        location = given
    refuse_links(properties)
    mode = str(properties.get("mode", "Incremental"))
    context = DeploymentContext(subscription, group, location, name, mode=mode.capitalize(),
                                group_tags=dict(group_tags or {}), management_group=management_group,
                                tenant_scope=tenant)
    resolver = Resolver(gateway)
    try:
        plan = prepare(properties["template"], properties.get("parameters") or {}, context,
                       reference=resolver.reference, providers=resolver.providers,
                       list_action=resolver.list_action)
    except TemplateError as exc:
        raise Refusal(400, exc.arm_error()) from None
    resolver.plan = plan
    inner = []
    for inst in plan.instances:
        problem = gateway.served("PUT", inst.id)
        if problem is not None:
            inner.append({**problem, "target": inst.id})
    if inner:
        raise Refusal(400, {"code": "InvalidTemplateDeployment",
                            "message": f"The template deployment '{name}' is not valid according to the validation "
                                       f"procedure. The tracking id is '{uuid.uuid4()}'. See inner errors for details.",
                            "details": inner})
    return plan


# ----------------------------------------------------------------------------- running

def advance(deployment: Deployment, gateway: Gateway) -> None:
    """One observation of a running deployment (a poll or a GET): Accepted -> Running -> terminal.

    With lro_polls N, N observations answer Running; the next deploys everything and ends it.
    """
    if deployment.done:
        return
    if deployment.polls_left > 0:
        deployment.polls_left -= 1
        deployment.state = "Running"
        return
    run(deployment, gateway)


def run(deployment: Deployment, gateway: Gateway) -> None:
    """Deploy every resource in dependsOn order through the gateway, then outputs; set the end state."""
    if deployment.done:
        return
    deployment.state = "Running"
    plan = deployment.plan
    failed: set[str] = set()
    for inst in plan.instances:
        if any(dep in failed for dep in inst.depends_on):
            failed.add(inst.id)  # ARM does not attempt a resource whose dependency failed
            continue
        op = DeploymentOperation(operation_id=uuid.uuid4().hex[:16].upper(), instance=inst)  # ARM's 16 hex
        deployment.operations.append(op)
        try:
            body = plan.evaluate(inst)
        except TemplateError as exc:
            op.state, op.status_code, op.ended = "Failed", "BadRequest", now()
            op.error = {"code": exc.code, "message": exc.describe()}
            failed.add(inst.id)
            continue
        reply = gateway.call("PUT", inst.id, inst.api_version, body)
        op.status_code = _REASONS.get(reply.status, str(reply.status))
        op.ended = now()
        if reply.status >= 400:
            op.state = "Failed"
            error = reply.body.get("error") if isinstance(reply.body, dict) else None
            op.error = error if isinstance(error, dict) else {"code": op.status_code,
                                                              "message": f"The resource answered {reply.status}."}
            failed.add(inst.id)
        else:
            gateway.settle(reply)
            op.state = "Succeeded"
            if inst.type.lower() == DEPLOYMENT_TYPE.lower():
                _nested_outcome(op, gateway, inst, failed)
    if not failed and deployment.mode.lower() == "complete":
        _delete_unnamed(deployment, gateway, failed)
    if failed:
        details = [op.error for op in deployment.operations if op.error is not None]
        end(deployment, "Failed", {"code": "DeploymentFailed", "message": FAILED_MESSAGE, "details": details})
        return
    try:
        deployment.outputs = plan.outputs()
    except TemplateError as exc:
        name = exc.path.split(".")[1] if exc.path.startswith("outputs.") else ""
        end(deployment, "Failed", {
            "code": "DeploymentOutputEvaluationFailed",
            "message": f"Unable to evaluate template outputs: '{name}'. Please see error details and deployment "
                       f"operations. Please see https://aka.ms/arm-common-errors for usage details.",
            "details": [{"code": exc.code if exc.code != "InvalidTemplate" else "DeploymentOutputEvaluationFailed",
                         "target": name, "message": exc.describe()}]})
        return
    end(deployment, "Succeeded", None)


def _nested_outcome(op: DeploymentOperation, gateway: Gateway, inst: ResourceInstance, failed: set[str]) -> None:
    """A nested deployment has been driven to its end (`settle`): the outer one fails when it failed, with its
    error (ARM: DeploymentFailed whose details hold the nested deployment's own error)."""
    final = gateway.call("GET", inst.id, inst.api_version, None)
    props = final.body.get("properties", {}) if isinstance(final.body, dict) else {}
    if props.get("provisioningState") == "Succeeded":
        return
    op.state = "Failed"
    error = props.get("error")
    op.error = error if isinstance(error, dict) else {
        "code": "DeploymentFailed", "message": f"The nested deployment '{inst.name}' ended "
                                               f"'{props.get('provisioningState')}'."}
    failed.add(inst.id)


# api-versions for deleting what a Complete deployment does not name, when the template gives none for the type
_DELETE_VERSIONS = {"microsoft.compute": "2024-07-01", "microsoft.network": "2023-11-01"}


def delete_version(resource_type: str) -> str:
    """An api-version to reach a resource the template does not name (Complete mode, what-if)."""
    return _DELETE_VERSIONS.get(resource_type.split("/")[0].lower(), "2022-09-01")


def _delete_unnamed(deployment: Deployment, gateway: Gateway, failed: set[str]) -> None:
    """Complete mode: delete every resource of the group the template does not name (scale sets first,
    since network resources they use refuse deletion while in use), through the same DELETE handlers."""
    plan = deployment.plan
    if deployment.scope is not None:
        return  # the emulator holds no resources at management-group or tenant scope: nothing to delete there
    named = {i.id.lower() for i in plan.instances}
    versions = {i.type.lower(): i.api_version for i in plan.instances}
    doomed = [(rid, rtype) for rid, rtype in gateway.resources_in(deployment.subscription, deployment.resource_group)
              if rid.lower() not in named]
    doomed.sort(key=lambda item: (not item[1].lower().startswith("microsoft.compute/"), item[0].lower()))
    for rid, rtype in doomed:
        version = versions.get(rtype.lower()) or delete_version(rtype)
        name = rid.rstrip("/").rsplit("/", 1)[-1]
        instance = ResourceInstance(path="(complete mode)", raw={}, type=rtype, name=name, api_version=version,
                                    id=rid, loops={}, copy_name=None)
        op = DeploymentOperation(operation_id=uuid.uuid4().hex[:16].upper(), instance=instance,
                                 provisioning_operation="Delete")
        deployment.operations.append(op)
        reply = gateway.call("DELETE", rid, version, None)
        op.status_code = _REASONS.get(reply.status, str(reply.status))
        op.ended = now()
        if reply.status >= 400 and reply.status != 404:
            op.state = "Failed"
            error = reply.body.get("error") if isinstance(reply.body, dict) else None
            op.error = error if isinstance(error, dict) else {"code": op.status_code, "message": "delete failed"}
            failed.add(rid)
        else:
            gateway.settle(reply)
            op.state = "Succeeded"


def end(deployment: Deployment, state: str, error: dict[str, Any] | None) -> None:
    deployment.state = state
    deployment.error = error
    deployment.ended = now()
