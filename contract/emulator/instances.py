"""Handlers below a scale set: its VMs and their actions, NICs and public IPs."""
from __future__ import annotations

import copy
import datetime as _dt

from aiohttp import web

from contract.emulator.http import (
    Call,
    Refused,
    answer,
    ensure_idle,
    find_parent,
    find_vm,
    finish_pending,
    require_object,
)
from contract.emulator import query
from contract.emulator.defaults import os_type
from contract.emulator.network import network_interfaces, public_ips
from contract.emulator.scalesets import begin, run_action, start_maintenance
from contract.emulator.state import VM, ScaleSet, obj
from contract.emulator.vms import placement_group_id, vm_instance_view, vm_view
from contract.servers import arm_error

VM_UPDATE = "VirtualMachineScaleSetVMs_Update"
RUN_COMMAND = "VirtualMachineScaleSetVMs_RunCommand"
_SPOT_PRIORITIES = ("spot", "low")  # Low: the older name of Spot
# VM properties ARM computes; a client that PUTs back what it GOT sends them and ARM ignores them.
_VM_READ_ONLY = frozenset({"latestModelApplied", "modelDefinitionApplied", "vmId", "provisioningState",
                           "timeCreated", "instanceView", "networkProfile", "resources"})
# The built-in run commands per OS (Azure's docs, "Run scripts in your VM by using action Run Commands").
_RUN_COMMAND_IDS = {
    "Linux": {c.lower(): c for c in ("RunShellScript", "ifconfig")},
    "Windows": {c.lower(): c for c in ("RunPowerShellScript", "EnableAdminAccount", "EnableRemotePS", "IPConfig",
                                       "RDPSettings", "ResetRDPCert", "SetRDPPort", "DisableNLA",
                                       "DisableWindowsUpdate", "EnableWindowsUpdate")},
}
VM_ACTIONS = {"reimage": "VirtualMachineScaleSetVMs_Reimage", "reimageall": "VirtualMachineScaleSetVMs_ReimageAll",
               "start": "VirtualMachineScaleSetVMs_Start", "restart": "VirtualMachineScaleSetVMs_Restart",
               "poweroff": "VirtualMachineScaleSetVMs_PowerOff", "deallocate": "VirtualMachineScaleSetVMs_Deallocate",
               "redeploy": "VirtualMachineScaleSetVMs_Redeploy",
               "approverollingupgrade": "VirtualMachineScaleSetVMs_ApproveRollingUpgrade",
               "performmaintenance": "VirtualMachineScaleSetVMs_PerformMaintenance"}


# ----------------------------------------------------------------------------- VMs

def list_vms(call: Call) -> web.Response:
    """VirtualMachineScaleSetVMs_List with the swagger's $filter, $select and $expand values, paged."""
    vmss = find_parent(call)
    finish_pending(call, vmss)
    latest, power_only = query.vm_filter(call)
    select = query.vm_select(call)
    expand = call.expands("instanceView") or select is not None or power_only
    vms = sorted(vmss.vms.values(), key=lambda v: int(v.instance_id))
    if latest is not None:
        vms = [vm for vm in vms if (vm.model_version == vmss.model_version) is latest]
    views = [vm_view(vmss, vm, instance_view=expand, user_data=call.expands("userData"), images=call.emulator.images)
             for vm in vms]
    if power_only:
        views = [query.power_statuses_only(v) for v in views]
    if select is not None:
        views = [query.selected(v, select) for v in views]
    return answer(200, query.page(call, views))


