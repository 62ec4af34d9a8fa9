"""Scenarios: the facts a whole payload agrees on, drawn first or read back from a GET model."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from contract.strategies.bits import BOOL, Bits, pick
from contract.strategies.network import NetworkContext, network_context
from contract.strategies.values import (
    IMAGES, NAME_POOL, VM_SIZES, ZONAL_LOCATIONS, Image, admin_usernames, images, locations, vm_sizes,
)


@dataclass(frozen=True)
class Scenario:
    """The facts a whole payload must agree on, drawn before any field.

    A payload's location, image, OS family, size, admin user and network ids all come
    from here, so the Linux image never meets a windowsConfiguration and every NIC
    lands in the same virtual network.
    """

    location: str
    size: str
    image: Image
    admin_username: str
    network: NetworkContext
    zonal: bool
    storage_account: str
    version: str = "latest"
    instance_ids: tuple[str, ...] = ("0",)
    # Refer to resources besides the subnet (load balancer and app gateway pools, an NSG,
    # key vault secrets)? Real Azure refuses references to resources that do not exist.
    references: bool = True

    @property
    def os_type(self) -> str:
        return self.image.os_type

    @property
    def max_nics(self) -> int:
        return VM_SIZES.get(self.size, 2)

    @property
    def premium_storage(self) -> bool:
        family = self.size.split("_")[1] if "_" in self.size else self.size
        return "s" in family[1:].lower()


def spec_vm_sizes(spec: Any) -> tuple[str, ...]:
    """The sizes of VM_SIZES the contract accepts: all of them while `vmSize` is an open string
    (the swagger's modelAsString, documented values kept as `x-known-values`), only those of
    its `enum` if a spec closes it again.

    Answers carry the size back (a VM's hardwareProfile.vmSize); under a closed list, a size
    the list lacks would make a correct answer look like a violation.
    """
    found: set[str] | None = None
    stack = [getattr(spec, "document", None)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            size = node.get("vmSize")
            if isinstance(size, dict) and isinstance(size.get("enum"), list):
                found = (found or set()) | set(size["enum"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    sizes = tuple(s for s in sorted(VM_SIZES) if found is None or s in found)
    return sizes or tuple(sorted(VM_SIZES))


_STORAGE_ACCOUNTS = pick(tuple(dict.fromkeys("st" + n.replace("-", "") for n in NAME_POOL if len(n) <= 22)))


def scenarios(sizes: tuple[str, ...] | None = None) -> st.SearchStrategy[Scenario]:
    """Region, size, image, admin and network a payload is built around."""
    return st.composite(lambda draw: draw_scenario(Bits(draw), sizes))()


def draw_scenario(draw: st.DrawFn, sizes: tuple[str, ...] | None = None) -> Scenario:
    image = draw(images())
    location = draw(locations())
    return Scenario(
        location=location,
        size=draw(pick(sizes)) if sizes else draw(vm_sizes()),
        image=image,
        admin_username=draw(admin_usernames(image.os_type)),
        network=network_context(draw),
        zonal=location in ZONAL_LOCATIONS and draw(BOOL),
        storage_account=draw(_STORAGE_ACCOUNTS),
    )


_ARM_ID = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network/"
    r"virtualNetworks/(?P<vnet>[^/]+)/subnets/(?P<subnet>[^/]+)",
    re.IGNORECASE,
)


def _walk_values(node: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk_values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_values(v)


def scenario_from_model(model: dict[str, Any]) -> Scenario:
    """The scenario an existing scale set was created in, so updates stay consistent with it."""
    props = model.get("properties") or {}
    vmp = props.get("virtualMachineProfile") or {}
    ref = (vmp.get("storageProfile") or {}).get("imageReference") or {}
    os_profile = vmp.get("osProfile") or {}
    os_type = "Windows" if "windowsConfiguration" in os_profile else "Linux"
    known = [i for i in IMAGES if (i.publisher, i.offer, i.sku) == (ref.get("publisher"), ref.get("offer"), ref.get("sku"))]
    image = known[0] if known else Image(ref.get("publisher", ""), ref.get("offer", ""), ref.get("sku", ""), os_type)
    subs, sub, rg, vnet = [], "00000000-0000-0000-0000-000000000000", "rg", "vnet"
    for key, value in _walk_values(vmp.get("networkProfile") or {}):
        if key == "id" and isinstance(value, str):
            m = _ARM_ID.search(value)
            if m:
                sub, rg, vnet = m["sub"], m["rg"], m["vnet"]
                if m["subnet"] not in subs:
                    subs.append(m["subnet"])
    network = NetworkContext(sub, rg, vnet, tuple(subs) or ("default",), f"lb-{vnet}", f"agw-{vnet}", f"kv{vnet[:20]}")
    location = str(model.get("location", "eastus")).replace(" ", "").lower()
    return Scenario(
        location=location,
        size=str((model.get("sku") or {}).get("name", "Standard_D2s_v3")),
        image=image,
        admin_username=str(os_profile.get("adminUsername", "azureuser")),
        network=network,
        zonal=bool(model.get("zones")),
        storage_account="st" + rg.replace("-", "")[:20],
        version=str(ref.get("version", "latest")),
        instance_ids=tuple(str(i) for i in range(int((model.get("sku") or {}).get("capacity") or 0))) or ("0",),
    )
