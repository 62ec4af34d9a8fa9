"""Scale set handlers: create/update/patch/delete, actions, instance view, lists.

Every write checks first (schema, then rules, via `Contract`) and only then
changes state, so a refused request changes nothing. Accepted writes change the
state at once and start an operation whose completion flips provisioningState
to Succeeded.
"""
from __future__ import annotations

import copy
import uuid
from typing import Any

from aiohttp import web

from contract.emulator import (
    catalog,
    defaults,
    lenient,
    managed_identity,
    orchestration,
    query,
    references,
    rolling,
)
from contract.emulator.http import (
    Call,
    Refused,
    answer,
    ensure_idle,
    find_group,
    find_scale_set,
    finish_pending,
    require_members,
    require_object,
)
from contract.emulator.lro import Operation
from contract.emulator.state import JSON, VM, ScaleSet, normalize_location, now_iso, obj
from contract.emulator.vms import scale_set_instance_view
from contract.facts import load_facts
from contract.servers import arm_error

_FACTS = load_facts()  # specs/rules.yaml facts: the checker reads the same values

VMSS_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
CREATE = "VirtualMachineScaleSets_CreateOrUpdate"
UPDATE = "VirtualMachineScaleSets_Update"
# Fields ARM fills in on create and keeps when a later PUT leaves them out.
_SERVER_KEPT = ("uniqueId", "timeCreated", "orchestrationMode", "singlePlacementGroup")
_AUTO_MODES = ("automatic", "rolling")
_OBJECT_MEMBERS = ("sku", "properties", "tags")


def view(vmss: ScaleSet) -> JSON:
    return copy.deepcopy(vmss.model)


def begin(call: Call, vmss: ScaleSet, vms: list[VM], *, scale_set_state: str | None) -> Operation:
    """Start the operation of an accepted write; finishing it settles the scale set and `vms`."""
    previous = vmss.pending_operation
    if previous is not None:  # a write during a running one fast-forwards it (strict mode refused it earlier)
        old = call.emulator.operations.get(vmss.subscription, previous)
        if old is not None:
            old.finish()
    if scale_set_state is not None:
        vmss.properties["provisioningState"] = scale_set_state
    for vm in vms:
        if vm.provisioning_state == "Succeeded":
            vm.provisioning_state = "Updating"

    def settle() -> None:
        if vmss.pending_operation == op.id:
            vmss.pending_operation = None
            vmss.properties["provisioningState"] = "Succeeded"
        for vm in vms:
            if vm.provisioning_state in ("Creating", "Updating"):
                vm.provisioning_state = "Succeeded"

    op = call.emulator.operations.start(vmss.subscription, normalize_location(vmss.location), settle)
    vmss.pending_operation = op.id
    return op


# ----------------------------------------------------------------------------- reads

def get_scale_set(call: Call) -> web.Response:
    vmss = find_scale_set(call)
    finish_pending(call, vmss)
    return answer(200, _shown(call, vmss))  # serialized at once: no copy needed


def _shown(call: Call, vmss: ScaleSet) -> JSON:
    """The model as a read shows it: userData only when `$expand=userData` asks for it."""
    if call.expands("userData"):
        return vmss.model
    return query.without_user_data(vmss.model, query.SCALE_SET_USER_DATA)


def list_scale_sets(call: Call) -> web.Response:
    group = call.params.get("resourceGroupName")
    if group is not None:
        find_group(call)  # a missing group is a 404, not an empty list
    else:
        call.emulator.operations.settle_due()
    items = call.store.list_scale_sets(call.params["subscriptionId"], group)
    for vmss in items:
        finish_pending(call, vmss)
    return answer(200, query.page(call, [_shown(call, v) for v in items]))


def list_by_location(call: Call) -> web.Response:
    call.emulator.operations.settle_due()
    where = normalize_location(call.params["location"])
    items = [v for v in call.store.list_scale_sets(call.params["subscriptionId"]) if normalize_location(v.location) == where]
    for vmss in items:
        finish_pending(call, vmss)
    return answer(200, query.page(call, [_shown(call, v) for v in items]))


def list_skus(call: Call) -> web.Response:
    """The SKU a scale set may scale to: its own, with ARM's placement-group capacity ceiling."""
    vmss = find_scale_set(call)
    limit = _FACTS.capacity_limit(_FACTS.single_placement_group(vmss.model))  # rules.yaml, as the checker reads it
    sku = {k: v for k, v in vmss.sku.items() if k in ("name", "tier")}
    return answer(200, query.page(call, [{"resourceType": VMSS_TYPE, "sku": sku, "capacity": {
        "minimum": 0, "maximum": limit, "defaultCapacity": 1, "scaleType": "Automatic"}}]))


