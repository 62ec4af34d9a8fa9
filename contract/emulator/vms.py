"""How a scale set's instances look from outside: VM models, instance views, public IPs.

Everything here is derived on read from `state` (the scale set model each VM last
received), so a model change, an upgrade or a reimage shows up without bookkeeping.
"""
from __future__ import annotations

import uuid
from functools import lru_cache

from contract.emulator import orchestration
from contract.emulator.images import Catalogue, builtin
from contract.emulator.state import JSON, VM, ScaleSet, now_iso, obj, objs
from contract.facts import load_facts

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
UPDATE_DOMAINS = 5  # platform update domains a scale set spreads its VMs over (instance id modulo)
# ARM's ceiling for one placement group: rules.yaml capacity-single-placement-group (the checker's limit too)
PLACEMENT_GROUP_SIZE = load_facts().capacity_max_single_placement_group


def _base36(n: int, width: int = 6) -> str:
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = _BASE36[r] + digits
    return digits.rjust(width, "0")


def status(code: str, display: str, time: str | None = None) -> JSON:
    """An InstanceViewStatus; ARM writes the part after the slash in lower case."""
    entry: JSON = {"code": code, "level": "Info", "displayStatus": display}
    if time is not None:
        entry["time"] = time
    return entry


_POWER_DISPLAY = {
    "running": "VM running",
    "stopped": "VM stopped",
    "deallocated": "VM deallocated",
    "starting": "VM starting",
}


def nic_configurations(vm: VM) -> list[JSON]:
    network = obj(vm.overrides.get("networkProfileConfiguration") or vm.profile.get("networkProfile"))
    return objs(network.get("networkInterfaceConfigurations"))


def os_disk_name(vmss: ScaleSet, vm: VM) -> str:
    """Azure's managed OS disk name: `{scale set}_{VM name}_OsDisk_1_{32 hex}` (test_vmss_create_and_modify.yaml,
    the VM list: `vmss1_vmss1_1_OsDisk_1_e1ff9ee8...`)."""
    return f"{vmss.name}_{vmss.name}_{vm.instance_id}_OsDisk_1_{vm.vm_id.replace('-', '')}"


def exact_version(image: JSON, catalogue: Catalogue | None = None) -> str | None:
    """The version a VM's imageReference resolved to (Azure's `exactVersion`): the version itself, or for
    "latest" the newest the image catalogue holds (contract/emulator/images.py, versions Azure served in
    the recordings). An image outside the catalogue gets no exactVersion rather than an invented one."""
    version = image.get("version")
    if not isinstance(version, str) or not version:
        return None
    if version.lower() != "latest":
        return version
    found = (catalogue or builtin()).resolve(image)
    return found[1] if found is not None else None


def vm_view(vmss: ScaleSet, vm: VM, *, instance_view: bool = False, user_data: bool = False,
            images: Catalogue | None = None) -> JSON:
    """The scale set VM resource (`VirtualMachineScaleSetVM`).

    Like every view here it shares sub-objects with the state (no copies on the read path):
    serialize it, never mutate it.
    """
    profile = vm.profile
    os_profile = {k: v for k, v in obj(profile.get("osProfile")).items() if k != "computerNamePrefix"}
    os_profile["computerName"] = computer_name(vmss, vm)
    storage = dict(obj(profile.get("storageProfile")))
    if isinstance(storage.get("osDisk"), dict):
        disk = {"name": os_disk_name(vmss, vm), **storage["osDisk"]}
        if isinstance(disk.get("managedDisk"), dict):
            disk["managedDisk"] = {**disk["managedDisk"], "id": f"/subscriptions/{vmss.subscription}/resourceGroups/"
                                   f"{vmss.resource_group}/providers/Microsoft.Compute/disks/{disk['name']}"}
        storage["osDisk"] = disk
    image = storage.get("imageReference")
    if isinstance(image, dict) and "exactVersion" not in image:
        exact = exact_version(image, images)
        if exact is not None:
            storage["imageReference"] = {**image, "exactVersion": exact}
    storage.setdefault("dataDisks", [])
    vm_id = f"{vmss.id}/virtualMachines/{vm.instance_id}"
    nics = nic_configurations(vm)
    props: JSON = {
        "latestModelApplied": vm.model_version == vmss.model_version,
        "modelDefinitionApplied": "VirtualMachineScaleSet",
        "vmId": vm.vm_id,
        "hardwareProfile": {"vmSize": vm.sku.get("name", "")},
        "storageProfile": storage,
        "osProfile": os_profile,
        "networkProfile": {"networkInterfaces": [
            {"id": f"{vm_id}/networkInterfaces/{n.get('name', '')}"} for n in nics]},
        "networkProfileConfiguration": {"networkInterfaceConfigurations": nics},
        "provisioningState": vm.provisioning_state,
        "timeCreated": vm.time_created,
    }
    if user_data and profile.get("userData") is not None:  # only with $expand=userData
        props["userData"] = profile["userData"]
    for name, value in vm.overrides.items():
        if name != "networkProfileConfiguration" and (name != "userData" or user_data):
            props[name] = value
    if vm.data_disks:
        props["storageProfile"] = with_attached_disks(obj(props.get("storageProfile")), vm.data_disks)
    if instance_view:
        props["instanceView"] = vm_instance_view(vm, placement_group_id(vmss, vm), vmss)
    view: JSON = {
        "name": f"{vmss.name}_{vm.instance_id}",
        "id": vm_id,
        "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
        "location": vmss.location,
        "tags": vm.tags,
        "instanceId": vm.instance_id,
        "sku": vm.sku,
        "properties": props,
    }
    zone = vm_zone(vmss, vm)
    if zone is not None:
        view["zones"] = [zone]
    return view


