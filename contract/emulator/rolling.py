"""Rolling upgrades: what `.../rollingUpgrades/latest` reports.

A rolling upgrade starts with StartOSUpgrade / StartExtensionUpgrade, or with a model
change (scale set PUT/PATCH, a scale set extension write) while upgradePolicy.mode is
Rolling. It rides on the operation the write started: RollingForward while that runs,
Completed once it succeeded, Cancelled when `rollingUpgrades/cancel` came first. The
emulator moves instances to the new model at once, so progress counts them as upgraded.
"""
from __future__ import annotations

import copy

from aiohttp import web

from contract.emulator.http import Call, answer, find_scale_set
from contract.emulator.lro import Operation
from contract.emulator.state import JSON, RollingUpgrade, ScaleSet, now_iso, obj
from contract.servers import arm_error

ROLLING_UPGRADE_TYPE = "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"
# ARM's rollingUpgradePolicy defaults (what a scale set without one is upgraded with)
_DEFAULT_POLICY: JSON = {"maxBatchInstancePercent": 20, "maxUnhealthyInstancePercent": 20,
                         "maxUnhealthyUpgradedInstancePercent": 20, "pauseTimeBetweenBatches": "PT0S"}


def start(vmss: ScaleSet, op: Operation, instances: int) -> None:
    """Record the upgrade `op` carries as the scale set's latest one."""
    policy = obj(obj(vmss.properties.get("upgradePolicy")).get("rollingUpgradePolicy"))
    image = obj(obj(vmss.profile.get("storageProfile")).get("imageReference"))
    vmss.rolling_upgrade = RollingUpgrade(operation=op.id, policy={**_DEFAULT_POLICY, **copy.deepcopy(policy)},
                                          instances=instances, target_image=copy.deepcopy(image))


def is_rolling(vmss: ScaleSet) -> bool:
    return vmss.upgrade_mode.lower() == "rolling"


def cancel(call: Call, vmss: ScaleSet) -> None:
    """`rollingUpgrades/cancel`: the latest upgrade, if still rolling forward, ends Cancelled."""
    upgrade = vmss.rolling_upgrade
    if upgrade is not None and upgrade.cancelled_at is None and not _finished(call, upgrade):
        upgrade.cancelled_at = now_iso()


def _finished(call: Call, upgrade: RollingUpgrade) -> bool:
    op = call.emulator.operations.get(call.params["subscriptionId"], upgrade.operation)
    return op is None or op.done  # an operation dropped from the store finished on its way out


def get_latest(call: Call) -> web.Response:
    """VirtualMachineScaleSetRollingUpgrades_GetLatest: 200 RollingUpgradeStatusInfo, or 404 when the
    scale set never had a rolling upgrade (there is no 'latest' resource to read)."""
    vmss = find_scale_set(call, missing_code="ParentResourceNotFound")
    upgrade = vmss.rolling_upgrade
    if upgrade is None:
        return arm_error(404, "ResourceNotFound",
                         f"No rolling upgrade has run on virtual machine scale set '{vmss.name}'.")
    code, action, action_time, progress = _status(call, upgrade)
    return answer(200, {
        "location": vmss.location,
        "type": ROLLING_UPGRADE_TYPE,
        "properties": {
            "policy": upgrade.policy,
            "runningStatus": {"code": code, "startTime": upgrade.start_time, "lastAction": action,
                              "lastActionTime": action_time},
            "progress": progress,
        },
    })


def _status(call: Call, upgrade: RollingUpgrade) -> tuple[str, str, str, JSON]:
    """(running status code, last action, its time, progress counts) of an upgrade now."""
    done = _finished(call, upgrade)
    if upgrade.cancelled_at is not None:
        code, action, action_time = "Cancelled", "Cancel", upgrade.cancelled_at
    else:
        code, action, action_time = ("Completed" if done else "RollingForward"), "Start", upgrade.start_time
    finished = done or upgrade.cancelled_at is not None
    progress = {"successfulInstanceCount": upgrade.instances if finished else 0, "failedInstanceCount": 0,
                "inProgressInstanceCount": 0 if finished else upgrade.instances, "pendingInstanceCount": 0}
    return code, action, action_time, progress


def history_entry(call: Call, vmss: ScaleSet, upgrade: RollingUpgrade) -> JSON:
    """One OS upgrade in GetOSUpgradeHistory (UpgradeOperationHistoricalStatusInfo): started by the user,
    towards the image the scale set had when it started."""
    code, _action, action_time, progress = _status(call, upgrade)
    running: JSON = {"code": code, "startTime": upgrade.start_time}
    if code != "RollingForward":
        op = call.emulator.operations.get(vmss.subscription, upgrade.operation)
        running["endTime"] = upgrade.cancelled_at or (op.end_time if op is not None and op.end_time else action_time)
    return {
        "location": vmss.location,
        "type": ROLLING_UPGRADE_TYPE,
        "properties": {
            "runningStatus": running,
            "progress": progress,
            "startedBy": "User",
            "targetImageReference": copy.deepcopy(upgrade.target_image),
            "rollbackInfo": {"successfullyRolledbackInstanceCount": 0, "failedRolledbackInstanceCount": 0},
        },
    }


HANDLERS = {"VirtualMachineScaleSetRollingUpgrades_GetLatest": get_latest}
