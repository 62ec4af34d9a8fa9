"""Referential integrity between a scale set, NICs and the network they stand on.

Three things Azure does that an emulator must too (codes and sources: `references:` in
specs/rules.yaml):
- a write may reference only resources that exist, in the same region
  (400 InvalidResourceReference), of the type the member expects
  (400 InvalidRequestFormat / InvalidJsonReferenceWrongType), and a load balancer and the
  public IPs it or the scale set's instances use must share a SKU;
- a resource still in use cannot be deleted (InUseSubnetCannotBeDeleted,
  InUseNetworkSecurityGroupCannotBeDeleted, LoadBalancerInUseByVirtualMachineScaleSet,
  PublicIPAddressCannotBeDeleted ...);
- the used resource lists who uses it (`subnet.properties.ipConfigurations`,
  `backendAddressPool.properties.backendIPConfigurations`, `nsg.properties.subnets` ...).

Back-references are derived from the store on every read rather than kept in step on
every write: a scale set scaling out, a VM's own NIC model or a NIC PUT then can never
leave a stale list behind.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from contract.emulator.http import Refused, answer
from contract.emulator.network_kinds import (
    APPLICATION_GATEWAY,
    APPLICATION_SECURITY_GROUP,
    LOAD_BALANCER,
    NETWORK_INTERFACE,
    NETWORK_SECURITY_GROUP,
    PUBLIC_IP_ADDRESS,
    PUBLIC_IP_PREFIX,
    VIRTUAL_NETWORK,
    Kind,
)
from contract.emulator.state import JSON, ScaleSet, Store, normalize_location, obj, objs
from contract.emulator.vms import nic_configurations
from contract.servers import arm_error

_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/"
                 r"(?P<type>[^/]+)/(?P<name>[^/]+)(?:/(?P<member>[^/]+)/(?P<child>[^/]+))?/?$", re.IGNORECASE)

# What each reference member must point at: (top-level type, child member or "").
SUBNET = (VIRTUAL_NETWORK.type, "subnets")
BACKEND_POOL = (LOAD_BALANCER.type, "backendAddressPools")
NAT_POOL = (LOAD_BALANCER.type, "inboundNatPools")
NAT_RULE = (LOAD_BALANCER.type, "inboundNatRules")
GATEWAY_POOL = (APPLICATION_GATEWAY.type, "backendAddressPools")
NSG = (NETWORK_SECURITY_GROUP.type, "")
ASG = (APPLICATION_SECURITY_GROUP.type, "")
PUBLIC_IP = (PUBLIC_IP_ADDRESS.type, "")
PUBLIC_IP_PREFIX_REF = (PUBLIC_IP_PREFIX.type, "")
HEALTH_PROBE = (LOAD_BALANCER.type, "probes")

# ip configuration member -> what it references (scale set NIC configurations and standalone NICs alike)
_IP_CONFIG_REFS: tuple[tuple[str, tuple[str, str], bool], ...] = (  # (member, target, is a list)
    ("subnet", SUBNET, False),
    ("loadBalancerBackendAddressPools", BACKEND_POOL, True),
    ("loadBalancerInboundNatPools", NAT_POOL, True),
    ("loadBalancerInboundNatRules", NAT_RULE, True),
    ("applicationGatewayBackendAddressPools", GATEWAY_POOL, True),
    ("applicationSecurityGroups", ASG, True),
    ("publicIPAddress", PUBLIC_IP, False),
)


@dataclass(frozen=True)
class RefId:
    """A parsed ARM id: the top-level resource and, for a child, its member and name."""

    top: str  # the top-level resource id, as written
    type: str  # "Microsoft.Network/virtualNetworks"
    member: str  # "subnets" or ""
    child: str

    @property
    def key(self) -> str:
        whole = f"{self.top}/{self.member}/{self.child}" if self.member else self.top
        return whole.lower()


@lru_cache(maxsize=8192)
def parse(resource_id: str) -> RefId | None:
    m = _ID.match(resource_id)
    if m is None:
        return None
    top = (f"/subscriptions/{m['sub']}/resourceGroups/{m['rg']}/providers/{m['ns']}/{m['type']}/{m['name']}")
    return RefId(top=top, type=f"{m['ns']}/{m['type']}", member=m["member"] or "", child=m["child"] or "")


def _ref(value: Any) -> str | None:
    ref = obj(value).get("id")
    return ref if isinstance(ref, str) and ref else None


# ----------------------------------------------------------------------------- who uses what

@dataclass
class Use:
    user: str  # the id of what holds the reference (an ip configuration, a NIC, a subnet, a scale set)
    relation: str  # "ipConfiguration" | "nic" | "subnet" | "frontend" | "gatewayIp" | "scaleSet"


@dataclass
class Uses:
    """target key (lower-case id) -> the uses of it, for one subscription."""

    by_target: dict[str, list[Use]] = field(default_factory=dict)

    def add(self, target: str | None, user: str, relation: str) -> None:
        if target:
            self.by_target.setdefault(target.rstrip("/").lower(), []).append(Use(user, relation))

    def of(self, target: str, *relations: str) -> list[str]:
        return [u.user for u in self.by_target.get(target.lower(), ()) if not relations or u.relation in relations]


def _ip_config_uses(uses: Uses, config: JSON, config_id: str) -> None:
    props = obj(config.get("properties"))
    for member, _, many in _IP_CONFIG_REFS:
        values = objs(props.get(member)) if many else [props.get(member)]
        for value in values:
            uses.add(_ref(value), config_id, "ipConfiguration")


def scale_set_nic_configs(vmss: ScaleSet) -> Iterator[tuple[str, JSON]]:
    """(NIC id, NIC configuration) of every instance, from each VM's own model."""
    for vm in vmss.vms.values():
        for nic in nic_configurations(vm):
            yield f"{vmss.id}/virtualMachines/{vm.instance_id}/networkInterfaces/{nic.get('name', '')}", nic


