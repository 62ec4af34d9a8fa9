"""Where a scale set lives (one subscription, resource group, virtual network) and the ARM ids in it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from hypothesis import strategies as st

from contract.strategies.bits import Bits, ints, pick
from contract.strategies.values import fit, resource_names, subscription_ids


@dataclass(frozen=True)
class NetworkContext:
    """Where a scale set lives: one subscription, resource group and virtual network.

    Every id a payload holds is drawn from one context, so NICs share a virtual network,
    pools belong to a load balancer of the same group, and a vault is in the same subscription.
    """

    subscription: str
    resource_group: str
    vnet: str
    subnets: tuple[str, ...]
    load_balancer: str
    app_gateway: str
    vault: str

    def _rg(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers"

    def subnet_id(self, index: int = 0) -> str:
        name = self.subnets[index % len(self.subnets)]
        return f"{self._rg()}/Microsoft.Network/virtualNetworks/{self.vnet}/subnets/{name}"

    def lb_backend_pool_id(self, pool: str = "bepool") -> str:
        return f"{self._rg()}/Microsoft.Network/loadBalancers/{self.load_balancer}/backendAddressPools/{pool}"

    def lb_nat_pool_id(self, pool: str = "natpool") -> str:
        return f"{self._rg()}/Microsoft.Network/loadBalancers/{self.load_balancer}/inboundNatPools/{pool}"

    def app_gateway_pool_id(self, pool: str = "appgwpool") -> str:
        return f"{self._rg()}/Microsoft.Network/applicationGateways/{self.app_gateway}/backendAddressPools/{pool}"

    def nsg_id(self) -> str:
        return f"{self._rg()}/Microsoft.Network/networkSecurityGroups/{self.vnet}-nsg"

    def vault_id(self) -> str:
        return f"{self._rg()}/Microsoft.KeyVault/vaults/{self.vault}"

    def certificate_url(self, name: str, version: str) -> str:
        return f"https://{self.vault}.vault.azure.net/secrets/{name}/{version}"


@lru_cache(maxsize=None)
def network_contexts() -> st.SearchStrategy[NetworkContext]:
    return st.composite(lambda draw: network_context(Bits(draw)))()


def network_context(draw: st.DrawFn) -> NetworkContext:
    app, env = draw(resource_names(3, 15)), draw(pick(("prod", "dev", "test", "stage")))
    return NetworkContext(
        subscription=draw(subscription_ids()), resource_group=f"rg-{app}-{env}", vnet=f"vnet-{app}-{env}",
        subnets=("default", f"{app}-subnet", "backend")[:draw(ints(1, 3))], load_balancer=f"lb-{app}",
        app_gateway=f"agw-{app}", vault=fit(f"kv-{app}-{env}", 3, 24),
    )


def subnet_ids() -> st.SearchStrategy[str]:
    return st.builds(lambda c, i: c.subnet_id(i), network_contexts(), st.integers(0, 2))


def load_balancer_pool_ids(kind: str = "backend") -> st.SearchStrategy[str]:
    """`kind` is 'backend' (backendAddressPools) or 'nat' (inboundNatPools)."""
    if kind == "nat":
        return network_contexts().map(lambda c: c.lb_nat_pool_id())
    return network_contexts().map(lambda c: c.lb_backend_pool_id())


def application_gateway_pool_ids() -> st.SearchStrategy[str]:
    return network_contexts().map(lambda c: c.app_gateway_pool_id())


def key_vault_ids() -> st.SearchStrategy[str]:
    return network_contexts().map(lambda c: c.vault_id())


def other_vnet(subnet_id: str) -> str:
    """The same subnet id in a sibling virtual network ('vnet-a' -> 'vnet-a-other')."""
    return re.sub(r"(virtualNetworks/)([^/]+)", lambda m: m[1] + m[2] + "-other", subnet_id, flags=re.IGNORECASE)
