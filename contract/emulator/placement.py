"""Where a scale set's VMs are placed: ConvertToSinglePlacementGroup and the Service Fabric
platform update domain walk (ForceRecoveryServiceFabricPlatformUpdateDomainWalk).

Placement groups and update domains are derived on read (`vms.placement_group_id`,
`vms.update_domain`); these actions only check the request, and the conversion
records the group the scale set now keeps.
"""
from __future__ import annotations

from aiohttp import web

from contract.emulator.http import (
    Call,
    Refused,
    answer,
    ensure_idle,
    find_scale_set,
    require_object,
)
from contract.emulator.state import ScaleSet, obj, objs
from contract.emulator.vms import (
    PLACEMENT_GROUP_SIZE,
    UPDATE_DOMAINS,
    placement_group,
    placement_group_id,
    placement_group_ids,
    update_domain,
    vm_zone,
)
from contract.servers import arm_error

CONVERT = "VirtualMachineScaleSets_ConvertToSinglePlacementGroup"
_SERVICE_FABRIC_PUBLISHER = "microsoft.azure.servicefabric"


def _not_allowed(vmss: ScaleSet, operation: str, why: str) -> Refused:
    return Refused(arm_error(409, "OperationNotAllowed",
                             f"Operation '{operation}' is not allowed on virtual machine scale set '{vmss.name}' "
                             f"since {why}."))


def _invalid(message: str, target: str) -> Refused:
    return Refused(arm_error(400, "InvalidParameter", message, target=target))


def convert_to_single_placement_group(call: Call) -> web.Response:
    """POST .../convertToSinglePlacementGroup: 200, no body; the set keeps one placement group.

    Direction: the operation's name and its input (`activePlacementGroupId`, "the placement group in
    which you want future virtual machine instances to be placed") say it gathers a set that spans
    several placement groups (singlePlacementGroup false) into one, i.e. false -> true. The swagger's
    one-line summary ("Converts SinglePlacementGroup property to false") contradicts its own name and
    input, so the name and input win. Seed 002's one-way rule ("if singlePlacementGroup is false, it
    may not be modified to true") is about the model written by PUT/PATCH (rules.yaml scopes it to
    those operations); this dedicated action is the documented way back. One placement group holds at
    most 100 VMs (ARM-FACTS), so a larger set is refused rather than left over its capacity ceiling.
    """
    vmss = find_scale_set(call, missing_code="ResourceNotFound")
    ensure_idle(call, vmss)
    require_object(call.body, "convert to single placement group input")
    call.check(CONVERT, call.body)
    operation = "convertToSinglePlacementGroup"
    if vmss.properties.get("singlePlacementGroup") is not False:
        raise _not_allowed(vmss, operation, "it already uses a single placement group")
    size = max(vmss.capacity, len(vmss.vms))
    if size > PLACEMENT_GROUP_SIZE:
        raise _not_allowed(vmss, operation, f"its capacity {size} exceeds the {PLACEMENT_GROUP_SIZE} virtual "
                                            "machines one placement group holds")
    groups = placement_group_ids(vmss)
    wanted = call.body.get("activePlacementGroupId")
    if wanted is not None:
        chosen = next((g for g in groups if g.lower() == str(wanted).lower()), None)
        if chosen is None:
            raise _invalid(f"Placement group '{wanted}' is not a placement group of virtual machine scale set "
                           f"'{vmss.name}'.", "activePlacementGroupId")
    else:  # "the platform will choose one with maximum number of virtual machine instances"
        chosen = groups[0] if groups else placement_group(vmss, 0)
    vmss.active_placement_group = chosen
    vmss.properties["singlePlacementGroup"] = True
    return answer(200, write=True)


def _is_service_fabric(vmss: ScaleSet) -> bool:
    extensions = objs(obj(vmss.profile.get("extensionProfile")).get("extensions"))
    return any(str(obj(e.get("properties")).get("publisher", "")).lower() == _SERVICE_FABRIC_PUBLISHER
               for e in extensions)


def force_recovery_walk(call: Call) -> web.Response:
    """POST .../forceRecoveryServiceFabricPlatformUpdateDomainWalk?platformUpdateDomain=N: 200 RecoveryWalkResponse.

    The walk is performed when a VM (in `zone` / `placementGroupId`, when given) lives in update domain N;
    `nextPlatformUpdateDomain` is the next domain with VMs, left out (null) once the walk has spanned them all.
    Only a Service Fabric scale set (one with a Microsoft.Azure.ServiceFabric extension) has such walks.
    """
    vmss = find_scale_set(call, missing_code="ResourceNotFound")
    ensure_idle(call, vmss)
    raw = call.query("platformUpdateDomain")
    if raw is None:
        raise _invalid("The query parameter 'platformUpdateDomain' is required.", "platformUpdateDomain")
    try:
        domain = int(raw)
    except ValueError:
        raise _invalid(f"platformUpdateDomain '{raw}' is not an integer.", "platformUpdateDomain") from None
    if not _is_service_fabric(vmss):
        raise _not_allowed(vmss, "forceRecoveryServiceFabricPlatformUpdateDomainWalk",
                           "it is not a Service Fabric scale set")
    if not 0 <= domain < UPDATE_DOMAINS:
        raise _invalid(f"platformUpdateDomain {domain} is outside 0..{UPDATE_DOMAINS - 1}.", "platformUpdateDomain")
    vms = list(vmss.vms.values())
    zone = call.query("zone")
    if zone is not None:
        zones = [str(z) for z in vmss.model.get("zones") or []]
        if zone not in zones:
            raise _invalid(f"Zone '{zone}' is not a zone of virtual machine scale set '{vmss.name}'.", "zone")
        vms = [vm for vm in vms if vm_zone(vmss, vm) == zone]
    group = call.query("placementGroupId")
    if group is not None:
        if group.lower() not in (g.lower() for g in placement_group_ids(vmss)):
            raise _invalid(f"Placement group '{group}' is not a placement group of virtual machine scale set "
                           f"'{vmss.name}'.", "placementGroupId")
        vms = [vm for vm in vms if (placement_group_id(vmss, vm) or "").lower() == group.lower()]
    domains = sorted({update_domain(vm) for vm in vms})
    body: dict[str, object] = {"walkPerformed": domain in domains}
    later = [d for d in domains if d > domain]
    if later:
        body["nextPlatformUpdateDomain"] = later[0]
    return answer(200, body, write=True)


HANDLERS = {
    "VirtualMachineScaleSets_ConvertToSinglePlacementGroup": convert_to_single_placement_group,
    "VirtualMachineScaleSets_ForceRecoveryServiceFabricPlatformUpdateDomainWalk": force_recovery_walk,
}