def model_nic_configs(model: JSON) -> list[JSON]:
    """The NIC configurations of a scale set model (Uniform or Flexible)."""
    props = obj(model.get("properties"))
    profile = obj(obj(props.get("virtualMachineProfile")).get("networkProfile"))
    flexible = obj(props.get("networkProfileConfiguration"))
    return objs(profile.get("networkInterfaceConfigurations")) + objs(flexible.get("networkInterfaceConfigurations"))


def collect(store: Store, subscription: str) -> Uses:
    """Every reference held in one subscription, indexed by what it points at."""
    uses = Uses()
    sub = f"/subscriptions/{subscription}"
    for vmss in store.list_scale_sets(subscription):
        for nic_id, nic in scale_set_nic_configs(vmss):
            nic_props = obj(nic.get("properties"))
            uses.add(_ref(nic_props.get("networkSecurityGroup")), nic_id, "nic")
            for config in objs(nic_props.get("ipConfigurations")):
                _ip_config_uses(uses, config, f"{nic_id}/ipConfigurations/{config.get('name', '')}")
        for nic in model_nic_configs(vmss.model):
            nic_props = obj(nic.get("properties"))
            uses.add(_ref(nic_props.get("networkSecurityGroup")), vmss.id, "scaleSet")
            for config in objs(nic_props.get("ipConfigurations")):
                cprops = obj(config.get("properties"))
                for member in ("loadBalancerBackendAddressPools", "loadBalancerInboundNatPools"):
                    for value in objs(cprops.get(member)):
                        uses.add(_ref(value), vmss.id, "scaleSet")
        probe = _ref(obj(obj(vmss.properties.get("virtualMachineProfile")).get("networkProfile")).get("healthProbe"))
        uses.add(probe, vmss.id, "scaleSet")
    for nic in store.resources(prefix=sub, type=NETWORK_INTERFACE.type):
        props = obj(nic.model.get("properties"))
        uses.add(_ref(props.get("networkSecurityGroup")), nic.id, "nic")
        for config in objs(props.get("ipConfigurations")):
            _ip_config_uses(uses, config, f"{nic.id}/ipConfigurations/{config.get('name', '')}")
    for vnet in store.resources(prefix=sub, type=VIRTUAL_NETWORK.type):
        for subnet in objs(obj(vnet.model.get("properties")).get("subnets")):
            subnet_id = f"{vnet.id}/subnets/{subnet.get('name', '')}"
            uses.add(_ref(obj(subnet.get("properties")).get("networkSecurityGroup")), subnet_id, "subnet")
    for lb in store.resources(prefix=sub, type=LOAD_BALANCER.type):
        for frontend in objs(obj(lb.model.get("properties")).get("frontendIPConfigurations")):
            fprops = obj(frontend.get("properties"))
            frontend_id = f"{lb.id}/frontendIPConfigurations/{frontend.get('name', '')}"
            for member in ("subnet", "publicIPAddress", "publicIPPrefix"):
                uses.add(_ref(fprops.get(member)), frontend_id, "frontend")
    for gateway in store.resources(prefix=sub, type=APPLICATION_GATEWAY.type):
        gprops = obj(gateway.model.get("properties"))
        for config in objs(gprops.get("gatewayIPConfigurations")):
            uses.add(_ref(obj(config.get("properties")).get("subnet")),
                     f"{gateway.id}/gatewayIPConfigurations/{config.get('name', '')}", "gatewayIp")
        for frontend in objs(gprops.get("frontendIPConfigurations")):
            uses.add(_ref(obj(frontend.get("properties")).get("publicIPAddress")),
                     f"{gateway.id}/frontendIPConfigurations/{frontend.get('name', '')}", "frontend")
    return uses


