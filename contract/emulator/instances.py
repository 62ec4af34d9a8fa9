"""Handlers below a scale set: its VMs and their actions, NICs and public IPs."""
from __future__ import annotations

import copy

from aiohttp import web

from contract.emulator.http import Call, answer, ensure_idle, find_parent, find_vm, require_object
from contract.emulator.network import network_interfaces, public_ips
from contract.emulator.scalesets import begin, run_action
from contract.emulator.state import ScaleSet, obj
from contract.emulator.vms import vm_instance_view, vm_view
from contract.servers import arm_error

VM_UPDATE = "VirtualMachineScaleSetVMs_Update"
RUN_COMMAND = "VirtualMachineScaleSetVMs_RunCommand"
# VM properties ARM computes; a client that PUTs back what it GOT sends them and ARM ignores them.
_VM_READ_ONLY = frozenset({"latestModelApplied", "modelDefinitionApplied", "vmId", "provisioningState",
                           "timeCreated", "instanceView", "networkProfile", "resources"})
VM_ACTIONS = {"reimage": "VirtualMachineScaleSetVMs_Reimage", "reimageall": "VirtualMachineScaleSetVMs_ReimageAll",
               "start": "VirtualMachineScaleSetVMs_Start", "restart": "VirtualMachineScaleSetVMs_Restart",
               "poweroff": "VirtualMachineScaleSetVMs_PowerOff", "deallocate": "VirtualMachineScaleSetVMs_Deallocate",
               "redeploy": "VirtualMachineScaleSetVMs_Redeploy",
               "approverollingupgrade": "VirtualMachineScaleSetVMs_ApproveRollingUpgrade",
               "performmaintenance": "VirtualMachineScaleSetVMs_PerformMaintenance"}


# ----------------------------------------------------------------------------- VMs

def list_vms(call: Call) -> web.Response:
    vmss = find_parent(call)
    expand = call.expands("instanceView")
    vms = sorted(vmss.vms.values(), key=lambda v: int(v.instance_id))
    return answer(200, {"value": [vm_view(vmss, vm, instance_view=expand) for vm in vms]})


def get_vm(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    return answer(200, vm_view(vmss, vm, instance_view=call.expands("instanceView")))


def get_vm_instance_view(call: Call) -> web.Response:
    return answer(200, vm_instance_view(find_vm(call)[1]))


def put_vm(call: Call) -> web.Response:
    """Per-instance update: the instance's own model (networking, disks...) replaces the scale set's."""
    vmss, vm = find_vm(call)
    ensure_idle(call, vmss)
    clean = call.accepted_body("scale set VM", VM_UPDATE, current=vm_view(vmss, vm))
    props = obj(clean.get("properties"))
    vm.overrides = {k: copy.deepcopy(v) for k, v in props.items() if k not in _VM_READ_ONLY}
    if isinstance(clean.get("tags"), dict):
        vm.tags = dict(clean["tags"])
    op = begin(call, vmss, [vm], scale_set_state=None)
    return answer(200, vm_view(vmss, vm), write=True, headers=call.lro(op, location=False))


def delete_vm(call: Call) -> web.Response:
    vmss = find_parent(call)
    vm = vmss.vms.get(call.params["iid"])
    if vm is None:
        return answer(204)
    ensure_idle(call, vmss)
    run_action(vmss, "delete", [vm])
    op = begin(call, vmss, [], scale_set_state=None)
    return answer(202, write=True, headers=call.lro(op, location=True))


def vm_action(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    ensure_idle(call, vmss)
    action = call.params["action"].lower()
    if call.body is not None:
        require_object(call.body, "action parameters")
    call.check(VM_ACTIONS[action], call.body)
    touched = run_action(vmss, action, [vm])
    op = begin(call, vmss, touched, scale_set_state=None)
    return answer(202, write=True, headers=call.lro(op, location=True))


def run_command(call: Call) -> web.Response:
    """The classic POST .../runCommand: 202, and the monitor URL answers the RunCommandResult."""
    vmss, vm = find_vm(call)
    require_object(call.body, "run command input")
    call.check(RUN_COMMAND, call.body)
    op = begin(call, vmss, [], scale_set_state=None)
    script = call.body.get("commandId") or "script"
    op.result = {"value": [
        {"code": "ComponentStatus/StdOut/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
         "message": f"Enable succeeded: ran {script} on instance {vm.instance_id}"},
        {"code": "ComponentStatus/StdErr/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded",
         "message": ""}]}
    return answer(202, write=True, headers=call.lro(op, location=True))


# ----------------------------------------------------------------------------- NICs and public IPs

def _network_parent(call: Call) -> ScaleSet:
    """The scale set of a network path (and its VM, when the path names one, must exist)."""
    if call.params.get("iid") is not None:
        return find_vm(call)[0]
    return find_parent(call)


def list_public_ips(call: Call) -> web.Response:
    """`.../publicipaddresses` for the scale set, or for one VM's NIC IP configuration."""
    vmss = _network_parent(call)
    return answer(200, {"value": public_ips(vmss, call.params.get("iid"), call.params.get("nic"),
                                            call.params.get("ipc"))})


def get_public_ip(call: Call) -> web.Response:
    vmss = _network_parent(call)
    found = public_ips(vmss, call.params["iid"], call.params["nic"], call.params["ipc"], call.params["pip"])
    if not found:
        return arm_error(404, "ResourceNotFound", f"Public IP address '{call.params['pip']}' was not found.")
    return answer(200, found[0])


def list_network_interfaces(call: Call) -> web.Response:
    """`.../networkInterfaces` of the scale set or of one VM."""
    vmss = _network_parent(call)
    return answer(200, {"value": network_interfaces(vmss, call.params.get("iid"))})


def get_network_interface(call: Call) -> web.Response:
    vmss = _network_parent(call)
    found = network_interfaces(vmss, call.params["iid"], call.params["nic"])
    if not found:
        return arm_error(404, "ResourceNotFound", f"Network interface '{call.params['nic']}' was not found.")
    return answer(200, found[0])
