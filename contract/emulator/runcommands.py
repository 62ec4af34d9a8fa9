"""Scale set VM run commands as ARM shows them: model, provisioning state, instance view."""
from __future__ import annotations

from contract.emulator.state import JSON, RunCommand, ScaleSet

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