def _subscription_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[2] if len(parts) > 2 else ""


# ----------------------------------------------------------------------------- back-references on reads

def _id_list(ids: list[str]) -> list[JSON]:
    return [{"id": i} for i in ids]


def decorate(store: Store, kind: Kind, model: JSON) -> None:
    """Fill the read-only back-reference lists Azure shows on `model` (a copy being answered)."""
    rid = model.get("id")
    if not isinstance(rid, str):
        return
    uses = collect(store, _subscription_of(rid))
    props = model.get("properties")
    if not isinstance(props, dict):
        return
    if kind.type == VIRTUAL_NETWORK.type:
        for subnet in objs(props.get("subnets")):
            _decorate_subnet(uses, subnet)
    elif kind.type == f"{VIRTUAL_NETWORK.type}/subnets":
        _decorate_subnet(uses, model)
    elif kind.type == NETWORK_SECURITY_GROUP.type:
        _set(props, "networkInterfaces", _id_list(uses.of(rid, "nic")))
        _set(props, "subnets", _id_list(uses.of(rid, "subnet")))
    elif kind.type == LOAD_BALANCER.type:
        for pool in objs(props.get("backendAddressPools")):
            _decorate_pool(uses, pool)
        back = _load_balancer_rule_uses(model)
        for member in _LB_BACK_MEMBERS:
            for child in objs(props.get(member)):
                _decorate_lb_child(back, member, child)
    elif kind.type.startswith(f"{LOAD_BALANCER.type}/") and kind.member in _LB_BACK_MEMBERS:
        if kind.member == "backendAddressPools":
            _decorate_pool(uses, model)
        parent = store.resource(rid.rsplit("/", 2)[0])
        if parent is not None:
            _decorate_lb_child(_load_balancer_rule_uses(parent.model), kind.member, model)
    elif kind.type == APPLICATION_GATEWAY.type:
        for pool in objs(props.get("backendAddressPools")):
            _decorate_pool(uses, pool)
    elif kind.type == PUBLIC_IP_ADDRESS.type:
        users = uses.of(rid, "ipConfiguration", "frontend")
        if users:
            props["ipConfiguration"] = {"id": users[0]}


