"""AttachDetachDataDisks on a scale set VM: managed data disks attached or detached by id.

Attached disks belong to the VM (`VM.data_disks`), not to the scale set model, so a
manual upgrade or reimage keeps them, as Azure keeps data disks; the VM model shows
the new `dataDisks` at once. The operation is long-running like
other VM actions (202, Azure-AsyncOperation + Location) and the final `Location` answer
is the new StorageProfile (the swagger's final-state-via: location).
"""
from __future__ import annotations

import copy
import re
from typing import Any

from aiohttp import web

from contract.emulator.http import (
    Call,
    Refused,
    answer,
    ensure_idle,
    find_vm,
    require_object,
)
from contract.emulator.scalesets import begin
from contract.emulator.state import JSON, obj, objs
from contract.emulator.vms import disk_id, vm_view
from contract.servers import arm_error

ATTACH_DETACH = "VirtualMachineScaleSetVMs_AttachDetachDataDisks"
MAX_LUN = 63  # LUNs 0..63, Azure's range for data disks
_DISK_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/disks/([^/]+)$",
                      re.IGNORECASE)


def _invalid(message: str, target: str | None) -> Refused:
    return Refused(arm_error(400, "InvalidParameter", message, target=target))


def attach_detach_data_disks(call: Call) -> web.Response:
    """Every problem is found before anything changes: one bad entry refuses the whole request."""
    vmss, vm = find_vm(call)
    ensure_idle(call, vmss)
    require_object(call.body, "attach detach data disks request")
    call.check(ATTACH_DETACH, call.body)
    attach = objs(call.body.get("dataDisksToAttach"))
    detach = objs(call.body.get("dataDisksToDetach"))
    if not attach and not detach:
        raise _invalid("At least one of dataDisksToAttach or dataDisksToDetach must be given.", None)
    # Work on copies; state changes only once every entry is accepted.
    own = copy.deepcopy(vm.data_disks)
    override = copy.deepcopy(vm.overrides.get("storageProfile"))  # a VM PUT's own storage profile, if any
    current = objs(obj(vm_view(vmss, vm)["properties"].get("storageProfile")).get("dataDisks"))
    attached = {disk_id(d).lower() for d in current if disk_id(d)}
    used = {d.get("lun") for d in current}
    for i, entry in enumerate(detach):
        key = str(entry.get("diskId", "")).lower()
        if key not in attached:
            raise _invalid(f"Data disk '{entry.get('diskId')}' is not attached to VM '{vmss.name}_{vm.instance_id}'.",
                           f"dataDisksToDetach[{i}].diskId")
        attached.discard(key)
        used -= {d.get("lun") for d in current if disk_id(d).lower() == key}
        own = [d for d in own if disk_id(d).lower() != key]
        if isinstance(override, dict):
            override["dataDisks"] = [d for d in objs(override.get("dataDisks")) if disk_id(d).lower() != key]
    for i, entry in enumerate(attach):
        new_id = str(entry.get("diskId", ""))
        name = _DISK_ID.match(new_id)
        if name is None:
            raise _invalid(f"'{new_id}' is not a managed disk resource id.", f"dataDisksToAttach[{i}].diskId")
        if new_id.lower() in attached:
            raise _invalid(f"Data disk '{new_id}' is already attached to VM '{vmss.name}_{vm.instance_id}'.",
                           f"dataDisksToAttach[{i}].diskId")
        lun = entry.get("lun")
        if lun is None:
            lun = next((n for n in range(MAX_LUN + 1) if n not in used), None)
            if lun is None:
                raise _invalid("No free LUN is left on the VM.", f"dataDisksToAttach[{i}]")
        elif not 0 <= lun <= MAX_LUN:
            raise _invalid(f"LUN {lun} is outside 0..{MAX_LUN}.", f"dataDisksToAttach[{i}].lun")
        elif lun in used:
            raise _invalid(f"A disk at LUN {lun} already exists.", f"dataDisksToAttach[{i}].lun")
        used.add(lun)
        attached.add(new_id.lower())
        own.append(_attached_disk(entry, name.group(1), lun))
    vm.data_disks = own
    if isinstance(override, dict):
        vm.overrides["storageProfile"] = override
    op = begin(call, vmss, [vm], scale_set_state=None)
    op.result = copy.deepcopy(vm_view(vmss, vm)["properties"]["storageProfile"])
    return answer(202, write=True, headers=call.lro(op, location=True))


def _attached_disk(entry: dict[str, Any], name: str, lun: int) -> JSON:
    managed: JSON = {"id": entry["diskId"]}
    if isinstance(entry.get("diskEncryptionSet"), dict):
        managed["diskEncryptionSet"] = copy.deepcopy(entry["diskEncryptionSet"])
    return {"lun": lun, "name": name, "createOption": "Attach", "caching": entry.get("caching", "None"),
            "writeAcceleratorEnabled": entry.get("writeAcceleratorEnabled", False), "managedDisk": managed,
            "deleteOption": entry.get("deleteOption", "Detach"), "toBeDetached": False}


HANDLERS = {"VirtualMachineScaleSetVMs_AttachDetachDataDisks": attach_detach_data_disks}
