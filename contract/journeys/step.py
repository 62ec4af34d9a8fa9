"""A run's unit: one request and the statuses that count as the contract holding, aimed at a `Target`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract.arm_client import Answer

COMPUTE_API = "2024-07-01"
RESOURCES_API = "2022-09-01"
NETWORK_API = "2023-11-01"
IDENTITY_API = "2023-01-31"  # what az CLI sends to Microsoft.ManagedIdentity
AUTHORIZATION_API = "2022-04-01"  # what az CLI and azure-mgmt-authorization send
SUBSCRIPTIONS_API = "2022-12-01"
PUBLIC_IP_API = "2017-03-30"  # the VMSS public-IP list is served at this version (ARM-FACTS)
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "vmss-contract-run"
DEFAULT_LOCATION = "westus"


@dataclass
class Step:
    """One request of the run and the statuses that count as the contract holding."""

    name: str
    method: str
    path: str
    body: Any = None
    expect: tuple[int, ...] = (200,)
    group: str = "lifecycle"
    follow: bool = False  # a long-running operation: poll it to the end
    expect_code: str | None = None  # for refusals: the CloudError code ARM must give
    # Steps that depend on this one's answer (read-only runs): run next, and kept in the
    # phase's step list so that replay sends exactly them.
    expand: Callable[[Answer], list[Step]] | None = field(default=None, repr=False, compare=False)




@dataclass
class Target:
    subscription: str = DEFAULT_SUBSCRIPTION
    resource_group: str = DEFAULT_RESOURCE_GROUP
    location: str = DEFAULT_LOCATION

    @property
    def rg_path(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    def vmss(self, name: str, suffix: str = "", api: str = COMPUTE_API, query: str = "") -> str:
        return (
            f"{self.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}{suffix}"
            f"?api-version={api}{query}"
        )

    @property
    def subnet_id(self) -> str:
        return f"{self.rg_path}/providers/Microsoft.Network/virtualNetworks/vmss-contract-vnet/subnets/default"