# Inside a load balancer, the rules name its frontends, pools and probes; each of those lists the rules that
# name it (read-only, as the official example LoadBalancerGet.json shows): (rule member, its reference member).
_LB_RULE_REFS: tuple[tuple[str, str], ...] = (
    ("loadBalancingRules", "frontendIPConfiguration"), ("loadBalancingRules", "backendAddressPool"),
    ("loadBalancingRules", "backendAddressPools"), ("loadBalancingRules", "probe"),
    ("inboundNatRules", "frontendIPConfiguration"), ("inboundNatPools", "frontendIPConfiguration"),
    ("outboundRules", "frontendIPConfigurations"), ("outboundRules", "backendAddressPool"))
# which back-reference lists each child kind carries (the swagger's read-only members)
_LB_BACK_MEMBERS: dict[str, tuple[str, ...]] = {
    "frontendIPConfigurations": ("loadBalancingRules", "inboundNatRules", "inboundNatPools", "outboundRules"),
    "backendAddressPools": ("loadBalancingRules", "outboundRules"),
    "probes": ("loadBalancingRules",),
}


def _load_balancer_rule_uses(lb: JSON) -> dict[str, dict[str, list[str]]]:
    """child id (lower case) -> rule member -> ids of the load balancer's rules that name that child."""
    out: dict[str, dict[str, list[str]]] = {}
    props = obj(lb.get("properties"))
    lb_id = str(lb.get("id", ""))
    for rule_member, ref_member in _LB_RULE_REFS:
        for rule in objs(props.get(rule_member)):
            rule_id = rule.get("id") or (f"{lb_id}/{rule_member}/{rule.get('name', '')}" if lb_id else None)
            value = obj(rule.get("properties")).get(ref_member)
            for target in (objs(value) if isinstance(value, list) else [value]):
                ref = _ref(target)
                if ref and isinstance(rule_id, str):
                    ids = out.setdefault(ref.rstrip("/").lower(), {}).setdefault(rule_member, [])
                    if rule_id not in ids:
                        ids.append(rule_id)
    return out


def _decorate_lb_child(back: dict[str, dict[str, list[str]]], member: str, child: JSON) -> None:
    cid, props = child.get("id"), child.get("properties")
    if not isinstance(cid, str) or not isinstance(props, dict):
        return
    found = back.get(cid.lower(), {})
    for rule_member in _LB_BACK_MEMBERS[member]:
        _set(props, rule_member, _id_list(found.get(rule_member, [])))


def _set(props: JSON, member: str, ids: list[JSON]) -> None:
    if ids:
        props[member] = ids
    else:
        props.pop(member, None)


def _decorate_subnet(uses: Uses, subnet: JSON) -> None:
    sid = subnet.get("id")
    props = subnet.get("properties")
    if not isinstance(sid, str) or not isinstance(props, dict):
        return
    _set(props, "ipConfigurations", _id_list(uses.of(sid, "ipConfiguration", "frontend")))
    _set(props, "applicationGatewayIPConfigurations", _id_list(uses.of(sid, "gatewayIp")))


def _decorate_pool(uses: Uses, pool: JSON) -> None:
    pid = pool.get("id")
    props = pool.get("properties")
    if isinstance(pid, str) and isinstance(props, dict):
        _set(props, "backendIPConfigurations", _id_list(uses.of(pid, "ipConfiguration")))


# ----------------------------------------------------------------------------- existence

def _not_found(target: str, referrer: str) -> Refused:
    return Refused(arm_error(400, "InvalidResourceReference",
                             f"Resource {target} referenced by resource {referrer} was not found. Please make sure "
                             f"that the referenced resource exists, and that both resources are in the same region."))


def _wrong_type(target: str, expected: tuple[str, str], path: str) -> Refused:
    wanted = expected[0].split("/", 1)[1] + (f"/{expected[1]}" if expected[1] else "")
    detail = {"code": "InvalidJsonReferenceWrongType",
              "message": f"Reference Id {target} is referencing resource of a wrong type. The Id is expected to "
                         f"reference resources of type {wanted}. Path {path}."}
    return Refused(answer(400, {"error": {"code": "InvalidRequestFormat", "message": "Cannot parse the request.",
                                          "details": [detail]}}))