def get_vm(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    finish_pending(call, vmss)
    return answer(200, vm_view(vmss, vm, instance_view=call.expands("instanceView"),
                               user_data=call.expands("userData"), images=call.emulator.images))


def get_vm_instance_view(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    finish_pending(call, vmss)
    return answer(200, vm_instance_view(vm, placement_group_id(vmss, vm), vmss))


def put_vm(call: Call) -> web.Response:
    """Per-instance update: the instance's own model (networking, disks...) replaces the scale set's."""
    vmss, vm = find_vm(call)
    ensure_idle(call, vmss)
    clean = call.accepted_body("scale set VM", VM_UPDATE, current=vm_view(vmss, vm))
    props = obj(clean.get("properties"))
    vm.overrides = {k: copy.deepcopy(v) for k, v in props.items() if k not in _VM_READ_ONLY}
    if isinstance(obj(props.get("storageProfile")).get("dataDisks"), list):
        vm.data_disks = []  # the PUT's data disk list is the whole truth: a disk it leaves out is detached
    if isinstance(clean.get("tags"), dict):
        vm.tags = dict(clean["tags"])
    op = begin(call, vmss, [vm], scale_set_state=None)
    return answer(200, vm_view(vmss, vm, images=call.emulator.images), write=True,
                  headers=call.lro(op, location=False))


def delete_vm(call: Call) -> web.Response:
    vmss = find_parent(call)
    vm = vmss.vms.get(call.params["instanceId"])
    if vm is None:
        return answer(204)
    ensure_idle(call, vmss)
    run_action(vmss, "delete", [vm])
    op = begin(call, vmss, [], scale_set_state=None)
    return answer(202, write=True, headers=call.lro(op, location=True))


def vm_action(call: Call) -> web.Response:
    """POST .../virtualMachines/{id}/{action}; the id `*` means every instance of the scale set, as the
    scale set's own actions read `instanceIds: ["*"]`."""
    if call.params["instanceId"] == "*":
        vmss = find_parent(call)
        targets = list(vmss.vms.values())
    else:
        vmss, vm = find_vm(call)
        targets = [vm]
    ensure_idle(call, vmss)
    action = call.action
    if call.body is not None:
        require_object(call.body, "action parameters")
    call.check(VM_ACTIONS[action], call.body)
    if action == "performmaintenance":
        start_maintenance(f"{vmss.name}_{call.params['instanceId']}", targets)
    touched = run_action(vmss, action, targets)
    op = begin(call, vmss, touched, scale_set_state=None)
    return answer(202, write=True, headers=call.lro(op, location=True))


def run_command(call: Call) -> web.Response:
    """The classic POST .../runCommand: 202, and the monitor URL answers the RunCommandResult."""
    vmss, vm = find_vm(call)
    require_object(call.body, "run command input")
    call.check(RUN_COMMAND, call.body)
    command = str(call.body.get("commandId") or "")
    kind = os_type(vm.profile)
    if command.lower() not in _RUN_COMMAND_IDS[kind]:
        raise Refused(arm_error(400, "InvalidParameter",
                                f"Run command '{command}' is not available for {kind} virtual machines; use one of "
                                f"{', '.join(sorted(_RUN_COMMAND_IDS[kind].values()))}.", target="commandId"))
    op = begin(call, vmss, [], scale_set_state=None)
    # The result says what happened: nothing ran, because the emulator has no guest OS to run it in.
    op.result = {"value": [
        {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
         "message": ""},
        {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
         "message": f"vmss-contract emulator: '{_RUN_COMMAND_IDS[kind][command.lower()]}' was accepted for instance "
                    f"{vm.instance_id} but not executed (the emulator runs no guest OS)."}]}
    return answer(202, write=True, headers=call.lro(op, location=True))


def simulate_eviction(call: Call) -> web.Response:
    """POST .../simulateEviction: 204 (the documented example), only for a Spot VM that is allocated.

    The eviction follows the scale set's evictionPolicy at once: Deallocate (the default) leaves the
    VM deallocated, Delete removes it and lowers the capacity, as an instance delete does.
    """
    vmss, vm = find_vm(call)
    ensure_idle(call, vmss)
    priority = str(vm.profile.get("priority") or "Regular")
    if priority.lower() not in _SPOT_PRIORITIES:
        raise _vm_not_allowed(vmss, vm, "simulateEviction", f"its priority is '{priority}'; only Spot virtual "
                                                            "machines can be evicted")
    if vm.power_state == "deallocated":
        raise _vm_not_allowed(vmss, vm, "simulateEviction", "it is deallocated")
    if str(vm.profile.get("evictionPolicy") or "Deallocate").lower() == "delete":
        run_action(vmss, "delete", [vm])
    else:
        vm.power_state = "deallocated"
    return answer(204, write=True)


def retrieve_boot_diagnostics_data(call: Call) -> web.Response:
    """POST .../retrieveBootDiagnosticsData: 200 with SAS URIs of the screenshot and serial log blobs.

    The URIs are shaped like Azure's (the storageUri's account, or managed boot diagnostics storage
    when none is set) but signed with a fixed placeholder: the emulator never mints a real secret.
    """
    vmss, vm = find_vm(call)
    raw = call.query("sasUriExpirationTimeInMinutes")
    minutes = 120  # the swagger's default
    if raw is not None:
        try:
            minutes = int(raw)
        except ValueError:
            minutes = 0
        if not 1 <= minutes <= 1440:
            raise Refused(arm_error(400, "InvalidParameter",
                                    f"sasUriExpirationTimeInMinutes '{raw}' must be an integer from 1 to 1440.",
                                    target="sasUriExpirationTimeInMinutes"))
    boot = obj(obj(obj(vm.overrides.get("diagnosticsProfile") or vm.profile.get("diagnosticsProfile"))
                   ).get("bootDiagnostics"))
    if boot.get("enabled") is not True:
        raise _vm_not_allowed(vmss, vm, "retrieveBootDiagnosticsData", "boot diagnostics are not enabled")
    storage = str(boot.get("storageUri") or "https://md-emulator.blob.storage.azure.net/").rstrip("/")
    name = f"{vmss.name}_{vm.instance_id}"
    expiry = (_dt.datetime.now(_dt.UTC) + _dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sas = f"sv=2018-03-28&sr=b&sp=r&se={expiry}&sig=EMULATED-NOT-A-SIGNATURE"
    base = f"{storage}/bootdiagnostics-{vmss.name.lower()[:9]}-{vm.vm_id}/{name}.{vm.vm_id}"
    return answer(200, {"consoleScreenshotBlobUri": f"{base}.screenshot.bmp?{sas}",
                        "serialConsoleLogBlobUri": f"{base}.serialconsole.log?{sas}"}, write=True)


def _vm_not_allowed(vmss: ScaleSet, vm: VM, operation: str, why: str) -> Refused:
    return Refused(arm_error(409, "OperationNotAllowed",
                             f"Operation '{operation}' is not allowed on VM '{vmss.name}_{vm.instance_id}' "
                             f"since {why}."))


# ----------------------------------------------------------------------------- NICs and public IPs

def _network_parent(call: Call) -> ScaleSet:
    """The scale set of a network path (and its VM, when the path names one, must exist)."""
    if call.params.get("instanceId") is not None:
        return find_vm(call)[0]
    return find_parent(call)


def list_public_ips(call: Call) -> web.Response:
    """`.../publicipaddresses` for the scale set, or for one VM's NIC IP configuration."""
    vmss = _network_parent(call)
    params = call.params
    return answer(200, {"value": public_ips(vmss, params.get("instanceId"), params.get("networkInterfaceName"),
                                            params.get("ipConfigurationName"))})


def get_public_ip(call: Call) -> web.Response:
    vmss = _network_parent(call)
    params = call.params
    found = public_ips(vmss, params["instanceId"], params["networkInterfaceName"], params["ipConfigurationName"],
                       params["publicIpAddressName"])
    if not found:
        return arm_error(404, "ResourceNotFound", f"Public IP address '{params['publicIpAddressName']}' was not found.")
    return answer(200, found[0])


def list_network_interfaces(call: Call) -> web.Response:
    """`.../networkInterfaces` of the scale set or of one VM."""
    vmss = _network_parent(call)
    return answer(200, {"value": network_interfaces(vmss, call.params.get("instanceId"))})


def get_network_interface(call: Call) -> web.Response:
    vmss = _network_parent(call)
    name = call.params["networkInterfaceName"]
    found = network_interfaces(vmss, call.params["instanceId"], name)
    if not found:
        return arm_error(404, "ResourceNotFound", f"Network interface '{name}' was not found.")
    return answer(200, found[0])


HANDLERS = {
    "VirtualMachineScaleSetVMs_List": list_vms,
    "VirtualMachineScaleSetVMs_Get": get_vm,
    "VirtualMachineScaleSetVMs_GetInstanceView": get_vm_instance_view,
    "VirtualMachineScaleSetVMs_Update": put_vm,
    "VirtualMachineScaleSetVMs_Delete": delete_vm,
    **{operation_id: vm_action for operation_id in VM_ACTIONS.values()},
    RUN_COMMAND: run_command,
    "VirtualMachineScaleSetVMs_SimulateEviction": simulate_eviction,
    "VirtualMachineScaleSetVMs_RetrieveBootDiagnosticsData": retrieve_boot_diagnostics_data,
    "NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces": list_network_interfaces,
    "NetworkInterfaces_ListVirtualMachineScaleSetVMNetworkInterfaces": list_network_interfaces,
    "NetworkInterfaces_GetVirtualMachineScaleSetNetworkInterface": get_network_interface,
    "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses": list_public_ips,
    "PublicIPAddresses_ListVirtualMachineScaleSetVMPublicIPAddresses": list_public_ips,
    "PublicIPAddresses_GetVirtualMachineScaleSetPublicIPAddress": get_public_ip,
}
