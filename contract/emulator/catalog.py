"""The read-only Compute catalogue: platform images, VM sizes and resource SKUs.

Image answers follow the recorded ones (every `az vmss create` in the shared recordings resolves
its image with `versions?$top=1&$orderby=name desc`, then GETs that version). An image the
catalogue does not know is ARM's 404 NotFound "Artifact: VMImage was not found." (clong/DetectionLab#729,
danielsollondon/azvmimagebuilder#80: the answer of `az vm image show` / a versions list for an unknown image).
"""
from __future__ import annotations

from aiohttp import web

from contract.emulator import images
from contract.emulator.http import Call, Refused, answer
from contract.emulator.state import JSON, obj
from contract.servers import arm_error

_VM_SIZE_FACTS: dict[str, tuple[int, int, int]] = {
    # name: (cores, memory MB, max data disks) -- Azure's published size tables (Dv3, Dsv3, Dv5, B, F, E series)
    "Standard_B1s": (1, 1024, 2), "Standard_B1ms": (1, 2048, 2), "Standard_B2s": (2, 4096, 4),
    "Standard_B2ms": (2, 8192, 4), "Standard_D2s_v3": (2, 8192, 4), "Standard_D4s_v3": (4, 16384, 8),
    "Standard_D2_v3": (2, 8192, 4), "Standard_DS1_v2": (1, 3584, 4), "Standard_DS2_v2": (2, 7168, 8),
    "Standard_DS3_v2": (4, 14336, 16), "Standard_D2s_v5": (2, 8192, 4), "Standard_D4s_v5": (4, 16384, 8),
    "Standard_D2as_v5": (2, 8192, 4), "Standard_D4as_v5": (4, 16384, 8), "Standard_F2s_v2": (2, 4096, 4),
    "Standard_F4s_v2": (4, 8192, 8), "Standard_E2s_v3": (2, 16384, 4), "Standard_E4s_v5": (4, 32768, 8),
}


def catalogue(call: Call) -> images.Catalogue:
    """The emulator's catalogue (built-in, or extended with `--images`)."""
    return getattr(call.emulator, "images", None) or images.builtin()


def _not_found() -> Refused:
    return Refused(arm_error(404, "NotFound", "Artifact: VMImage was not found."))


def _sub_loc(call: Call) -> tuple[str, str]:
    return call.params["subscriptionId"], call.params["location"]


def list_publishers(call: Call) -> web.Response:
    sub, loc = _sub_loc(call)
    return answer(200, [images.resource(sub, loc, p, p) for p in catalogue(call).publishers()])


def list_offers(call: Call) -> web.Response:
    sub, loc = _sub_loc(call)
    publisher = call.params["publisherName"]
    offers = catalogue(call).offers(publisher)
    return answer(200, [images.resource(sub, loc, o, f"{publisher}/ArtifactTypes/VMImage/Offers/{o}") for o in offers])


def list_skus(call: Call) -> web.Response:
    sub, loc = _sub_loc(call)
    publisher, offer = call.params["publisherName"], call.params["offer"]
    skus = catalogue(call).skus(publisher, offer)
    if not skus:
        raise _not_found()
    return answer(200, [images.resource(sub, loc, s, f"{publisher}/ArtifactTypes/VMImage/Offers/{offer}/Skus/{s}")
                        for s in skus])


def list_versions(call: Call) -> web.Response:
    """Versions oldest first; `$orderby=name desc` newest first; `$top` cuts the list."""
    sub, loc = _sub_loc(call)
    image = catalogue(call).image(call.params["publisherName"], call.params["offer"], call.params["skus"])
    if image is None:
        raise _not_found()
    versions = list(image.versions)
    order = (call.query("$orderby") or "").strip().lower()
    if order.endswith("desc"):
        versions.reverse()
    top = call.query("$top")
    if top is not None and top.isdigit():
        versions = versions[: int(top)]
    return answer(200, [images.resource(sub, loc, v, images.version_path(image, v)) for v in versions])


def get_version(call: Call) -> web.Response:
    sub, loc = _sub_loc(call)
    image = catalogue(call).image(call.params["publisherName"], call.params["offer"], call.params["skus"])
    version = image.version(call.params["version"]) if image is not None else None
    if image is None or version is None or call.params["version"].lower() == "latest":
        raise _not_found()
    return answer(200, images.image_version(sub, loc, image, version))


def list_vm_sizes(call: Call) -> web.Response:
    items: list[JSON] = [{"name": name, "numberOfCores": cores, "osDiskSizeInMB": 1047552,
                          "memoryInMB": memory, "maxDataDiskCount": disks}
                         for name, (cores, memory, disks) in _VM_SIZE_FACTS.items()]
    return answer(200, {"value": items})


def list_resource_skus(call: Call) -> web.Response:
    """The VM sizes as resource SKUs (resourceType virtualMachines), in every location a scale set
    here has been created in, or westus when there is none yet; `$filter=location eq 'x'` narrows."""
    wanted = (call.query("$filter") or "").lower()
    locations = sorted({v.location for v in call.store.scale_sets.values() if v.location}) or ["westus"]
    if "location eq" in wanted:
        locations = [wanted.split("location eq", 1)[1].strip().strip("'\"")]
    items: list[JSON] = []
    for name, (cores, memory, disks) in _VM_SIZE_FACTS.items():
        for location in locations:
            items.append({
                "resourceType": "virtualMachines", "name": name, "tier": "Standard", "size": name.split("_", 1)[1],
                "locations": [location],
                "locationInfo": [{"location": location, "zones": [], "zoneDetails": []}],
                "capabilities": [{"name": "vCPUs", "value": str(cores)},
                                 {"name": "MemoryGB", "value": str(memory / 1024).rstrip("0").rstrip(".")},
                                 {"name": "MaxDataDiskCount", "value": str(disks)}],
                "restrictions": [],
            })
    return answer(200, {"value": items})


HANDLERS = {
    "VirtualMachineImages_ListPublishers": list_publishers,
    "VirtualMachineImages_ListOffers": list_offers,
    "VirtualMachineImages_ListSkus": list_skus,
    "VirtualMachineImages_List": list_versions,
    "VirtualMachineImages_Get": get_version,
    "VirtualMachineSizes_List": list_vm_sizes,
    "ResourceSkus_List": list_resource_skus,
}


def _image_reference(model: JSON | None) -> JSON:
    profile = obj(obj((model or {}).get("properties")).get("virtualMachineProfile"))
    return obj(obj(profile.get("storageProfile")).get("imageReference"))


def check_image(call: Call, model: JSON, before: JSON | None) -> None:
    """A scale set write whose marketplace image the catalogue does not know: Azure's 404
    PlatformImageNotFound (rules.yaml platform-image-exists). Only a new or changed reference is
    judged, so a scale set keeps working after its image version ages out of the catalogue."""
    reference = _image_reference(model)
    if not images.is_platform_reference(reference) or reference == _image_reference(before):
        return
    if catalogue(call).resolve(reference) is None:
        raise Refused(arm_error(404, "PlatformImageNotFound",
                                f"The platform image '{images.urn(reference)}' is not available. Verify that all fields "
                                f"in the storage profile are correct. For more details about storage profile "
                                f"information, please refer to https://aka.ms/storageprofile", target="imageReference"))