def resolve(store: Store, target: str, expected: tuple[str, str], path: str) -> tuple[JSON, JSON] | None:
    """(top-level model, referenced model) of an existing reference, or None when it does not exist.

    Raises the wrong-type refusal for an id that names another kind of resource.
    """
    parsed = parse(target)
    if parsed is None or parsed.type.lower() != expected[0].lower() or parsed.member.lower() != expected[1].lower():
        raise _wrong_type(target, expected, path)
    top = store.resource(parsed.top)
    if top is None:
        return None
    if not parsed.member:
        return top.model, top.model
    for item in objs(obj(top.model.get("properties")).get(expected[1])):
        if str(item.get("name", "")).lower() == parsed.child.lower():
            return top.model, item
    return None


def require(store: Store, value: Any, expected: tuple[str, str], referrer: str, location: str,
            path: str) -> tuple[JSON, JSON] | None:
    """The referenced (top, item) when `value` holds an id; InvalidResourceReference when it is missing
    or in another region (Azure words both cases as one)."""
    target = _ref(value)
    if target is None:
        return None
    found = resolve(store, target, expected, path)
    if found is None:
        raise _not_found(target, referrer)
    top_location = found[0].get("location")
    if (location and isinstance(top_location, str) and top_location
            and normalize_location(top_location) != normalize_location(location)):
        raise _not_found(target, referrer)
    return found


def _sku(model: JSON) -> str:
    return str(obj(model.get("sku")).get("name") or "Basic").lower()


def check_ip_configurations(store: Store, referrer: str, location: str, configs: list[JSON], path: str,
                            per_instance_public_ip: bool) -> None:
    """Every reference in a list of ip configurations exists; LB and instance public IP SKUs agree."""
    for index, config in enumerate(configs):
        props = obj(config.get("properties"))
        here = f"{path}[{index}].properties"
        lb_skus: set[str] = set()
        for member, expected, many in _IP_CONFIG_REFS:
            values = objs(props.get(member)) if many else [props.get(member)]
            for position, value in enumerate(values):
                found = require(store, value, expected, referrer, location,
                                f"{here}.{member}" + (f"[{position}]" if many else ""))
                if found is not None and expected[0] == LOAD_BALANCER.type:
                    lb_skus.add(_sku(found[0]))
        pip = obj(props.get("publicIPAddressConfiguration"))
        pip_props = obj(pip.get("properties"))
        prefix = require(store, pip_props.get("publicIPPrefix"), PUBLIC_IP_PREFIX_REF, referrer, location,
                         f"{here}.publicIPAddressConfiguration.properties.publicIPPrefix")
        if per_instance_public_ip and pip and lb_skus:
            pip_sku = str(obj(pip.get("sku")).get("name") or (prefix and "standard") or "").lower()
            if pip_sku and any(sku != pip_sku for sku in lb_skus):
                raise Refused(arm_error(400, "DifferentSkuLoadBalancerAndPublicIPAddressNotAllowedInVMSS",
                                        f"Different basic sku and standard sku load balancer or public Ip resources "
                                        f"in virtual machine scale set {referrer} is not allowed.",
                                        target=f"{here}.publicIPAddressConfiguration.sku"))


def check_scale_set(store: Store, vmss_id: str, model: JSON) -> None:
    """A scale set model may reference only existing network resources in its region."""
    location = str(model.get("location", ""))
    props = obj(model.get("properties"))
    roots = (("properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations",
              obj(obj(props.get("virtualMachineProfile")).get("networkProfile"))),
             ("properties.networkProfileConfiguration.networkInterfaceConfigurations",
              obj(props.get("networkProfileConfiguration"))))
    for path, profile in roots:
        for index, nic in enumerate(objs(profile.get("networkInterfaceConfigurations"))):
            nic_props = obj(nic.get("properties"))
            require(store, nic_props.get("networkSecurityGroup"), NSG, vmss_id, location,
                    f"{path}[{index}].properties.networkSecurityGroup")
            check_ip_configurations(store, vmss_id, location, objs(nic_props.get("ipConfigurations")),
                                    f"{path}[{index}].properties.ipConfigurations", per_instance_public_ip=True)
    network = obj(obj(props.get("virtualMachineProfile")).get("networkProfile"))
    require(store, network.get("healthProbe"), HEALTH_PROBE, vmss_id, location,
            "properties.virtualMachineProfile.networkProfile.healthProbe")