def get_os_upgrade_history(call: Call) -> web.Response:
    """The OS upgrades StartOSUpgrade ran on this scale set, newest first (none yet: an empty list)."""
    vmss = find_scale_set(call)
    entries = [rolling.history_entry(call, vmss, u) for u in reversed(vmss.os_upgrades)]
    return answer(200, query.page(call, entries))


def get_instance_view(call: Call) -> web.Response:
    vmss = find_scale_set(call)
    finish_pending(call, vmss)
    return answer(200, scale_set_instance_view(vmss))


# ----------------------------------------------------------------------------- writes

def put_scale_set(call: Call) -> web.Response:
    group = find_group(call)
    require_object(call.body, "virtual machine scale set")
    existing = call.store.scale_set(call.params["subscriptionId"], call.params["resourceGroupName"], call.params["vmScaleSetName"])
    if existing is not None:
        ensure_idle(call, existing)
    body = lenient.read_body(call.contract.spec, CREATE, call.body)
    call.check(CREATE, body, view(existing) if existing is not None else None)
    require_members(body, _OBJECT_MEMBERS)
    clean = call.contract.without_secrets(body)
    if existing is not None:
        clean = defaults.keep_on_put(_stored(existing), clean)
    model = _new_model(call, clean, existing, password_given=_password_given(body))
    references.check_scale_set_write(call, model)
    if existing is None:
        vmss = ScaleSet(subscription=call.params["subscriptionId"], resource_group=group.name,
                        name=call.params["vmScaleSetName"], model=model,
                        scheduled_maintenance=call.emulator.scheduled_maintenance)
        vmss.model["id"] = vmss.id
        call.store.put_scale_set(vmss)
        vmss.scale_to(vmss.capacity)
        op = begin(call, vmss, list(vmss.vms.values()), scale_set_state="Creating")
        return answer(201, view(vmss), write=True, headers=call.lro(op, location=False))
    added, upgraded = _apply(existing, model)
    op = _begin_update(call, existing, added, upgraded)
    return answer(200, view(existing), write=True, headers=call.lro(op, location=False))


def patch_scale_set(call: Call) -> web.Response:
    vmss = find_scale_set(call, missing_code="PatchResourceNotFound")
    ensure_idle(call, vmss)
    require_object(call.body, "virtual machine scale set update")
    body = lenient.read_body(call.contract.spec, UPDATE, call.body, patch=True)
    present = lenient.without_nulls(body)  # a null removes (RFC 7396); the schema judges what is sent
    call.check(UPDATE, present, view(vmss))
    require_members(present, _OBJECT_MEMBERS)
    merged = call.contract.merge(view(vmss), call.contract.without_secrets(body))
    model = _new_model(call, merged, vmss, password_given=_password_given(body))
    references.check_scale_set_write(call, model)
    added, upgraded = _apply(vmss, model)
    op = _begin_update(call, vmss, added, upgraded)
    return answer(200, view(vmss), write=True, headers=call.lro(op, location=False))


def delete_scale_set(call: Call) -> web.Response:
    find_group(call)
    vmss = call.store.scale_set(call.params["subscriptionId"], call.params["resourceGroupName"], call.params["vmScaleSetName"])
    if vmss is None:
        return answer(204)  # ARM: deleting what is not there is not an error
    ensure_idle(call, vmss)
    call.store.delete_scale_set(vmss)
    op = begin(call, vmss, [], scale_set_state="Deleting")
    return answer(202, write=True, headers=call.lro(op, location=True))


def _stored(vmss: ScaleSet) -> JSON:
    """What a later PUT is laid over: the model without what ARM computes per answer, and without
    tags (a PUT states the resource's tags whole, as ARM's PUT does for every tracked resource)."""
    model = {k: copy.deepcopy(v) for k, v in vmss.model.items() if k not in ("name", "id", "type", "tags")}
    obj(model.get("properties")).pop("provisioningState", None)
    return model


def _password_given(body: Any) -> bool:
    os_profile = obj(obj(obj(body).get("properties")).get("virtualMachineProfile")).get("osProfile")
    return isinstance(os_profile, dict) and os_profile.get("adminPassword") is not None


