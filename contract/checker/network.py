"""The network a scale set stands on, as `checker.existence` tracks it.

A Microsoft.Network resource (or a child such as a subnet or pool) is addressed by its URI;
a scale set body references subnets, pools, NSGs, ASGs and public IP prefixes from its NIC
configurations. Azure refuses a reference to a missing one with 400 InvalidResourceReference.
"""
from __future__ import annotations

import re
from typing import Any

from contract.checker.existence import Tracked

_NETWORK = re.compile(r"^(?:https?://[^/]+)?(?P<top>/subscriptions/[^/]+/resourcegroups/(?P<group>[^/]+)/providers/"
                      r"microsoft\.network/[^/]+/[^/?]+)(?:/(?P<member>[^/?]+)/(?P<child>[^/?]+))?/?(?:\?|$)",
                      re.IGNORECASE)
_REF_MEMBERS = ("subnet", "loadBalancerBackendAddressPools", "loadBalancerInboundNatPools",
                "applicationGatewayBackendAddressPools", "applicationSecurityGroups", "publicIPPrefix")


def network_id(uri: str) -> str | None:
    m = _NETWORK.match(uri)
    if m is None:
        return None
    return f"{m['top']}/{m['member']}/{m['child']}" if m["member"] else m["top"]


def network_references(body: Any) -> list[str]:
    """Every network id a scale set (or VM) body's NIC configurations reference."""
    out: list[str] = []
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        return out
    profiles = [((props.get("virtualMachineProfile") or {}).get("networkProfile") or {}),
                props.get("networkProfileConfiguration") or {}]
    for profile in profiles:
        if not isinstance(profile, dict):
            continue
        for nic in profile.get("networkInterfaceConfigurations") or ():
            nic_props = nic.get("properties") if isinstance(nic, dict) else None
            if not isinstance(nic_props, dict):
                continue
            _add(out, nic_props.get("networkSecurityGroup"))
            for config in nic_props.get("ipConfigurations") or ():
                cprops = config.get("properties") if isinstance(config, dict) else None
                if not isinstance(cprops, dict):
                    continue
                pip = ((cprops.get("publicIPAddressConfiguration") or {}).get("properties") or {})
                for member in _REF_MEMBERS:
                    value = pip.get(member) if member == "publicIPPrefix" else cprops.get(member)
                    for item in value if isinstance(value, list) else [value]:
                        _add(out, item)
    return out


def _add(out: list[str], value: Any) -> None:
    ref = value.get("id") if isinstance(value, dict) else None
    if isinstance(ref, str) and ref:
        out.append(ref.rstrip("/").lower())


def in_use_refusal(ref: str) -> tuple[str, str] | None:
    """Deleting a referenced network id (or what holds it) while a scale set uses it: Azure's refusal.

    Codes and sources: specs/rules.yaml `references:` (subnet-in-use and the two *-by-scale-set
    entries). Public IP prefixes, ASGs and gateway pools have no sourced refusal: not judged."""
    if "/subnets/" in ref:
        return "subnet-in-use", "400 InUseSubnetCannotBeDeleted"
    if "/networksecuritygroups/" in ref:
        return "network-security-group-in-use-by-scale-set", "400 NetworkSecurityGroupInUseByVirtualMachineScaleSet"
    if "/loadbalancers/" in ref:
        return "load-balancer-in-use-by-scale-set", "400 LoadBalancerInUseByVirtualMachineScaleSet"
    return None


NETWORK = Tracked("/microsoft.network/", network_id, network_references, "reference-must-exist",
                  "400 InvalidResourceReference", "referencing", in_use_refusal)