def check_network_write(store: Store, kind: Kind, model: JSON, previous: JSON | None) -> None:
    """The references a Network resource holds exist; nothing in use disappears with this write."""
    rid = str(model.get("id", ""))
    location = str(model.get("location", ""))
    props = obj(model.get("properties"))
    if kind.type == VIRTUAL_NETWORK.type:
        for index, subnet in enumerate(objs(props.get("subnets"))):
            require(store, obj(subnet.get("properties")).get("networkSecurityGroup"), NSG,
                    str(subnet.get("id", rid)), location, f"properties.subnets[{index}].properties.networkSecurityGroup")
        if previous is not None:
            kept = {str(s.get("name", "")).lower() for s in objs(props.get("subnets"))}
            gone = [s for s in objs(obj(previous.get("properties")).get("subnets"))
                    if str(s.get("name", "")).lower() not in kept]
            if gone:
                uses = collect(store, _subscription_of(rid))
                for subnet in gone:
                    _refuse_subnet_in_use(uses, subnet)
    elif kind.type == NETWORK_INTERFACE.type:
        require(store, props.get("networkSecurityGroup"), NSG, rid, location, "properties.networkSecurityGroup")
        check_ip_configurations(store, rid, location, objs(props.get("ipConfigurations")),
                                "properties.ipConfigurations", per_instance_public_ip=False)
    elif kind.type == LOAD_BALANCER.type:
        for index, frontend in enumerate(objs(props.get("frontendIPConfigurations"))):
            fprops = obj(frontend.get("properties"))
            here = f"properties.frontendIPConfigurations[{index}].properties"
            require(store, fprops.get("subnet"), SUBNET, rid, location, f"{here}.subnet")
            require(store, fprops.get("publicIPPrefix"), PUBLIC_IP_PREFIX_REF, rid, location, f"{here}.publicIPPrefix")
            pip = require(store, fprops.get("publicIPAddress"), PUBLIC_IP, rid, location, f"{here}.publicIPAddress")
            if pip is not None and _sku(pip[0]) != _sku(model):
                raise Refused(arm_error(400, "DifferentSkuLoadBalancersAndPublicIPAddressNotAllowed",
                                        f"Different basic sku and standard sku load balancer or public Ip resources "
                                        f"is not allowed: {rid} and {_ref(fprops.get('publicIPAddress'))}.",
                                        target=f"{here}.publicIPAddress"))
    elif kind.type == APPLICATION_GATEWAY.type:
        for index, config in enumerate(objs(props.get("gatewayIPConfigurations"))):
            require(store, obj(config.get("properties")).get("subnet"), SUBNET, rid, location,
                    f"properties.gatewayIPConfigurations[{index}].properties.subnet")
        for index, frontend in enumerate(objs(props.get("frontendIPConfigurations"))):
            require(store, obj(frontend.get("properties")).get("publicIPAddress"), PUBLIC_IP, rid, location,
                    f"properties.frontendIPConfigurations[{index}].properties.publicIPAddress")
    elif kind.type == NETWORK_SECURITY_GROUP.type:
        for index, rule in enumerate(objs(props.get("securityRules"))):
            rprops = obj(rule.get("properties"))
            for member in ("sourceApplicationSecurityGroups", "destinationApplicationSecurityGroups"):
                for position, value in enumerate(objs(rprops.get(member))):
                    require(store, value, ASG, rid, location,
                            f"properties.securityRules[{index}].properties.{member}[{position}]")