def update_domain(vm: VM) -> int:
    return int(vm.instance_id) % UPDATE_DOMAINS


def placement_group_ids(vmss: ScaleSet) -> list[str]:
    """The placement groups the scale set's allocated VMs run in (most populated first)."""
    counts: dict[str, int] = {}
    for vm in vmss.vms.values():
        group = placement_group_id(vmss, vm)
        if group is not None:
            counts[group] = counts.get(group, 0) + 1
    return sorted(counts, key=lambda g: -counts[g])


def placement_group_id(vmss: ScaleSet, vm: VM) -> str | None:
    """Where `vm` is placed: one group while singlePlacementGroup is true (the one
    ConvertToSinglePlacementGroup chose, if any), else groups of 100 by instance id.
    A deallocated VM has none (the VM instance view's placementGroupId, per the swagger).
    Ids are stable GUIDs derived from the scale set's uniqueId."""
    if vm.power_state == "deallocated":
        return None
    single = vmss.properties.get("singlePlacementGroup") is not False
    if single and vmss.active_placement_group is not None:
        return vmss.active_placement_group
    return placement_group(vmss, 0 if single else int(vm.instance_id) // PLACEMENT_GROUP_SIZE)


def placement_group(vmss: ScaleSet, index: int) -> str:
    return _placement_group(str(vmss.properties.get("uniqueId", vmss.id)), index)


@lru_cache(maxsize=4096)
def _placement_group(unique_id: str, index: int) -> str:
    """A stable GUID per scale set and group (SHA-1 based: worked out once, instance views ask it per read)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{unique_id}/placementGroups/{index}"))


def vm_zone(vmss: ScaleSet, vm: VM) -> str | None:
    """The zone a VM of a zonal scale set lands in (spread round-robin by instance id)."""
    zones = vmss.model.get("zones")
    if isinstance(zones, list) and zones:
        return str(zones[int(vm.instance_id) % len(zones)])
    return None


def disk_id(disk: JSON) -> str:
    return str(obj(disk.get("managedDisk")).get("id") or "")


def with_attached_disks(storage: JSON, attached: list[JSON]) -> JSON:
    """`storage` whose dataDisks also hold the VM's own attached disks (by LUN; a disk listed already stays once)."""
    listed = objs(storage.get("dataDisks"))
    known = {disk_id(d).lower() for d in listed if disk_id(d)}
    disks = listed + [d for d in attached if disk_id(d).lower() not in known]
    return {**storage, "dataDisks": sorted(disks, key=lambda d: d.get("lun", 0) if isinstance(d.get("lun"), int) else 0)}


def guest_os(vm: VM) -> tuple[str, str]:
    """(osName, osVersion) the guest agent reports, read off the image: Ubuntu 18.04-LTS is ("ubuntu", "18.04"),
    Windows Server 2022-Datacenter is ("Windows Server 2022 Datacenter", "2022")."""
    image = obj(obj(vm.profile.get("storageProfile")).get("imageReference"))
    offer, sku = str(image.get("offer", "")), str(image.get("sku", ""))
    version = "".join(c for c in sku.split("-")[0] if c.isdigit() or c == ".")
    if "windows" in str(image.get("publisher", "")).lower() or "windows" in offer.lower():
        return f"Windows Server {sku.replace('-', ' ')}".strip(), version
    name = next((n for n in ("ubuntu", "debian", "centos", "rhel", "sles", "almalinux") if n in offer.lower()),
                offer.lower())
    return name, version


def hyper_v_generation(vm: VM) -> str:
    """Gen2 images say so in their SKU (`22_04-lts-gen2`, `2022-datacenter-g2`); the rest boot as V1."""
    sku = str(obj(obj(vm.profile.get("storageProfile")).get("imageReference")).get("sku", "")).lower()
    return "V2" if sku.endswith(("gen2", "-g2")) else "V1"


def vm_instance_view(vm: VM, placement_group: str | None = None, vmss: ScaleSet | None = None) -> JSON:
    """The VM instance view: provisioning and power state, as `az vmss get-instance-view` shows, with the
    guest's computer and OS names once the VM runs (the agent reports them; the swagger's
    VirtualMachineScaleSetVMInstanceView computerName / osName / osVersion / hyperVGeneration)."""
    state = vm.provisioning_state.lower()
    statuses = [
        status(f"ProvisioningState/{state}", f"Provisioning {state}", vm.time_created),
        status(f"PowerState/{vm.power_state}", _POWER_DISPLAY.get(vm.power_state, vm.power_state)),
    ]
    view: JSON = {
        "platformUpdateDomain": update_domain(vm),
        "platformFaultDomain": int(vm.instance_id) % 2,
        "vmAgent": {"vmAgentVersion": "2.7.41491.1102", "statuses": [
            status("ProvisioningState/succeeded", "Ready", now_iso())]},
        "disks": [{"name": os_disk_name(vmss, vm) if vmss is not None else f"osdisk_{vm.instance_id}",
                   "statuses": [status("ProvisioningState/succeeded", "Provisioning succeeded",
                                       vm.time_created)]}],
        "statuses": statuses,
    }
    if placement_group is not None:
        view["placementGroupId"] = placement_group
    if vm.maintenance is not None:  # the platform's scheduled maintenance (emulator option scheduled_maintenance)
        pending = vm.maintenance == "Pending"
        view["maintenanceRedeployStatus"] = {
            "isCustomerInitiatedMaintenanceAllowed": pending,
            "preMaintenanceWindowStartTime": vm.time_created,
            "preMaintenanceWindowEndTime": "9999-12-31T00:00:00Z",
            "lastOperationResultCode": "None" if pending else "MaintenanceCompleted",
        }
    if vmss is not None and vm.power_state == "running":
        os_name, os_version = guest_os(vm)
        view = {"computerName": computer_name(vmss, vm), "osName": os_name, "osVersion": os_version, **view}
    view["hyperVGeneration"] = hyper_v_generation(vm)
    return view


def computer_name(vmss: ScaleSet, vm: VM) -> str:
    prefix = obj(vm.profile.get("osProfile")).get("computerNamePrefix", vmss.name)
    return f"{prefix}{_base36(int(vm.instance_id))}"


def scale_set_instance_view(vmss: ScaleSet) -> JSON:
    """Scale set runtime summary: its own provisioning state and a count of VM states."""
    counts: dict[str, int] = {}
    for vm in vmss.vms.values():
        code = f"ProvisioningState/{vm.provisioning_state.lower()}"
        counts[code] = counts.get(code, 0) + 1
    state = str(vmss.properties.get("provisioningState", "Succeeded")).lower()
    view: JSON = {
        "virtualMachine": {"statusesSummary": [{"code": c, "count": n} for c, n in sorted(counts.items())]},
        "statuses": [status(f"ProvisioningState/{state}", f"Provisioning {state}",
                            str(vmss.properties.get("timeCreated", now_iso())))],
    }
    services = orchestration.services(vmss)
    if services is not None:
        view["orchestrationServices"] = services
    return view