def _new_model(call: Call, body: JSON, existing: ScaleSet | None, *, password_given: bool = False) -> JSON:
    """The stored model for an accepted PUT/PATCH body (secrets already removed)."""
    location = body.get("location") or (existing.location if existing else "")
    model: JSON = {
        "name": existing.name if existing else call.params["vmScaleSetName"],
        "id": existing.id if existing else "",
        "type": VMSS_TYPE,
        "location": normalize_location(str(location)),
        "tags": {},
    }
    model.update({k: copy.deepcopy(v) for k, v in body.items() if k not in ("name", "id", "type", "location")})
    props = obj(model.get("properties"))
    model["properties"] = props
    props.pop("provisioningState", None)
    before = existing.properties if existing is not None else {}
    for name in _SERVER_KEPT:
        if name in before and name not in props:
            props[name] = copy.deepcopy(before[name])
    props.setdefault("uniqueId", str(uuid.uuid4()))
    props.setdefault("timeCreated", now_iso())
    props.setdefault("orchestrationMode", "Uniform")
    _default_os_disk(props)
    defaults.fill_create_defaults(model, password_given=password_given)
    catalog.check_image(call, model, existing.model if existing is not None else None)
    managed_identity.settle(call, model, existing.model if existing is not None else None,
                            model.get("id") or call.request.path.rstrip("/"))
    return model


def _default_os_disk(props: JSON) -> None:
    """ARM fills an OS disk's createOption (FromImage) when it is left out: a PATCH may add
    the disk to a set created without one, and the model must still carry the required member."""
    profile = props.get("virtualMachineProfile")
    storage = profile.get("storageProfile") if isinstance(profile, dict) else None
    disk = storage.get("osDisk") if isinstance(storage, dict) else None
    if isinstance(disk, dict) and disk.get("createOption") is None:
        disk["createOption"] = "FromImage"


def _begin_update(call: Call, vmss: ScaleSet, added: list[VM], upgraded: list[VM]) -> Operation:
    """The operation of an accepted PUT/PATCH; in Rolling mode, bringing VMs to a new model is a rolling upgrade."""
    op = begin(call, vmss, added + upgraded, scale_set_state="Updating")
    if upgraded and rolling.is_rolling(vmss):
        rolling.start(vmss, op, len(upgraded))
    return op


def _apply(vmss: ScaleSet, model: JSON) -> tuple[list[VM], list[VM]]:
    """Install an accepted model: new model version if the VM model changed, scale, auto-upgrade.

    Returns the VMs added by scaling and those auto-upgraded to the new model."""
    old_vm_model = copy.deepcopy(_FACTS.vm_model(vmss.model))  # rules.yaml facts.vm-model-paths
    state = vmss.properties.get("provisioningState", "Succeeded")
    vmss.model = model
    vmss.properties["provisioningState"] = state
    if _FACTS.vm_model(vmss.model) != old_vm_model:
        vmss.model_version += 1
    before = set(vmss.vms)
    vmss.scale_to(vmss.capacity)
    added = [vm for iid, vm in vmss.vms.items() if iid not in before]
    return added, auto_upgrade(vmss)


def auto_upgrade(vmss: ScaleSet) -> list[VM]:
    """Automatic and Rolling modes bring every instance to the current model at once (Manual: none)."""
    if vmss.upgrade_mode.lower() not in _AUTO_MODES:
        return []
    behind = [vm for vm in vmss.vms.values() if vm.model_version != vmss.model_version]
    for vm in behind:
        vmss.upgrade(vm)
    return behind


# ----------------------------------------------------------------------------- actions

_POWER_AFTER = {"start": "running", "restart": "running", "poweroff": "stopped",
                "deallocate": "deallocated"}
_ACTION_OPERATIONS = {
    "manualupgrade": "VirtualMachineScaleSets_UpdateInstances",
    "reimage": "VirtualMachineScaleSets_Reimage",
    "reimageall": "VirtualMachineScaleSets_ReimageAll",
    "start": "VirtualMachineScaleSets_Start",
    "restart": "VirtualMachineScaleSets_Restart",
    "poweroff": "VirtualMachineScaleSets_PowerOff",
    "deallocate": "VirtualMachineScaleSets_Deallocate",
    "redeploy": "VirtualMachineScaleSets_Redeploy",
    "delete": "VirtualMachineScaleSets_DeleteInstances",
    "approverollingupgrade": "VirtualMachineScaleSets_ApproveRollingUpgrade",
    "reapply": "VirtualMachineScaleSets_Reapply",
    "performmaintenance": "VirtualMachineScaleSets_PerformMaintenance",
    "setorchestrationservicestate": "VirtualMachineScaleSets_SetOrchestrationServiceState",
    "osrollingupgrade": "VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade",
    "extensionrollingupgrade": "VirtualMachineScaleSetRollingUpgrades_StartExtensionUpgrade",
    "rollingupgrades/cancel": "VirtualMachineScaleSetRollingUpgrades_Cancel",
}
_ROLLING_STARTS = ("osrollingupgrade", "extensionrollingupgrade")


