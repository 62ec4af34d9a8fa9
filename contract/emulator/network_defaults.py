"""What Microsoft.Network fills in on a resource it accepts: ids, etags, GUIDs, defaults.

Learned from the official examples (Azure/azure-rest-api-specs, Microsoft.Network
stable examples such as VirtualNetworkGet.json, NetworkSecurityGroupCreate.json,
LoadBalancerCreate.json, NetworkInterfaceGet.json) and public recordings: every
child resource answers its own `id`, `name`, `type` and the parent's `etag`
(`W/"<guid>"`); top-level resources carry a `resourceGuid`; an NSG lists the six
default security rules; collections the client left out answer as empty lists.
"""
from __future__ import annotations

import hashlib
import uuid
from typing import Any

from contract.emulator.network_kinds import (
    APPLICATION_GATEWAY,
    LOAD_BALANCER,
    NETWORK_INTERFACE,
    NETWORK_SECURITY_GROUP,
    PUBLIC_IP_ADDRESS,
    PUBLIC_IP_PREFIX,
    VIRTUAL_NETWORK,
    Kind,
)
from contract.emulator.state import JSON, normalize_location, obj, objs


def new_etag() -> str:
    return f'W/"{uuid.uuid4()}"'


def settle(kind: Kind, model: JSON, resource_id: str, etag: str, state: str) -> None:
    """Give `model` and its inline children their ids, names, types, etag and provisioningState."""
    model["id"] = resource_id
    model["name"] = resource_id.rsplit("/", 1)[1]
    model["type"] = kind.type
    model["etag"] = etag
    props = model.setdefault("properties", {})
    if not isinstance(props, dict):
        props = model["properties"] = {}
    props["provisioningState"] = state
    for child_kind in kind.children:
        items = props.get(child_kind.member)
        if items is None:
            continue
        for item in objs(items):
            name = str(item.get("name", ""))
            settle(child_kind, item, f"{resource_id}/{child_kind.member}/{name}", etag, state)


def set_state(kind: Kind, model: JSON, state: str) -> None:
    """provisioningState on the resource and every inline child (an operation finished)."""
    obj(model.get("properties"))["provisioningState"] = state
    for child_kind in kind.children:
        for item in objs(obj(model.get("properties")).get(child_kind.member)):
            set_state(child_kind, item, state)


def _guid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed.lower()))


def _address(seed: str, first: int = 20) -> str:
    d = hashlib.sha256(seed.lower().encode()).digest()
    return f"{first}.{d[0]}.{d[1]}.{max(1, d[2])}"


def fill(kind: Kind, model: JSON, resource_id: str, previous: JSON | None) -> None:
    """Type-specific defaults for an accepted top-level PUT (before `settle`)."""
    props = model.setdefault("properties", {})
    if kind.guid:
        old = obj(previous.get("properties")).get("resourceGuid") if previous else None
        props["resourceGuid"] = old or _guid(resource_id)
    location = model.get("location")
    if isinstance(location, str):
        model["location"] = normalize_location(location)
    for child_kind in kind.children:
        props.setdefault(child_kind.member, [])
    _TYPE_FILL.get(kind.type, lambda *_: None)(model, props, resource_id)


def fill_child(kind: Kind, item: JSON) -> None:
    """Defaults of one child resource (also used when a child is PUT on its own)."""
    props = item.setdefault("properties", {})
    if not isinstance(props, dict):
        props = item["properties"] = {}
    if kind.type == f"{VIRTUAL_NETWORK.type}/subnets":
        props.setdefault("privateEndpointNetworkPolicies", "Disabled")
        props.setdefault("privateLinkServiceNetworkPolicies", "Enabled")
    elif kind.type == f"{LOAD_BALANCER.type}/frontendIPConfigurations":
        if "subnet" in props:
            props.setdefault("privateIPAllocationMethod", "Dynamic")
            props.setdefault("privateIPAddressVersion", "IPv4")
    elif kind.type == f"{NETWORK_INTERFACE.type}/ipConfigurations":
        props.setdefault("privateIPAllocationMethod", "Dynamic")
        props.setdefault("privateIPAddressVersion", "IPv4")
        props.setdefault("privateIPAddress", _address(str(item.get("id") or item.get("name", "")), 10))


def _virtual_network(model: JSON, props: JSON, resource_id: str) -> None:
    props.setdefault("virtualNetworkPeerings", [])
    props.setdefault("enableDdosProtection", False)
    for subnet in objs(props.get("subnets")):
        fill_child(VIRTUAL_NETWORK.children[0], subnet)


