"""What every emulator handler shares: the request as a `Call`, ARM answers, ARM's 404s."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from contract.emulator.contract import Contract
from contract.emulator.images import Catalogue
from contract.emulator.lro import Operation, Operations, lro_headers
from contract.emulator.readcache import ReadCache
from contract.emulator.state import VM, ResourceGroup, ScaleSet, Store
from contract.servers import JSON_CONTENT_TYPE, arm_error, arm_headers
from contract.specs import ApiVersion, Operation as SpecOperation


@dataclass
class Emulator:
    """One emulator's world: state, running operations and the contract it enforces."""

    store: Store
    operations: Operations
    contract: Contract
    strict_operations: bool = True  # a write during a running operation: ARM's 409 (True) or fast-forward it
    complete_on_read: bool = True  # a read of a scale set or its VMs finishes its running operation
    network_integrity: bool = True  # scale sets may reference only network resources this emulator has (as Azure)
    page_size: int = 1000  # items per page of a list (then `nextLink`)
    images: Catalogue | None = None  # the platform images scale sets may name (None: the built-in catalogue)
    synchronous: bool = False  # finish every long-running operation within its request (emulator/synchronous.py)
    scheduled_maintenance: bool = False  # the platform has maintenance pending for every VM (PerformMaintenance)
    writes: int = 0  # requests routed that may change state (every method but GET/HEAD)
    read_cache: ReadCache = field(default_factory=ReadCache)

    @property
    def revision(self) -> int:
        """Moves whenever state may have changed: a write was routed or an operation finished."""
        return self.writes + self.operations.finished


@dataclass
class Call:
    """A routed request: the spec operation it hit, its path parameters (named as in the spec's
    path template, values as sent), the resolved api-version, the parsed body."""

    request: web.Request
    emulator: Emulator
    params: dict[str, str]
    api: ApiVersion
    body: Any
    operation: SpecOperation

    @property
    def action(self) -> str:
        """The literal tail of an action's path, lower case: `restart`, `rollingupgrades/cancel`."""
        return self.operation.path.rsplit("}/", 1)[-1].lower()

    @property
    def extension_name(self) -> str:
        """The swagger names a scale set's extension and a VM's extension parameter differently."""
        return self.params.get("vmssExtensionName") or self.params["vmExtensionName"]

    @property
    def version(self) -> str:
        """The api-version to validate against (a newer unknown one maps to a known one)."""
        return self.api.effective

    @property
    def origin(self) -> str:
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def store(self) -> Store:
        return self.emulator.store

    @property
    def contract(self) -> Contract:
        return self.emulator.contract

    def query(self, name: str) -> str | None:
        """Query parameters are case-insensitive in ARM (`$expand`, `$Expand`)."""
        lowered = name.lower()
        for key, value in self.request.query.items():
            if key.lower() == lowered:
                return value
        return None

    def expands(self, what: str) -> bool:
        value = self.query("$expand") or ""
        return what.lower() in (v.strip().lower() for v in value.split(","))

    def check(self, operation_id: str, body: Any, current: dict[str, Any] | None = None) -> None:
        """Raise ARM's refusal for the first schema or rule problem of `body`."""
        refuse_if(self.contract.refuse(operation_id, body, self.version, current=current))

    def accepted_body(self, what: str, operation_id: str, current: dict[str, Any] | None = None) -> dict[str, Any]:
        """The write's body without secrets, once shape, schema and rules accept it."""
        require_object(self.body, what)
        self.check(operation_id, self.body, current)
        clean: dict[str, Any] = self.contract.without_secrets(self.body)
        return clean

    def lro(self, op: Operation, *, location: bool) -> dict[str, str]:
        return lro_headers(self.origin, op, self.api.requested, location=location)


def answer(status: int, body: Any = None, *, write: bool = False,
           headers: dict[str, str] | None = None) -> web.Response:
    """An ARM answer: request-id headers, JSON body (or an empty one, as 202s have)."""
    out = arm_headers(write)
    out.update(headers or {})
    if body is None:
        return web.Response(status=status, headers=out)
    out["Content-Type"] = JSON_CONTENT_TYPE
    return web.Response(status=status, body=_ENCODER.encode(body).encode(), headers=out)


# Compact, as ARM's own answers are (the recordings' bodies have no spaces), and without the
# cycle check (views are trees): about 40% less encoding time per answer than json.dumps' defaults.
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


