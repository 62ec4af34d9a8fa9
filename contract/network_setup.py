"""The virtual network a scale set stands on, as a client creates it before the scale set.

Azure refuses a scale set whose NIC names a subnet that does not exist (400
InvalidResourceReference), and so does the emulator. Tests, the pytest plugin's
`vmss_network` fixture, the fuzz campaign and the lifecycle machine all build the network
first with the one request this module describes.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NETWORK_API = "2023-11-01"


def vnet_of(subnet_id: str) -> str:
    """The virtual network id of a subnet id (`.../virtualNetworks/v/subnets/s` -> `.../virtualNetworks/v`)."""
    low = subnet_id.lower()
    cut = low.rfind("/subnets/")
    if cut < 0:
        raise ValueError(f"not a subnet id: {subnet_id}")
    return subnet_id[:cut]


def virtual_network_body(location: str, subnets: Iterable[str] = ("default",)) -> dict[str, Any]:
    """A virtual network 10.0.0.0/16 holding each named subnet as its own /24."""
    names = list(dict.fromkeys(subnets))
    return {"location": location, "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": name, "properties": {"addressPrefix": f"10.0.{index}.0/24"}}
                    for index, name in enumerate(names)]}}


def virtual_network_request(subnet_ids: str | Iterable[str], location: str,
                            api_version: str = NETWORK_API) -> tuple[str, dict[str, Any]]:
    """(path with api-version, body) of the PUT that creates the virtual network holding these
    subnets (all of one virtual network). The PUT is long-running: follow it before the scale set."""
    ids = [subnet_ids] if isinstance(subnet_ids, str) else list(subnet_ids)
    if not ids:
        raise ValueError("no subnet id given")
    vnet = vnet_of(ids[0])
    names = []
    for sid in ids:
        if vnet_of(sid).lower() != vnet.lower():
            raise ValueError(f"{sid} is not in {vnet}")
        names.append(sid[len(vnet) + len("/subnets/"):])
    return f"{vnet}?api-version={api_version}", virtual_network_body(location, names)


def _id(value: Any) -> str | None:
    ref = value.get("id") if isinstance(value, dict) else None
    return ref if isinstance(ref, str) and ref else None


def _lower_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_lower_keys(v) for v in node]
    return node


def _parts(resource_id: str) -> tuple[str, str, str, str] | None:
    """(resource group id, top-level resource id, child member, child name) of a Network id."""
    bits = resource_id.strip("/").split("/")
    if len(bits) < 8 or bits[0].lower() != "subscriptions" or bits[2].lower() != "resourcegroups":
        return None
    group = "/" + "/".join(bits[:4])
    top = "/" + "/".join(bits[:8])
    member, child = (bits[8], bits[9]) if len(bits) >= 10 else ("", "")
    return group, top, member, child


def network_for(references: Iterable[str], location: str, *, public_ip_sku: str = "",
                api_version: str = NETWORK_API, resources_api: str = "2022-09-01") -> list[tuple[str, dict[str, Any]]]:
    """The PUTs (path with api-version, body), in order, that make every referenced network resource
    exist in `location`: the resource groups they live in, virtual networks with the named subnets,
    network security groups, application security groups, load balancers with the named backend pools,
    inbound NAT pools and health probes, application gateways with the named backend pools. Ids of
    other kinds are ignored. Each PUT is long-running: follow it before the next."""
    groups: dict[str, None] = {}
    vnets: dict[str, dict[str, None]] = {}
    plain: dict[str, None] = {}  # NSGs and ASGs: a location is all they need
    lbs: dict[str, dict[str, dict[str, None]]] = {}
    gateways: dict[str, dict[str, None]] = {}
    for ref in references:
        parts = _parts(ref)
        if parts is None or "/providers/microsoft.network/" not in parts[1].lower():
            continue
        group, top, member, child = parts
        kind = top.split("/")[-2].lower()
        groups.setdefault(group)
        if kind == "virtualnetworks" and member.lower() == "subnets":
            vnets.setdefault(top, {}).setdefault(child)
        elif kind in ("networksecuritygroups", "applicationsecuritygroups") and not member:
            plain.setdefault(top)
        elif kind == "loadbalancers" and member:
            lbs.setdefault(top, {}).setdefault(member.lower(), {}).setdefault(child)
        elif kind == "applicationgateways" and member.lower() == "backendaddresspools":
            gateways.setdefault(top, {}).setdefault(child)
    first_subnet = next((f"{v}/subnets/{next(iter(names))}" for v, names in vnets.items()), "")
    out: list[tuple[str, dict[str, Any]]] = [(f"{g}?api-version={resources_api}", {"location": location})
                                             for g in groups]
    out += [(f"{v}?api-version={api_version}", virtual_network_body(location, subnets)) for v, subnets in vnets.items()]
    out += [(f"{n}?api-version={api_version}", {"location": location, "properties": {}}) for n in plain]
    for lb, members in lbs.items():
        fe_id = f"{lb}/frontendIPConfigurations/frontend"
        lb_props: dict[str, Any] = {
            "frontendIPConfigurations": [{"name": "frontend",
                                          "properties": {"subnet": {"id": first_subnet}} if first_subnet else {}}],
            "backendAddressPools": [{"name": n} for n in members.get("backendaddresspools", {})],
            "inboundNatPools": [
                {"name": n, "properties": {"frontendIPConfiguration": {"id": fe_id}, "protocol": "Tcp",
                                           "frontendPortRangeStart": 50000 + 100 * i,
                                           "frontendPortRangeEnd": 50099 + 100 * i, "backendPort": 22}}
                for i, n in enumerate(members.get("inboundnatpools", {}))],
            "probes": [{"name": n, "properties": {"protocol": "Tcp", "port": 22}} for n in members.get("probes", {})],
        }
        out.append((f"{lb}?api-version={api_version}",
                    {"location": location, "sku": {"name": public_ip_sku or "Standard"}, "properties": lb_props}))
    for gateway, pools in gateways.items():
        gw_props: dict[str, Any] = {"sku": {"name": "Standard_v2", "tier": "Standard_v2", "capacity": 1},
                                    "backendAddressPools": [{"name": n} for n in pools]}
        if first_subnet:
            gw_props["gatewayIPConfigurations"] = [{"name": "gateway", "properties": {"subnet": {"id": first_subnet}}}]
        out.append((f"{gateway}?api-version={api_version}", {"location": location, "properties": gw_props}))
    return out


def scale_set_network(body: dict[str, Any], api_version: str = NETWORK_API,
                      resources_api: str = "2022-09-01") -> list[tuple[str, dict[str, Any]]]:
    """`network_for` the network resources a scale set body names (member names in any case, as ARM
    reads them), in the scale set's region: what to PUT before the scale set so Azure accepts it."""
    top = _lower_keys(body)
    location = str(top.get("location") or "westus")
    props = top.get("properties") or {}
    profile = ((props.get("virtualmachineprofile") or {}).get("networkprofile")) or {}
    nics = list(profile.get("networkinterfaceconfigurations") or []) + \
        list(((props.get("networkprofileconfiguration") or {}).get("networkinterfaceconfigurations")) or [])
    refs: list[str | None] = [_id(profile.get("healthprobe"))]
    pip_sku = ""
    for nic in nics:
        nic_props = (nic or {}).get("properties") or {}
        refs.append(_id(nic_props.get("networksecuritygroup")))
        for config in nic_props.get("ipconfigurations") or []:
            cprops = (config or {}).get("properties") or {}
            refs.append(_id(cprops.get("subnet")))
            for member in ("loadbalancerbackendaddresspools", "loadbalancerinboundnatpools",
                           "applicationgatewaybackendaddresspools", "applicationsecuritygroups"):
                refs += [_id(value) for value in cprops.get(member) or []]
            pip = cprops.get("publicipaddressconfiguration") or {}
            pip_sku = pip_sku or str((pip.get("sku") or {}).get("name") or "")
    return network_for([r for r in refs if r], location, public_ip_sku=pip_sku, api_version=api_version,
                       resources_api=resources_api)