# The six rules every NSG has (NetworkSecurityGroupGet.json, "defaultSecurityRules").
_DEFAULT_RULES: tuple[tuple[str, str, str, str, str, int, str], ...] = (
    ("AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", "VirtualNetwork", "VirtualNetwork", "Allow",
     65000, "Inbound"),
    ("AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer", "AzureLoadBalancer", "*",
     "Allow", 65001, "Inbound"),
    ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
    ("AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET", "VirtualNetwork",
     "VirtualNetwork", "Allow", 65000, "Outbound"),
    ("AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet", "*", "Internet", "Allow", 65001,
     "Outbound"),
    ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
)


def _security_group(model: JSON, props: JSON, resource_id: str) -> None:
    rules = []
    for name, description, source, destination, access, priority, direction in _DEFAULT_RULES:
        rules.append({
            "name": name, "id": f"{resource_id}/defaultSecurityRules/{name}",
            "type": f"{NETWORK_SECURITY_GROUP.type}/defaultSecurityRules",
            "properties": {"provisioningState": "Succeeded", "description": description, "protocol": "*",
                           "sourcePortRange": "*", "destinationPortRange": "*", "sourceAddressPrefix": source,
                           "destinationAddressPrefix": destination, "access": access, "priority": priority,
                           "direction": direction, "sourcePortRanges": [], "destinationPortRanges": [],
                           "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}})
    props["defaultSecurityRules"] = rules


def sku_name(model: JSON, default: str = "Basic") -> str:
    return str(obj(model.get("sku")).get("name") or default)


def _public_ip(model: JSON, props: JSON, resource_id: str) -> None:
    model.setdefault("sku", {"name": "Basic", "tier": "Regional"})
    standard = sku_name(model).lower() != "basic"
    props.setdefault("publicIPAllocationMethod", "Static" if standard else "Dynamic")
    props.setdefault("publicIPAddressVersion", "IPv4")
    props.setdefault("idleTimeoutInMinutes", 4)
    props.setdefault("ipTags", [])
    if str(props.get("publicIPAllocationMethod")).lower() == "static":
        props.setdefault("ipAddress", _address(resource_id))
    label = obj(props.get("dnsSettings")).get("domainNameLabel")
    if label and isinstance(props.get("dnsSettings"), dict):
        props["dnsSettings"].setdefault("fqdn", f"{label}.{model.get('location', '')}.cloudapp.azure.com")


def _public_ip_prefix(model: JSON, props: JSON, resource_id: str) -> None:
    model.setdefault("sku", {"name": "Standard", "tier": "Regional"})
    props.setdefault("publicIPAddressVersion", "IPv4")
    props.setdefault("ipTags", [])
    length = props.get("prefixLength", 28)
    props.setdefault("ipPrefix", f"{_address(resource_id)}/{length}")


def _load_balancer(model: JSON, props: JSON, resource_id: str) -> None:
    model.setdefault("sku", {"name": "Basic", "tier": "Regional"})
    for kind in LOAD_BALANCER.children:
        for item in objs(props.get(kind.member)):
            fill_child(kind, item)


def _application_gateway(model: JSON, props: JSON, resource_id: str) -> None:
    props.setdefault("operationalState", "Running")


def _network_interface(model: JSON, props: JSON, resource_id: str) -> None:
    props.setdefault("enableAcceleratedNetworking", False)
    props.setdefault("enableIPForwarding", False)
    props.setdefault("nicType", "Standard")
    props.setdefault("dnsSettings", {"dnsServers": [], "appliedDnsServers": []})
    configs = objs(props.get("ipConfigurations"))
    for index, config in enumerate(configs):
        config.setdefault("id", f"{resource_id}/ipConfigurations/{config.get('name', '')}")
        fill_child(NETWORK_INTERFACE.children[0], config)
        config["properties"].setdefault("primary", index == 0)


_TYPE_FILL: dict[str, Any] = {
    VIRTUAL_NETWORK.type: _virtual_network,
    NETWORK_SECURITY_GROUP.type: _security_group,
    PUBLIC_IP_ADDRESS.type: _public_ip,
    PUBLIC_IP_PREFIX.type: _public_ip_prefix,
    LOAD_BALANCER.type: _load_balancer,
    APPLICATION_GATEWAY.type: _application_gateway,
    NETWORK_INTERFACE.type: _network_interface,
}