def scale_set_action(call: Call) -> web.Response:
    """POST .../{action}: 202 + Azure-AsyncOperation + Location, empty body."""
    vmss = find_scale_set(call, missing_code="ResourceNotFound")
    action = call.action
    if action != "rollingupgrades/cancel":  # cancelling is what one does while an upgrade runs
        ensure_idle(call, vmss)
    body = call.body
    if body is not None:
        require_object(body, "action parameters")
        body = lenient.read_body(call.contract.spec, _ACTION_OPERATIONS[action], body)
    call.check(_ACTION_OPERATIONS[action], body)
    ids = _instance_ids(body)
    unknown = [i for i in (ids or []) if i not in vmss.vms]
    if unknown:
        raise Refused(arm_error(400, "InvalidParameter",
                                f"Instance ids {', '.join(unknown)} are not part of scale set '{vmss.name}'.",
                                target="instanceIds"))
    targets = [vmss.vms[i] for i in ids] if ids is not None else list(vmss.vms.values())
    if action == "performmaintenance":
        start_maintenance(vmss.name, targets)
    if action == "setorchestrationservicestate":
        orchestration.set_state(vmss, body)
    if action == "rollingupgrades/cancel":
        rolling.cancel(call, vmss)  # before `begin` fast-forwards the running operation
    touched = run_action(vmss, action, targets)
    op = begin(call, vmss, touched, scale_set_state=None)
    if action in _ROLLING_STARTS:
        rolling.start(vmss, op, len(touched))
    if action == "osrollingupgrade" and vmss.rolling_upgrade is not None:
        vmss.os_upgrades.append(vmss.rolling_upgrade)
    return answer(202, write=True, headers=call.lro(op, location=True))


def start_maintenance(name: str, targets: list[VM]) -> None:
    """PerformMaintenance runs the maintenance the platform scheduled, once its self-service window is open
    (`maintenanceRedeployStatus.isCustomerInitiatedMaintenanceAllowed`); the emulator schedules it only when
    built with `scheduled_maintenance`. Refused, changing nothing, when a target has none pending."""
    if not targets or any(vm.maintenance != "Pending" for vm in targets):
        raise Refused(no_maintenance(name))
    for vm in targets:
        vm.maintenance = "Completed"


def no_maintenance(name: str) -> web.Response:
    """PerformMaintenance only runs maintenance the platform scheduled; without it (the default emulator
    schedules none) it says so instead of pretending."""
    return arm_error(409, "OperationNotAllowed",
                     f"Operation 'performMaintenance' is not allowed on '{name}' since no platform maintenance is "
                     "pending for it.")


def run_action_reapply(targets: list[VM]) -> None:
    """Reapply re-runs the VM profile on each instance: each goes through Updating again, even a Failed one."""
    for vm in targets:
        vm.provisioning_state = "Updating"


def run_action(vmss: ScaleSet, action: str, targets: list[VM]) -> list[VM]:
    """What an accepted action does to its instances; returns those that get an operation."""
    if action == "delete":
        for vm in targets:
            vmss.remove_vm(vm.instance_id)
        if isinstance(vmss.model.get("sku"), dict):
            vmss.model["sku"]["capacity"] = len(vmss.vms)
        return []
    if action in _FACTS.upgrading_actions:
        for vm in targets:
            vmss.upgrade(vm)
            if action != "manualupgrade":
                vm.power_state = "running"
    if action in _POWER_AFTER:
        for vm in targets:
            vm.power_state = _POWER_AFTER[action]
    if action == "reapply":
        run_action_reapply(targets)
    return targets


def _instance_ids(body: Any) -> list[str] | None:
    """The action's instanceIds (None: all instances).

    `["*"]` means every instance: the real `az vmss restart` / `az vmss stop` with no ids send it
    (azure-cli's vmss power actions default `instance_ids` to `['*']`) and Azure acts on all of them.
    """
    if not isinstance(body, dict) or body.get("instanceIds") is None:
        return None
    ids = body["instanceIds"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise Refused(arm_error(400, "InvalidParameter", "instanceIds must be a list of strings.",
                                target="instanceIds"))
    if "*" in ids:
        return None
    return list(ids)


HANDLERS = {
    "VirtualMachineScaleSets_ListAll": list_scale_sets,
    "VirtualMachineScaleSets_List": list_scale_sets,
    "VirtualMachineScaleSets_ListByLocation": list_by_location,
    "VirtualMachineScaleSets_Get": get_scale_set,
    "VirtualMachineScaleSets_CreateOrUpdate": put_scale_set,
    "VirtualMachineScaleSets_Update": patch_scale_set,
    "VirtualMachineScaleSets_Delete": delete_scale_set,
    "VirtualMachineScaleSets_GetInstanceView": get_instance_view,
    "VirtualMachineScaleSets_ListSkus": list_skus,
    "VirtualMachineScaleSets_GetOSUpgradeHistory": get_os_upgrade_history,
    **{operation_id: scale_set_action for operation_id in _ACTION_OPERATIONS.values()},
}
