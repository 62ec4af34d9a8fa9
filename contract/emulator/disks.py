"""AttachDetachDataDisks on a scale set VM: managed data disks attached or detached by id.

The VM's storage profile becomes its own (a per-instance override, as a VM PUT makes),
so the VM model shows the new `dataDisks` at once; the operation is long-running like
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
from contract.emulator.vms import vm_view
from contract.servers import arm_error

ATTACH_DETACH = "VirtualMachineScaleSetVMs_AttachDetachDataDisks"
MAX_LUN = 63  # LUNs 0..63, Azure's range for data disks
_DISK_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/disks/([^/]+)$",
                      re.IGNORECASE)


def _invalid(message: str, target: str | None) -> Refused:
    return Refused(arm_error(400, "InvalidParameter", message, target=target))


def _disk_id(disk: JSON) -> str:
    return str(obj(disk.get("managedDisk")).get("id") or "")


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
    storage: JSON = copy.deepcopy(vm_view(vmss, vm)["properties"]["storageProfile"])
    disks = objs(storage.get("dataDisks"))
    attached = {_disk_id(d).lower(): d for d in disks if _disk_id(d)}
    for i, entry in enumerate(detach):
        key = str(entry.get("diskId", "")).lower()
        if key not in attached:
            raise _invalid(f"Data disk '{entry.get('diskId')}' is not attached to VM '{vmss.name}_{vm.instance_id}'.",
                           f"dataDisksToDetach[{i}].diskId")
        disks.remove(attached.pop(key))
    used = {d.get("lun") for d in disks}
    for i, entry in enumerate(attach):
        disk_id = str(entry.get("diskId", ""))
        name = _DISK_ID.match(disk_id)
        if name is None:
            raise _invalid(f"'{disk_id}' is not a managed disk resource id.", f"dataDisksToAttach[{i}].diskId")
        if disk_id.lower() in attached:
            raise _invalid(f"Data disk '{disk_id}' is already attached to VM '{vmss.name}_{vm.instance_id}'.",
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
        disk = _attached_disk(entry, name.group(1), lun)
        attached[disk_id.lower()] = disk
        disks.append(disk)
    storage["dataDisks"] = sorted(disks, key=lambda d: d.get("lun", 0))
    vm.overrides["storageProfile"] = storage
    op = begin(call, vmss, [vm], scale_set_state=None)
    op.result = copy.deepcopy(storage)
    return answer(202, write=True, headers=call.lro(op, location=True))


def _attached_disk(entry: dict[str, Any], name: str, lun: int) -> JSON:
    managed: JSON = {"id": entry["diskId"]}
    if isinstance(entry.get("diskEncryptionSet"), dict):
        managed["diskEncryptionSet"] = copy.deepcopy(entry["diskEncryptionSet"])
    return {"lun": lun, "name": name, "createOption": "Attach", "caching": entry.get("caching", "None"),
            "writeAcceleratorEnabled": entry.get("writeAcceleratorEnabled", False), "managedDisk": managed,
            "deleteOption": entry.get("deleteOption", "Detach"), "toBeDetached": False}
