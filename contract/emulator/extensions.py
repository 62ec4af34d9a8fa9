"""Extensions as child resources of a scale set (`.../extensions/{name}`) or of one of its VMs.

They live inside a model's `extensionProfile.extensions`: the scale set model (so writing
one is a model change and instances fall behind in Manual mode, as in Azure) or the VM's
own copy of it (until a manual upgrade or reimage gives the VM the scale set model again).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from contract.emulator import query, rolling
from contract.emulator.http import Call, answer, ensure_idle, find_parent, find_vm
from contract.emulator.lro import Operation
from contract.emulator.scalesets import auto_upgrade, begin
from contract.emulator.state import JSON, VM, ScaleSet, obj, objs
from contract.servers import arm_error


@dataclass
class _Owner:
    """Where a path's extensions live and what writing one means."""

    vmss: ScaleSet
    profile: JSON  # the model holding extensionProfile
    id_prefix: str
    type: str
    operations: tuple[str, str]  # CreateOrUpdate, Update operation ids
    changed: Callable[[], list[VM]]  # after a write: the VMs that get the operation
    scale_set_state: str | None  # what the scale set shows while the operation runs


def _owner(call: Call) -> _Owner:
    if "instanceId" in call.params:
        vmss, vm = find_vm(call)
        return _Owner(vmss, vm.profile, f"{vmss.id}/virtualMachines/{vm.instance_id}",
                      "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/extensions",
                      ("VirtualMachineScaleSetVMExtensions_CreateOrUpdate", "VirtualMachineScaleSetVMExtensions_Update"),
                      lambda: [vm], None)
    vmss = find_parent(call)
    profile = vmss.properties.get("virtualMachineProfile")
    if not isinstance(profile, dict):
        profile = {}

    def model_changed() -> list[VM]:
        vmss.properties["virtualMachineProfile"] = profile  # attached on the first write
        vmss.model_version += 1
        return auto_upgrade(vmss)

    return _Owner(vmss, profile, vmss.id, "Microsoft.Compute/virtualMachineScaleSets/extensions",
                  ("VirtualMachineScaleSetExtensions_CreateOrUpdate", "VirtualMachineScaleSetExtensions_Update"),
                  model_changed, "Updating")


def _extensions(profile: JSON, create: bool = False) -> list[JSON]:
    """The model's extension list (made, when `create`, along the path that holds it)."""
    if not create:
        return objs(obj(profile.get("extensionProfile")).get("extensions"))
    if not isinstance(profile.get("extensionProfile"), dict):
        profile["extensionProfile"] = {}
    ext_profile = profile["extensionProfile"]
    if not isinstance(ext_profile.get("extensions"), list):
        ext_profile["extensions"] = []
    extensions: list[JSON] = ext_profile["extensions"]
    return extensions


def _find(owner: _Owner, name: str) -> JSON | None:
    return next((e for e in _extensions(owner.profile) if str(e.get("name", "")).lower() == name.lower()), None)


def _view(owner: _Owner, ext: JSON) -> JSON:
    name = str(ext.get("name", ""))
    return {"name": name, "id": f"{owner.id_prefix}/extensions/{name}", "type": owner.type,
            "properties": obj(ext.get("properties"))}


def list_extensions(call: Call) -> web.Response:
    owner = _owner(call)
    return answer(200, query.page(call, [_view(owner, e) for e in _extensions(owner.profile)]))


def get_extension(call: Call) -> web.Response:
    owner = _owner(call)
    ext = _find(owner, call.extension_name)
    if ext is None:
        return arm_error(404, "ResourceNotFound", f"Extension '{call.extension_name}' was not found.")
    return answer(200, _view(owner, ext))


def put_extension(call: Call) -> web.Response:
    """Create (201) or replace (200) an extension; its provisioningState settles with the operation."""
    return _write(call, patch=False)


def patch_extension(call: Call) -> web.Response:
    return _write(call, patch=True)


def _write(call: Call, *, patch: bool) -> web.Response:
    owner = _owner(call)
    ensure_idle(call, owner.vmss)
    existing = _find(owner, call.extension_name)
    if patch and existing is None:
        return arm_error(404, "PatchResourceNotFound", f"Extension '{call.extension_name}' was not found.")
    clean = call.accepted_body("extension", owner.operations[1 if patch else 0])
    props = obj(clean.get("properties"))
    if patch and existing is not None:
        props = call.contract.merge(obj(existing.get("properties")), props)
    props["provisioningState"] = "Updating" if existing is not None else "Creating"
    entry = {"name": existing.get("name") if existing else call.extension_name, "properties": props}
    extensions = _extensions(owner.profile, create=True)
    if existing is not None:
        extensions[extensions.index(existing)] = entry
    else:
        extensions.append(entry)
    op = _begin(call, owner)
    op.on_done.append(lambda: props.__setitem__("provisioningState", "Succeeded"))
    return answer(200 if existing is not None else 201, _view(owner, entry), write=True,
                  headers=call.lro(op, location=False))


def _begin(call: Call, owner: _Owner) -> Operation:
    """The write's operation; a scale set model change in Rolling mode is a rolling upgrade."""
    changed = owner.changed()
    op = begin(call, owner.vmss, changed, scale_set_state=owner.scale_set_state)
    if owner.scale_set_state is not None and changed and rolling.is_rolling(owner.vmss):
        rolling.start(owner.vmss, op, len(changed))
    return op


def delete_extension(call: Call) -> web.Response:
    owner = _owner(call)
    ext = _find(owner, call.extension_name)
    if ext is None:
        return answer(204)
    ensure_idle(call, owner.vmss)
    _extensions(owner.profile, create=True).remove(ext)
    op = _begin(call, owner)
    return answer(202, write=True, headers=call.lro(op, location=True))


HANDLERS = {
    f"{family}_{verb}": handler
    for family in ("VirtualMachineScaleSetExtensions", "VirtualMachineScaleSetVMExtensions")
    for verb, handler in (("List", list_extensions), ("Get", get_extension), ("CreateOrUpdate", put_extension),
                          ("Update", patch_extension), ("Delete", delete_extension))
}