class Refused(Exception):
    """An ARM error answer raised from inside a handler; the dispatcher sends it.

    Every check runs before any state changes, so raising one leaves nothing half done.
    """

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def refuse_if(response: web.Response | None) -> None:
    if response is not None:
        raise Refused(response)


def polled_operation(call: Call) -> Operation:
    """The operation a status or result URL names, counted as one poll; ARM's 404 when unknown."""
    op = call.emulator.operations.get(call.params["subscriptionId"], call.params["operationId"])
    if op is None:
        raise Refused(arm_error(404, "NotFound", f"Operation '{call.params['operationId']}' was not found."))
    op.poll()
    return op


def find_group(call: Call) -> ResourceGroup:
    call.emulator.operations.settle_due()  # whatever could be seen from here has finished if its time is up
    group = call.store.group(call.params["subscriptionId"], call.params["resourceGroupName"])
    if group is None:
        raise Refused(arm_error(404, "ResourceGroupNotFound",
                                f"Resource group '{call.params['resourceGroupName']}' could not be found."))
    return group


def resource_not_found(resource_type: str, name: str, resource_group: str) -> Refused:
    """ARM's 404 for a resource that is not there, in its words (the corpus recordings' ResourceNotFound)."""
    return Refused(arm_error(404, "ResourceNotFound",
                             f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not "
                             f"found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"))


def find_scale_set(call: Call, missing_code: str = "ResourceNotFound") -> ScaleSet:
    """The scale set of the path, or ARM's 404 (the group's first, as ARM checks it first)."""
    find_group(call)
    vmss = call.store.scale_set(call.params["subscriptionId"], call.params["resourceGroupName"], call.params["vmScaleSetName"])
    if vmss is None:
        raise Refused(arm_error(404, missing_code,
                                f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{call.params['vmScaleSetName']}' "
                                f"under resource group '{call.params['resourceGroupName']}' was not found."))
    return vmss


def finish_pending(call: Call, vmss: ScaleSet) -> None:
    """A read of the scale set or its VMs finishes the scale set's running operation: a client that reads
    instead of polling (az rest, --no-wait, Terraform's read-after-write) sees it done. Reads of other
    resources below it (rolling upgrade status, run commands) do not."""
    if call.emulator.complete_on_read and vmss.pending_operation is not None:
        running = call.emulator.operations.get(vmss.subscription, vmss.pending_operation)
        if running is not None:
            running.finish()


def find_parent(call: Call) -> ScaleSet:
    """A child under a missing scale set is ParentResourceNotFound, as ARM says."""
    return find_scale_set(call, missing_code="ParentResourceNotFound")


def find_vm(call: Call) -> tuple[ScaleSet, VM]:
    vmss = find_parent(call)
    vm = vmss.vms.get(call.params["instanceId"])
    if vm is None:
        raise Refused(arm_error(404, "ResourceNotFound",
                                f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{vmss.name}/virtualMachines/"
                                f"{call.params['instanceId']}' under resource group '{call.params['resourceGroupName']}' was not found."))
    return vmss, vm


def require_object(body: Any, what: str) -> None:
    if not isinstance(body, dict):
        raise Refused(arm_error(400, "InvalidRequestContent",
                                f"The request content was invalid and could not be deserialized: "
                                f"expected a JSON object describing the {what}."))


def require_members(body: Any, names: tuple[str, ...]) -> None:
    """Members the emulator reads as objects must be objects (null means absent).

    Runs after the spec's own check, so it only catches what the schema lets through, and
    answers as a schema error below the root would: 400 InvalidParameter with the target.
    """
    for name in names:
        value = body.get(name) if isinstance(body, dict) else None
        if value is not None and not isinstance(value, dict):
            raise Refused(arm_error(400, "InvalidParameter", f"'{name}' must be a JSON object.", target=name))


def ensure_idle(call: Call, vmss: ScaleSet) -> None:
    """ARM's 409 for a write while another operation on the scale set runs (unless the emulator was
    asked to fast-forward it: `begin` then finishes the running one first)."""
    if not call.emulator.strict_operations or vmss.pending_operation is None:
        return
    running = call.emulator.operations.get(vmss.subscription, vmss.pending_operation)
    if running is not None and not running.done:
        raise Refused(arm_error(409, "OperationNotAllowed",
                                f"Operation '{call.request.method}' is not allowed on scale set '{vmss.name}' since "
                                f"operation '{running.id}' is still in progress; retry after it completes."))
