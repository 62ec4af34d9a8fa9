"""Handlers below a scale set: its VMs, their actions and run commands, and public IPs."""
from __future__ import annotations

import copy

from aiohttp import web

from contract.emulator.http import Call, answer, busy, find_scale_set, require_object
from contract.emulator.runcommands import run_command_view
from contract.emulator.scalesets import begin, run_action
from contract.emulator.state import VM, RunCommand, ScaleSet, normalize_location, now_iso, obj
from contract.emulator.network import network_interfaces, public_ips
from contract.emulator.vms import vm_instance_view, vm_view
from contract.servers import arm_error

VM_UPDATE = "VirtualMachineScaleSetVMs_Update"
RC_CREATE = "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"
RC_UPDATE = "VirtualMachineScaleSetVMRunCommands_Update"
# VM properties ARM computes; a client that PUTs back what it GOT sends them and ARM ignores them.
_VM_READ_ONLY = frozenset({"latestModelApplied", "modelDefinitionApplied", "vmId", "provisioningState",
                           "timeCreated", "instanceView", "networkProfile", "resources"})
VM_ACTIONS = {"reimage": "VirtualMachineScaleSetVMs_Reimage", "reimageall": "VirtualMachineScaleSetVMs_ReimageAll",
               "start": "VirtualMachineScaleSetVMs_Start", "restart": "VirtualMachineScaleSetVMs_Restart",
               "poweroff": "VirtualMachineScaleSetVMs_PowerOff", "deallocate": "VirtualMachineScaleSetVMs_Deallocate",
               "redeploy": "VirtualMachineScaleSetVMs_Redeploy",
               "approverollingupgrade": "VirtualMachineScaleSetVMs_ApproveRollingUpgrade",
               "performmaintenance": "VirtualMachineScaleSetVMs_PerformMaintenance"}


def _parent(call: Call) -> ScaleSet | web.Response:
    """A child under a missing scale set is ParentResourceNotFound, as ARM says."""
    return find_scale_set(call, missing_code="ParentResourceNotFound")


def _find_vm(call: Call) -> tuple[ScaleSet, VM] | web.Response:
    vmss = _parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    vm = vmss.vms.get(call.params["iid"])
    if vm is None:
        return arm_error(404, "ResourceNotFound",
                         f"The Resource 'Microsoft.Compute/virtualMachineScaleSets/{vmss.name}/virtualMachines/"
                         f"{call.params['iid']}' under resource group '{call.params['rg']}' was not found.")
    return vmss, vm


# ----------------------------------------------------------------------------- VMs

def list_vms(call: Call) -> web.Response:
    vmss = _parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    expand = call.expands("instanceView")
    vms = sorted(vmss.vms.values(), key=lambda v: int(v.instance_id))
    return answer(200, {"value": [vm_view(vmss, vm, instance_view=expand) for vm in vms]})