# ----------------------------------------------------------------------------- deletes

def _refuse_subnet_in_use(uses: Uses, subnet: JSON) -> None:
    sid = str(subnet.get("id", ""))
    users = uses.of(sid, "ipConfiguration", "frontend", "gatewayIp")
    if users:
        raise Refused(arm_error(400, "InUseSubnetCannotBeDeleted",
                                f"Subnet {subnet.get('name', '')} is in use by {users[0]} and cannot be deleted. "
                                f"In order to delete the subnet, delete all the resources within the subnet. "
                                f"See aka.ms/deletesubnet."))


def check_delete(store: Store, kind: Kind, model: JSON) -> None:
    """Refuse, as Azure does, to delete what is still in use."""
    rid = str(model.get("id", ""))
    uses = collect(store, _subscription_of(rid))
    if kind.type == VIRTUAL_NETWORK.type:
        for subnet in objs(obj(model.get("properties")).get("subnets")):
            _refuse_subnet_in_use(uses, subnet)
    elif kind.type == f"{VIRTUAL_NETWORK.type}/subnets":
        _refuse_subnet_in_use(uses, model)
    elif kind.type == NETWORK_SECURITY_GROUP.type:
        scale_sets = uses.of(rid, "scaleSet")
        if scale_sets:
            raise Refused(arm_error(400, "NetworkSecurityGroupInUseByVirtualMachineScaleSet",
                                    f"Cannot delete network security group {rid} since it is in use by virtual "
                                    f"machine scale set {scale_sets[0]}."))
        users = uses.of(rid, "nic", "subnet")
        if users:
            raise Refused(arm_error(400, "InUseNetworkSecurityGroupCannotBeDeleted",
                                    f"Network security group {rid} cannot be deleted because it is in use by the "
                                    f"following resources: {', '.join(users)}. In order to delete the Network "
                                    f"security group, remove the association with the resource(s)."))
    elif kind.type == LOAD_BALANCER.type:
        props = obj(model.get("properties"))
        children = [f"{rid}/{member}/{item.get('name', '')}" for member in ("backendAddressPools", "inboundNatPools",
                                                                           "probes")
                    for item in objs(props.get(member))]
        for child_id in children:
            scale_sets = uses.of(child_id, "scaleSet")
            if scale_sets:
                raise Refused(arm_error(400, "LoadBalancerInUseByVirtualMachineScaleSet",
                                        f"Cannot delete load balancer {rid} since its child resources {child_id} "
                                        f"are in use by virtual machine scale set {scale_sets[0]}."))
    elif kind.type == f"{LOAD_BALANCER.type}/backendAddressPools":
        scale_sets = uses.of(rid, "scaleSet")
        if scale_sets:
            raise Refused(arm_error(400, "LoadBalancerInUseByVirtualMachineScaleSet",
                                    f"Cannot remove backend address pool {model.get('name', '')} from load balancer "
                                    f"since it is in use by virtual machine scale set {scale_sets[0]}."))
    elif kind.type == PUBLIC_IP_ADDRESS.type:
        users = uses.of(rid, "ipConfiguration", "frontend")
        if users:
            raise Refused(arm_error(400, "PublicIPAddressCannotBeDeleted",
                                    f"Public IP address {rid} can not be deleted since it is still allocated to "
                                    f"resource {users[0]}. In order to delete the public IP, disassociate/detach "
                                    f"the Public IP address from the resource."))


def check_scale_set_write(call: Any, model: JSON) -> None:
    """The scale set PUT/PATCH hook: with the emulator's `network_integrity` on, refuse a model that
    references network resources this emulator does not have (Azure's InvalidResourceReference)."""
    if not getattr(call.emulator, "network_integrity", False):
        return
    params = call.params
    sub = params.get("subscriptionId", "")
    group = params.get("resourceGroupName", "")
    name = params.get("vmScaleSetName", "")
    check_scale_set(call.store, f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Compute/"
                                f"virtualMachineScaleSets/{name}", model)
