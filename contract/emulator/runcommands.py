"""Scale set VM run commands: create 201 / update 200 (Creating/Updating -> Succeeded), PATCH,
GET with `$expand=instanceView`, list and delete. Secrets (protectedParameters, runAsPassword)
are accepted and dropped before storing, as the spec names them."""
from __future__ import annotations

import copy

from aiohttp import web

from contract.emulator import query
from contract.emulator.http import Call, answer, find_vm
from contract.emulator.lro import Operation
from contract.emulator.state import JSON, RunCommand, ScaleSet, normalize_location, now_iso, obj
from contract.servers import arm_error

CREATE = "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"
UPDATE = "VirtualMachineScaleSetVMRunCommands_Update"

RUN_COMMAND_TYPE = "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/runCommands"


def run_command_view(vmss: ScaleSet, instance_id: str, rc: RunCommand, *, instance_view: bool = False) -> JSON:
    props: JSON = {**rc.properties}
    props["provisioningState"] = rc.provisioning_state
    if instance_view:
        props["instanceView"] = run_command_instance_view(rc)
    return {
        "name": rc.name,
        "id": f"{vmss.id}/virtualMachines/{instance_id}/runCommands/{rc.name}",
        "type": RUN_COMMAND_TYPE,
        "location": rc.location,
        "tags": rc.tags,
        "properties": props,
    }


def run_command_instance_view(rc: RunCommand) -> JSON:
    """Execution result: a run command that finished provisioning has run and exited 0."""
    finished = rc.provisioning_state == "Succeeded"
    view: JSON = {
        "executionState": "Succeeded" if finished else "Running",
        "executionMessage": "" if finished else "Script is running",
        "exitCode": 0,
        "output": "",
        "error": "",
        "startTime": rc.start_time,
    }
    if finished:
        view["endTime"] = rc.end_time or rc.start_time
    return view


def _rc_key(call: Call) -> tuple[str, str]:
    return call.params["instanceId"], call.params["runCommandName"].lower()


def put_run_command(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    clean = call.accepted_body("run command", CREATE)
    existing = vmss.run_commands.get(_rc_key(call))
    rc = RunCommand(name=existing.name if existing else call.params["runCommandName"],
                    location=normalize_location(str(clean.get("location") or vmss.location)),
                    properties=_rc_properties(clean), tags=dict(obj(clean.get("tags"))),
                    provisioning_state="Updating" if existing else "Creating")
    vmss.run_commands[_rc_key(call)] = rc
    op = _begin_run_command(call, vmss, rc)
    return answer(200 if existing else 201, run_command_view(vmss, vm.instance_id, rc), write=True,
                  headers=call.lro(op, location=False))


def patch_run_command(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    rc = vmss.run_commands.get(_rc_key(call))
    if rc is None:
        return arm_error(404, "PatchResourceNotFound", f"Run command '{call.params['runCommandName']}' was not found.")
    clean = call.accepted_body("run command update", UPDATE)
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


def _begin_run_command(call: Call, vmss: ScaleSet, rc: RunCommand) -> Operation:
    rc.start_time, rc.end_time = now_iso(), None

    def settle() -> None:
        rc.provisioning_state = "Succeeded"
        rc.end_time = now_iso()

    return call.emulator.operations.start(vmss.subscription, rc.location, settle)


def get_run_command(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    rc = vmss.run_commands.get(_rc_key(call))
    if rc is None:
        return arm_error(404, "ResourceNotFound", f"Run command '{call.params['runCommandName']}' was not found "
                                                  f"on instance '{vm.instance_id}' of '{vmss.name}'.")
    return answer(200, run_command_view(vmss, vm.instance_id, rc, instance_view=call.expands("instanceView")))


def list_run_commands(call: Call) -> web.Response:
    vmss, vm = find_vm(call)
    expand = call.expands("instanceView")
    items = [run_command_view(vmss, vm.instance_id, rc, instance_view=expand)
             for (iid, _), rc in sorted(vmss.run_commands.items()) if iid == vm.instance_id]
    return answer(200, query.page(call, items))


def delete_run_command(call: Call) -> web.Response:
    vmss, _vm = find_vm(call)
    rc = vmss.run_commands.pop(_rc_key(call), None)
    if rc is None:
        return answer(204)
    op = call.emulator.operations.start(vmss.subscription, rc.location)
    return answer(202, write=True, headers=call.lro(op, location=True))


HANDLERS = {
    "VirtualMachineScaleSetVMRunCommands_List": list_run_commands,
    "VirtualMachineScaleSetVMRunCommands_Get": get_run_command,
    "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate": put_run_command,
    "VirtualMachineScaleSetVMRunCommands_Update": patch_run_command,
    "VirtualMachineScaleSetVMRunCommands_Delete": delete_run_command,
}
