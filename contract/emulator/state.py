"""The emulator's in-memory world: resource groups, scale sets, their VMs and run commands.

Plain data, no HTTP: the route handlers decide what a request means, this module
only holds what exists. Keys are case-folded because ARM names are case-insensitive,
while each resource keeps the spelling it was created with.
"""
from __future__ import annotations

import copy
import datetime as _dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from contract.facts import load_facts

JSON = dict[str, Any]
MAX_INSTANCES = load_facts().capacity_max  # ARM's ceiling for one scale set (rules.yaml); also bounds memory

def obj(value: Any) -> JSON:
    """`value` if it is a JSON object, else an empty one: the spec may let odd shapes through
    (objects without `type`), and reading them must never crash the emulator."""
    return value if isinstance(value, dict) else {}


def objs(value: Any) -> list[JSON]:
    """The JSON objects in `value` if it is an array (anything else reads as none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def now_iso() -> str:
    """ARM's timestamp shape: ISO 8601 with microseconds and an explicit UTC offset."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def normalize_location(location: str) -> str:
    """ARM answers compute resources with the canonical location ("West US" -> "westus")."""
    return location.replace(" ", "").lower()


@dataclass
class ResourceGroup:
    subscription: str
    name: str
    location: str
    tags: JSON = field(default_factory=dict)
    managed_by: str | None = None  # the id of the resource that manages the group, if any

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.name}"

    def view(self) -> JSON:
        view: JSON = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location,
            "tags": dict(self.tags),
            "properties": {"provisioningState": "Succeeded"},
        }
        if self.managed_by:
            view["managedBy"] = self.managed_by
        return view


@dataclass
class VM:
    """One scale set instance; `profile` is the scale set model it last received."""

    instance_id: str
    profile: JSON
    sku: JSON
    model_version: int
    vm_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time_created: str = field(default_factory=now_iso)
    provisioning_state: str = "Creating"
    power_state: str = "running"
    overrides: JSON = field(default_factory=dict)  # properties set by a per-instance PUT
    data_disks: list[JSON] = field(default_factory=list)  # attached by AttachDetachDataDisks; kept by upgrades
    tags: JSON = field(default_factory=dict)
    # platform maintenance (emulator option scheduled_maintenance): None = none scheduled, "Pending" = the
    # self-service window is open (PerformMaintenance allowed), "Completed" = the customer ran it
    maintenance: str | None = None


@dataclass
class RunCommand:
    name: str
    location: str
    properties: JSON
    tags: JSON = field(default_factory=dict)
    provisioning_state: str = "Creating"
    start_time: str = field(default_factory=now_iso)
    end_time: str | None = None


@dataclass
class RollingUpgrade:
    """The latest rolling upgrade of a scale set: it rolls forward while `operation` runs."""

    operation: str  # id of the operation that carries the upgrade
    policy: JSON
    instances: int
    start_time: str = field(default_factory=now_iso)
    cancelled_at: str | None = None
    target_image: JSON = field(default_factory=dict)  # the imageReference it upgrades to


