"""The Microsoft.Network resource types the emulator serves, as data.

One `Kind` per resource type: its ARM type, the operationId prefix the official
swagger uses, the path parameter that names it, and the child resources it holds
inline in its `properties` (a subnet lives in `virtualNetwork.properties.subnets`
and is also addressable at `.../subnets/{name}`). Handlers in `network_resources`
are generic over this table; what Azure fills in per type lives in `network_defaults`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

NETWORK = "Microsoft.Network"


@dataclass(frozen=True)
class Kind:
    type: str  # "Microsoft.Network/virtualNetworks"; children: ".../virtualNetworks/subnets"
    prefix: str  # operationId prefix in the swagger: "VirtualNetworks", "Subnets"
    name_param: str  # the spec path parameter naming one resource
    member: str = ""  # children only: the parent's properties member holding them
    parent: "Kind | None" = None
    children: tuple["Kind", ...] = field(default=())
    guid: bool = True  # top-level resources carry a resourceGuid

    @property
    def collection(self) -> str:
        return self.type.rsplit("/", 1)[1]

    @property
    def is_child(self) -> bool:
        return self.parent is not None


def _top(type_name: str, prefix: str, name_param: str, guid: bool = True) -> Kind:
    return Kind(type=f"{NETWORK}/{type_name}", prefix=prefix, name_param=name_param, guid=guid)


def _with_children(parent: Kind, *specs: tuple[str, str, str]) -> Kind:
    """`parent` with its inline child kinds (member, operationId prefix, name parameter)."""
    kids = tuple(Kind(type=f"{parent.type}/{member}", prefix=prefix, name_param=param, member=member,
                      parent=parent, guid=False) for member, prefix, param in specs)
    whole = Kind(type=parent.type, prefix=parent.prefix, name_param=parent.name_param, children=kids,
                 guid=parent.guid)
    return whole


VIRTUAL_NETWORK = _with_children(_top("virtualNetworks", "VirtualNetworks", "virtualNetworkName"),
                                 ("subnets", "Subnets", "subnetName"))
NETWORK_SECURITY_GROUP = _with_children(
    _top("networkSecurityGroups", "NetworkSecurityGroups", "networkSecurityGroupName"),
    ("securityRules", "SecurityRules", "securityRuleName"))
APPLICATION_SECURITY_GROUP = _top("applicationSecurityGroups", "ApplicationSecurityGroups",
                                  "applicationSecurityGroupName")
PUBLIC_IP_ADDRESS = _top("publicIPAddresses", "PublicIPAddresses", "publicIpAddressName")
PUBLIC_IP_PREFIX = _top("publicIPPrefixes", "PublicIPPrefixes", "publicIpPrefixName")
LOAD_BALANCER = _with_children(
    _top("loadBalancers", "LoadBalancers", "loadBalancerName"),
    ("frontendIPConfigurations", "LoadBalancerFrontendIPConfigurations", "frontendIPConfigurationName"),
    ("backendAddressPools", "LoadBalancerBackendAddressPools", "backendAddressPoolName"),
    ("inboundNatRules", "InboundNatRules", "inboundNatRuleName"),
    ("inboundNatPools", "", ""),  # no operations of its own: only inside the load balancer
    ("probes", "LoadBalancerProbes", "probeName"),
    ("loadBalancingRules", "LoadBalancerLoadBalancingRules", "loadBalancingRuleName"),
    ("outboundRules", "", ""))
APPLICATION_GATEWAY = _with_children(
    _top("applicationGateways", "ApplicationGateways", "applicationGatewayName"),
    ("gatewayIPConfigurations", "", ""), ("frontendIPConfigurations", "", ""), ("frontendPorts", "", ""),
    ("backendAddressPools", "", ""), ("backendHttpSettingsCollection", "", ""), ("httpListeners", "", ""),
    ("requestRoutingRules", "", ""), ("probes", "", ""))
NETWORK_INTERFACE = _with_children(_top("networkInterfaces", "NetworkInterfaces", "networkInterfaceName"),
                                   ("ipConfigurations", "", ""))

KINDS: tuple[Kind, ...] = (VIRTUAL_NETWORK, NETWORK_SECURITY_GROUP, APPLICATION_SECURITY_GROUP, PUBLIC_IP_ADDRESS,
                           PUBLIC_IP_PREFIX, LOAD_BALANCER, APPLICATION_GATEWAY, NETWORK_INTERFACE)
BY_TYPE: dict[str, Kind] = {k.type.lower(): k for top in KINDS for k in (top, *top.children)}


def child(kind: Kind, member: str) -> Kind:
    for c in kind.children:
        if c.member == member:
            return c
    raise KeyError(member)
