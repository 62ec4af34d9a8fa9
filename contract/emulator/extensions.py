"""Scale set extensions as child resources (`.../virtualMachineScaleSets/{vmss}/extensions/{name}`).

They live inside the scale set model (`virtualMachineProfile.extensionProfile.extensions`),
so writing one is a model change: instances fall behind in Manual mode, as in Azure.
"""
from __future__ import annotations

from aiohttp import web

from contract.emulator.http import Call, answer, ensure_idle, find_parent
from contract.emulator.scalesets import auto_upgrade, begin
from contract.emulator.state import JSON, ScaleSet, obj, objs
from contract.servers import arm_error

EXTENSION_TYPE = "Microsoft.Compute/virtualMachineScaleSets/extensions"
CREATE = "VirtualMachineScaleSetExtensions_CreateOrUpdate"
UPDATE = "VirtualMachineScaleSetExtensions_Update"


def _extensions(vmss: ScaleSet, create: bool = False) -> list[JSON]:
    """The model's extension list (made, when `create`, along the path that holds it)."""
    profile = vmss.properties.get("virtualMachineProfile")
    if not create:
        return objs(obj(obj(profile).get("extensionProfile")).get("extensions"))
    if not isinstance(profile, dict):
        profile = vmss.properties["virtualMachineProfile"] = {}
    ext_profile = profile.get("extensionProfile")
    if not isinstance(ext_profile, dict):
        ext_profile = profile["extensionProfile"] = {}
    if not isinstance(ext_profile.get("extensions"), list):
        ext_profile["extensions"] = []
    extensions: list[JSON] = ext_profile["extensions"]
    return extensions


def _find(vmss: ScaleSet, name: str) -> JSON | None:
    return next((e for e in _extensions(vmss) if str(e.get("name", "")).lower() == name.lower()), None)


def _view(vmss: ScaleSet, ext: JSON) -> JSON:
    name = str(ext.get("name", ""))
    return {"name": name, "id": f"{vmss.id}/extensions/{name}", "type": EXTENSION_TYPE,
            "properties": obj(ext.get("properties"))}


def list_extensions(call: Call) -> web.Response:
    vmss = find_parent(call)
    return answer(200, {"value": [_view(vmss, e) for e in _extensions(vmss)]})


def get_extension(call: Call) -> web.Response:
    vmss = find_parent(call)
    ext = _find(vmss, call.params["ext"])
    if ext is None:
        return arm_error(404, "ResourceNotFound", f"Extension '{call.params['ext']}' of '{vmss.name}' was not found.")
    return answer(200, _view(vmss, ext))


def put_extension(call: Call) -> web.Response:
    """Create (201) or replace (200) an extension; its provisioningState settles with the operation."""
    return _write(call, CREATE, patch=False)


def patch_extension(call: Call) -> web.Response:
    return _write(call, UPDATE, patch=True)


def _write(call: Call, operation_id: str, *, patch: bool) -> web.Response:
    vmss = find_parent(call)
    ensure_idle(call, vmss)
    existing = _find(vmss, call.params["ext"])
    if patch and existing is None:
        return arm_error(404, "PatchResourceNotFound", f"Extension '{call.params['ext']}' was not found.")
    clean = call.accepted_body("scale set extension", operation_id)
    props = obj(clean.get("properties"))
    if patch and existing is not None:
        props = call.contract.merge(obj(existing.get("properties")), props)
    props["provisioningState"] = "Updating" if existing is not None else "Creating"
    entry = {"name": existing.get("name") if existing else call.params["ext"], "properties": props}
    extensions = _extensions(vmss, create=True)
    if existing is not None:
        extensions[extensions.index(existing)] = entry
    else:
        extensions.append(entry)
    vmss.model_version += 1
    op = begin(call, vmss, auto_upgrade(vmss), scale_set_state="Updating")
    op.on_done.append(lambda: props.__setitem__("provisioningState", "Succeeded"))
    return answer(200 if existing is not None else 201, _view(vmss, entry), write=True,
                  headers=call.lro(op, location=False))


def delete_extension(call: Call) -> web.Response:
    vmss = find_parent(call)
    ext = _find(vmss, call.params["ext"])
    if ext is None:
        return answer(204)
    ensure_idle(call, vmss)
    _extensions(vmss, create=True).remove(ext)
    vmss.model_version += 1
    op = begin(call, vmss, auto_upgrade(vmss), scale_set_state="Updating")
    return answer(202, write=True, headers=call.lro(op, location=True))