@dataclass
class ScaleSet:
    """A scale set: the stored model (secrets already removed) plus its instances."""

    subscription: str
    resource_group: str
    name: str
    model: JSON
    model_version: int = 1
    next_instance_id: int = 0
    vms: dict[str, VM] = field(default_factory=dict)
    run_commands: dict[tuple[str, str], RunCommand] = field(default_factory=dict)
    pending_operation: str | None = None
    rolling_upgrade: RollingUpgrade | None = None
    active_placement_group: str | None = None  # chosen by ConvertToSinglePlacementGroup
    suspended_services: set[str] = field(default_factory=set)  # orchestration services suspended by the user
    os_upgrades: list[RollingUpgrade] = field(default_factory=list)  # StartOSUpgrade runs, oldest first
    scheduled_maintenance: bool = False  # the platform has maintenance pending for every instance it makes

    @property
    def id(self) -> str:
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
                f"/providers/Microsoft.Compute/virtualMachineScaleSets/{self.name}")

    @property
    def location(self) -> str:
        return str(self.model.get("location", ""))

    @property
    def properties(self) -> JSON:
        props = self.model.get("properties")
        if not isinstance(props, dict):
            props = self.model["properties"] = {}
        return props

    @property
    def profile(self) -> JSON:
        return obj(self.properties.get("virtualMachineProfile"))

    @property
    def sku(self) -> JSON:
        return obj(self.model.get("sku"))

    @property
    def capacity(self) -> int:
        value = self.sku.get("capacity", 0)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def upgrade_mode(self) -> str:
        return str(obj(self.properties.get("upgradePolicy")).get("mode", "Manual"))

    def add_vm(self) -> VM:
        vm = VM(instance_id=str(self.next_instance_id), profile=copy.deepcopy(self.profile),
                sku=_vm_sku(self.sku), model_version=self.model_version)
        self.next_instance_id += 1
        if self.scheduled_maintenance:
            vm.maintenance = "Pending"
        self.vms[vm.instance_id] = vm
        return vm

    def scale_to(self, capacity: int) -> None:
        """Add instances with fresh ids, or remove the newest ones (ids are never reused)."""
        capacity = max(0, min(capacity, MAX_INSTANCES))
        while len(self.vms) < capacity:
            self.add_vm()
        if len(self.vms) > capacity:
            for instance_id in sorted(self.vms, key=int, reverse=True)[: len(self.vms) - capacity]:
                self.remove_vm(instance_id)

    def remove_vm(self, instance_id: str) -> None:
        self.vms.pop(instance_id, None)
        for key in [k for k in self.run_commands if k[0] == instance_id]:
            del self.run_commands[key]

    def upgrade(self, vm: VM) -> None:
        """Give `vm` the current scale set model (manual upgrade, reimage, automatic mode)."""
        vm.profile = copy.deepcopy(self.profile)
        vm.sku = _vm_sku(self.sku)
        vm.model_version = self.model_version
        vm.overrides = {}


def _vm_sku(sku: JSON) -> JSON:
    return {k: v for k, v in sku.items() if k in ("name", "tier")}


@dataclass
class Resource:
    """A generic ARM resource: its id (as created), its type and the model Azure answers."""

    id: str
    type: str
    model: JSON


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(p.lower() for p in parts)


class Store:
    """Everything one emulator instance knows; one per `create_app`, never global."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, ...], ResourceGroup] = {}
        self.scale_sets: dict[tuple[str, ...], ScaleSet] = {}
        self._resources: dict[str, Resource] = {}  # lower-case id -> resource

    def group(self, subscription: str, name: str) -> ResourceGroup | None:
        return self.groups.get(_key(subscription, name))

    def put_group(self, group: ResourceGroup) -> None:
        self.groups[_key(group.subscription, group.name)] = group

    def delete_group(self, subscription: str, name: str) -> ResourceGroup | None:
        group = self.groups.pop(_key(subscription, name), None)
        if group is not None:
            prefix = _key(subscription, name)
            for key in [k for k in self.scale_sets if k[:2] == prefix]:
                del self.scale_sets[key]
            below = f"{group.id.lower()}/"
            for rid in [r for r in self._resources if r.startswith(below)]:
                del self._resources[rid]
        return group

    def scale_set(self, subscription: str, group: str, name: str) -> ScaleSet | None:
        return self.scale_sets.get(_key(subscription, group, name))

    def put_scale_set(self, vmss: ScaleSet) -> None:
        self.scale_sets[_key(vmss.subscription, vmss.resource_group, vmss.name)] = vmss

    def delete_scale_set(self, vmss: ScaleSet) -> None:
        self.scale_sets.pop(_key(vmss.subscription, vmss.resource_group, vmss.name), None)

    def list_scale_sets(self, subscription: str, group: str | None = None) -> list[ScaleSet]:
        sub = subscription.lower()
        rg = group.lower() if group is not None else None
        return [v for k, v in self.scale_sets.items() if k[0] == sub and (rg is None or k[1] == rg)]

    # ---- generic resources (ids are case-insensitive; children are the ids below one)
    def put_resource(self, resource: Resource) -> None:
        self._resources[resource.id.lower()] = resource

    def resource(self, resource_id: str) -> Resource | None:
        return self._resources.get(resource_id.rstrip("/").lower())

    def resources(self, prefix: str = "", type: str | None = None) -> list[Resource]:
        low = prefix.lower()
        kind = type.lower() if type is not None else None
        return [r for k, r in self._resources.items()
                if k.startswith(low) and (kind is None or r.type.lower() == kind)]

    def delete_resource(self, resource_id: str) -> Resource | None:
        key = resource_id.rstrip("/").lower()
        for child in [k for k in self._resources if k.startswith(f"{key}/")]:
            del self._resources[child]
        return self._resources.pop(key, None)
