"""Standalone Microsoft.Compute resources a scale-set journey reads: virtual machines and disks.

In Flexible orchestration a scale set's VMs are standalone `Microsoft.Compute/virtualMachines`
(named `<scale set>_<8 hex>`, with `properties.virtualMachineScaleSet.id`), so they are derived
from the flexible scale sets on every read. So are the managed OS disks of every scale set VM: a
scale set VM's OS disk is a `Microsoft.Compute/disks` resource of the scale set's group, named as
its VM model names it (`storageProfile.osDisk.managedDisk.id`) and `managedBy` that VM, which
Disks_Get and the disk lists show (terraform-provider-azurerm#5736: a disk's managedBy naming a
scale set VM). Anything else (VMs and disks created outside a scale set) comes from the generic
store, which also takes them away with their resource group.
"""
from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web

from contract.emulator.defaults import os_type
from contract.emulator.http import Call, answer, find_group, resource_not_found
from contract.emulator.state import JSON, VM, ScaleSet, obj
from contract.emulator.vms import os_disk_name, vm_instance_view, vm_view, vm_zone

VM_TYPE = "Microsoft.Compute/virtualMachines"
DISK_TYPE = "Microsoft.Compute/disks"


def flexible_name(vmss: ScaleSet, vm: VM) -> str:
    return f"{vmss.name}_{vm.vm_id.replace('-', '')[:8]}"


def _flexible_view(vmss: ScaleSet, vm: VM) -> JSON:
    inner = vm_view(vmss, vm)
    name = flexible_name(vmss, vm)
    props = {k: v for k, v in obj(inner.get("properties")).items()
             if k not in ("latestModelApplied", "modelDefinitionApplied", "networkProfileConfiguration")}
    props["virtualMachineScaleSet"] = {"id": vmss.id}
    view: JSON = {
        "name": name,
        "id": f"/subscriptions/{vmss.subscription}/resourceGroups/{vmss.resource_group}/providers/{VM_TYPE}/{name}",
        "type": VM_TYPE,
        "location": inner.get("location"),
        "tags": inner.get("tags", {}),
        "properties": props,
    }
    if "zones" in inner:
        view["zones"] = inner["zones"]
    return view


def _flexible(call: Call, group: str | None) -> Iterator[tuple[ScaleSet, VM]]:
    for vmss in call.store.list_scale_sets(call.params["subscriptionId"], group):
        if str(vmss.properties.get("orchestrationMode", "")).lower() == "flexible":
            for vm in vmss.vms.values():
                yield vmss, vm


def _vms(call: Call, group: str | None) -> list[JSON]:
    prefix = f"/subscriptions/{call.params['subscriptionId']}/"
    if group is not None:
        prefix += f"resourceGroups/{group}/"
    stored = [r.model for r in call.store.resources(prefix=prefix, type=VM_TYPE)]
    return stored + [_flexible_view(s, v) for s, v in _flexible(call, group)]


def _find_vm(call: Call) -> tuple[JSON, VM | None]:
    group = find_group(call)
    wanted = call.params["vmName"].lower()
    for vmss, vm in _flexible(call, group.name):
        if flexible_name(vmss, vm).lower() == wanted:
            return _flexible_view(vmss, vm), vm
    rid = f"/subscriptions/{call.params['subscriptionId']}/resourceGroups/{group.name}/providers/{VM_TYPE}/" \
          f"{call.params['vmName']}"
    stored = call.store.resource(rid)
    if stored is None:
        raise resource_not_found(VM_TYPE, call.params["vmName"], call.params["resourceGroupName"])
    return stored.model, None


def get_vm(call: Call) -> web.Response:
    view, vm = _find_vm(call)
    if vm is not None and call.expands("instanceView"):
        view = {**view, "properties": {**view["properties"], "instanceView": vm_instance_view(vm)}}
    return answer(200, view)


def get_vm_instance_view(call: Call) -> web.Response:
    view, vm = _find_vm(call)
    if vm is None:
        return answer(200, obj(obj(view.get("properties")).get("instanceView")))
    return answer(200, vm_instance_view(vm))


def list_vms(call: Call) -> web.Response:
    group = find_group(call).name if "resourceGroupName" in call.params else None
    return answer(200, {"value": _vms(call, group)})


def _os_disk(vmss: ScaleSet, vm: VM) -> JSON | None:
    """The managed OS disk of a scale set VM, as the disk resource Azure keeps for it (None: unmanaged)."""
    os_disk = obj(obj(vm.profile.get("storageProfile")).get("osDisk"))
    managed = os_disk.get("managedDisk")
    if not isinstance(managed, dict):
        return None
    name = os_disk_name(vmss, vm)
    account = str(managed.get("storageAccountType") or "Standard_LRS")
    flexible = str(vmss.properties.get("orchestrationMode", "")).lower() == "flexible"
    owner = (f"/subscriptions/{vmss.subscription}/resourceGroups/{vmss.resource_group}/providers/{VM_TYPE}/"
             f"{flexible_name(vmss, vm)}" if flexible else f"{vmss.id}/virtualMachines/{vm.instance_id}")
    kind = os_type(vm.profile)
    disk: JSON = {
        "name": name,
        "id": f"/subscriptions/{vmss.subscription}/resourceGroups/{vmss.resource_group}/providers/{DISK_TYPE}/{name}",
        "type": DISK_TYPE,
        "location": vmss.location,
        "managedBy": owner,
        "sku": {"name": account, "tier": "Premium" if account.lower().startswith("premium") else "Standard"},
        "properties": {
            "osType": kind,
            "diskSizeGB": os_disk.get("diskSizeGB") or (127 if kind == "Windows" else 30),  # the images' own sizes
            "diskState": "Attached",
            "provisioningState": "Succeeded",
            "uniqueId": vm.vm_id,
            "creationData": {"createOption": "FromImage"},
        },
    }
    zone = vm_zone(vmss, vm)
    if zone is not None:
        disk["zones"] = [zone]
    return disk


def _scale_set_disks(call: Call, group: str | None) -> list[JSON]:
    return [d for vmss in call.store.list_scale_sets(call.params["subscriptionId"], group)
            for vm in vmss.vms.values() for d in [_os_disk(vmss, vm)] if d is not None]


def get_disk(call: Call) -> web.Response:
    group = find_group(call)
    wanted = call.params["diskName"].lower()
    for disk in _scale_set_disks(call, group.name):
        if str(disk["name"]).lower() == wanted:
            return answer(200, disk)
    rid = f"/subscriptions/{call.params['subscriptionId']}/resourceGroups/{group.name}/providers/{DISK_TYPE}/" \
          f"{call.params['diskName']}"
    stored = call.store.resource(rid)
    if stored is None:
        raise resource_not_found(DISK_TYPE, call.params["diskName"], call.params["resourceGroupName"])
    return answer(200, stored.model)


def list_disks(call: Call) -> web.Response:
    prefix = f"/subscriptions/{call.params['subscriptionId']}/"
    group = None
    if "resourceGroupName" in call.params:
        group = find_group(call).name
        prefix += f"resourceGroups/{group}/"
    stored = [r.model for r in call.store.resources(prefix=prefix, type=DISK_TYPE)]
    return answer(200, {"value": stored + _scale_set_disks(call, group)})


HANDLERS = {
    "VirtualMachines_Get": get_vm,
    "VirtualMachines_InstanceView": get_vm_instance_view,
    "VirtualMachines_List": list_vms,
    "VirtualMachines_ListAll": list_vms,
    "Disks_Get": get_disk,
    "Disks_ListByResourceGroup": list_disks,
    "Disks_List": list_disks,
}
