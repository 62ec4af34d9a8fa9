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
    Azure refuses a scale set naming any of them that does not exist: `network_requests(location)`
    makes them (the load balancer is Standard, so drawn instance public IPs are Standard too).
    """

    subscription: str
    resource_group: str
    vnet: str
    subnets: tuple[str, ...]
    load_balancer: str
    app_gateway: str
    vault: str

    @classmethod
    def of_subnet(cls, subnet_id: str) -> NetworkContext:
        """The context a scale set standing on `subnet_id` lives in (pools and the like named after its vnet)."""
        m = re.search(r"/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.Network/"
                      r"virtualNetworks/([^/]+)/subnets/([^/]+)", subnet_id, flags=re.IGNORECASE)
        if m is None:
            raise ValueError(f"not a subnet id: {subnet_id}")
        sub, group, vnet, subnet = m.groups()
        return cls(sub, group, vnet, (subnet,), f"lb-{vnet}", f"agw-{vnet}", fit(f"kv{vnet}", 3, 24))

    def network_requests(self, location: str, references: bool = True) -> list[tuple[str, dict[str, object]]]:
        """The PUTs (path with api-version, body) that make this context exist in `location`: its resource
        group and virtual network with every subnet and, with `references`, the NSG, the load balancer with
        its backend and NAT pools and the application gateway with its pool that payloads may name.
        Send them in order (each is long-running) before a scale set drawn in this context."""
        from contract.network_setup import network_for

        ids = [self.subnet_id(i) for i in range(len(self.subnets))]
        if references:
            ids += [self.nsg_id(), self.lb_backend_pool_id(), self.lb_nat_pool_id(), self.app_gateway_pool_id()]
        return network_for(ids, location)

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