def get_vm(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    return answer(200, vm_view(vmss, vm, instance_view=call.expands("instanceView")))


def get_vm_instance_view(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    return answer(200, vm_instance_view(found[1]))


def put_vm(call: Call) -> web.Response:
    """Per-instance update: the instance's own model (networking, disks...) replaces the scale set's."""
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    conflict = busy(call, vmss)
    if conflict is not None:
        return conflict
    clean = call.accepted_body("scale set VM", VM_UPDATE, current=vm_view(vmss, vm))
    if isinstance(clean, web.Response):
        return clean
    props = obj(clean.get("properties"))
    vm.overrides = {k: copy.deepcopy(v) for k, v in props.items() if k not in _VM_READ_ONLY}
    if isinstance(clean.get("tags"), dict):
        vm.tags = dict(clean["tags"])
    op = begin(call, vmss, [vm], scale_set_state=None)
    return answer(200, vm_view(vmss, vm), write=True, headers=call.lro(op, location=False))


def delete_vm(call: Call) -> web.Response:
    vmss = _parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    vm = vmss.vms.get(call.params["iid"])
    if vm is None:
        return answer(204)
    conflict = busy(call, vmss)
    if conflict is not None:
        return conflict
    run_action(vmss, "delete", [vm])
    op = begin(call, vmss, [], scale_set_state=None)
    return answer(202, write=True, headers=call.lro(op, location=True))


def vm_action(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    conflict = busy(call, vmss)
    if conflict is not None:
        return conflict
    action = call.params["action"].lower()
    if call.body is not None:
        refused = require_object(call.body, "action parameters")
        if refused is not None:
            return refused
    refused = call.contract.refuse(VM_ACTIONS[action], call.body, call.version)
    if refused is not None:
        return refused
    touched = run_action(vmss, action, [vm])
    op = begin(call, vmss, touched, scale_set_state=None)
    return answer(202, write=True, headers=call.lro(op, location=True))


# ----------------------------------------------------------------------------- run commands

def _rc_key(call: Call) -> tuple[str, str]:
    return call.params["iid"], call.params["rc"].lower()


def put_run_command(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    clean = call.accepted_body("run command", RC_CREATE)
    if isinstance(clean, web.Response):
        return clean
    existing = vmss.run_commands.get(_rc_key(call))
    rc = RunCommand(name=existing.name if existing else call.params["rc"],
                    location=normalize_location(str(clean.get("location") or vmss.location)),
                    properties=_rc_properties(clean), tags=dict(obj(clean.get("tags"))),
                    provisioning_state="Updating" if existing else "Creating")
    vmss.run_commands[_rc_key(call)] = rc
    op = _begin_run_command(call, vmss, rc)
    return answer(200 if existing else 201, run_command_view(vmss, vm.instance_id, rc), write=True,
                  headers=call.lro(op, location=False))


def patch_run_command(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    rc = vmss.run_commands.get(_rc_key(call))
    if rc is None:
        return arm_error(404, "PatchResourceNotFound", f"Run command '{call.params['rc']}' was not found.")
    clean = call.accepted_body("run command update", RC_UPDATE)
    if isinstance(clean, web.Response):
        return clean
    rc.properties = call.contract.merge(rc.properties, _rc_properties(clean))
    if isinstance(clean.get("tags"), dict):
        rc.tags = dict(clean["tags"])
    rc.provisioning_state = "Updating"
    op = _begin_run_command(call, vmss, rc)
    return answer(200, run_command_view(vmss, vm.instance_id, rc), write=True, headers=call.lro(op, location=False))


def _rc_properties(body: dict[str, object]) -> dict[str, object]:
    props = body.get("properties")
    out = copy.deepcopy(props) if isinstance(props, dict) else {}
    for computed in ("provisioningState", "instanceView"):
        out.pop(computed, None)
    return out


def _begin_run_command(call: Call, vmss: ScaleSet, rc: RunCommand) -> object:
    rc.start_time, rc.end_time = now_iso(), None

    def settle() -> None:
        rc.provisioning_state = "Succeeded"
        rc.end_time = now_iso()

    return call.emulator.operations.start(vmss.subscription, rc.location, settle)


def get_run_command(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    rc = vmss.run_commands.get(_rc_key(call))
    if rc is None:
        return arm_error(404, "ResourceNotFound", f"Run command '{call.params['rc']}' was not found "
                                                  f"on instance '{vm.instance_id}' of '{vmss.name}'.")
    return answer(200, run_command_view(vmss, vm.instance_id, rc, instance_view=call.expands("instanceView")))


def list_run_commands(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, vm = found
    expand = call.expands("instanceView")
    items = [run_command_view(vmss, vm.instance_id, rc, instance_view=expand)
             for (iid, _), rc in sorted(vmss.run_commands.items()) if iid == vm.instance_id]
    return answer(200, {"value": items})


def delete_run_command(call: Call) -> web.Response:
    found = _find_vm(call)
    if isinstance(found, web.Response):
        return found
    vmss, _vm = found
    rc = vmss.run_commands.pop(_rc_key(call), None)
    if rc is None:
        return answer(204)
    op = call.emulator.operations.start(vmss.subscription, rc.location)
    return answer(202, write=True, headers=call.lro(op, location=True))


# ----------------------------------------------------------------------------- public IPs

def _network_parent(call: Call) -> ScaleSet | web.Response:
    vmss = _parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    iid = call.params.get("iid")
    if iid is not None and iid not in vmss.vms:
        return arm_error(404, "ResourceNotFound", f"Instance '{iid}' of '{vmss.name}' was not found.")
    return vmss


def list_public_ips(call: Call) -> web.Response:
    """`.../publicipaddresses` for the scale set, or for one VM's NIC IP configuration."""
    vmss = _network_parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    return answer(200, {"value": public_ips(vmss, call.params.get("iid"), call.params.get("nic"),
                                            call.params.get("ipc"))})


def get_public_ip(call: Call) -> web.Response:
    vmss = _network_parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    found = public_ips(vmss, call.params["iid"], call.params["nic"], call.params["ipc"], call.params["pip"])
    if not found:
        return arm_error(404, "ResourceNotFound", f"Public IP address '{call.params['pip']}' was not found.")
    return answer(200, found[0])


def list_network_interfaces(call: Call) -> web.Response:
    """`.../networkInterfaces` of the scale set or of one VM."""
    vmss = _network_parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    return answer(200, {"value": network_interfaces(vmss, call.params.get("iid"))})


def get_network_interface(call: Call) -> web.Response:
    vmss = _network_parent(call)
    if isinstance(vmss, web.Response):
        return vmss
    found = network_interfaces(vmss, call.params["iid"], call.params["nic"])
    if not found:
        return arm_error(404, "ResourceNotFound", f"Network interface '{call.params['nic']}' was not found.")
    return answer(200, found[0])
