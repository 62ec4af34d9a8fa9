"""The network side of scale set VMs: the NICs and public IPs their NIC configurations create.

Addresses are fake but stable: derived from the VM and configuration, so the same VM
shows the same private and public IP on every read (and a reimaged VM keeps them, as in Azure).
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from contract.emulator.state import JSON, VM, ScaleSet, obj, objs
from contract.emulator.vms import nic_configurations


@lru_cache(maxsize=8192)
def _derived(seed: str) -> tuple[str, str, str, str]:
    """Stable fake (public address, private address, resource GUID, etag) for one seed."""
    d = hashlib.sha256(seed.encode()).digest()
    return (f"20.{d[0]}.{d[1]}.{max(1, d[2])}", f"10.0.{d[3]}.{max(4, d[4])}",
            str(uuid.uuid5(uuid.NAMESPACE_URL, seed)), f'W/"{d[5:21].hex()}"')


def _walk(vmss: ScaleSet, instance_id: str | None, nic: str | None,
          ip_config: str | None = None) -> Iterator[tuple[VM, JSON, JSON]]:
    """(VM, NIC configuration, IP configuration) triples matching the filters, VMs in id order."""
    for vm in sorted(vmss.vms.values(), key=lambda v: int(v.instance_id)):
        if instance_id is not None and vm.instance_id != instance_id:
            continue
        for nic_conf in nic_configurations(vm):
            if nic is not None and str(nic_conf.get("name", "")).lower() != nic.lower():
                continue
            for ip_conf in objs(obj(nic_conf.get("properties")).get("ipConfigurations")):
                if ip_config is None or str(ip_conf.get("name", "")).lower() == ip_config.lower():
                    yield vm, nic_conf, ip_conf


def _nic_id(vmss: ScaleSet, vm: VM, nic_name: str) -> str:
    return f"{vmss.id}/virtualMachines/{vm.instance_id}/networkInterfaces/{nic_name}"


def public_ips(vmss: ScaleSet, instance_id: str | None = None, nic: str | None = None,
               ip_config: str | None = None, name: str | None = None) -> list[JSON]:
    """One public IP per (VM, NIC, IP configuration) whose configuration asks for one."""
    out: list[JSON] = []
    for vm, nic_conf, ip_conf in _walk(vmss, instance_id, nic, ip_config):
        pip = obj(ip_conf.get("properties")).get("publicIPAddressConfiguration")
        if isinstance(pip, dict) and (name is None or str(pip.get("name", "")).lower() == name.lower()):
            out.append(_public_ip(vmss, vm, str(nic_conf.get("name", "")), str(ip_conf.get("name", "")), pip))
    return out


def _public_ip(vmss: ScaleSet, vm: VM, nic_name: str, ip_name: str, pip: JSON) -> JSON:
    config_id = f"{_nic_id(vmss, vm, nic_name)}/ipConfigurations/{ip_name}"
    pip_name = str(pip.get("name", "pub1"))
    pip_props = obj(pip.get("properties"))
    address, _, guid, etag = _derived(f"{config_id}/{pip_name}/{vm.vm_id}")
    props: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "resourceGuid": guid,
        "ipAddress": address,
        "publicIPAddressVersion": pip_props.get("publicIPAddressVersion", "IPv4"),
        "publicIPAllocationMethod": "Dynamic",
        "idleTimeoutInMinutes": pip_props.get("idleTimeoutInMinutes", 4),
        "ipConfiguration": {"id": config_id},
    }
    label = obj(pip_props.get("dnsSettings")).get("domainNameLabel")
    if label:
        fqdn_label = f"{label}{vm.instance_id}"
        props["dnsSettings"] = {"domainNameLabel": fqdn_label,
                                "fqdn": f"{fqdn_label}.{vmss.location}.cloudapp.azure.com"}
    return {"name": pip_name, "id": f"{config_id}/publicIPAddresses/{pip_name}",
            "etag": etag, "properties": props}


def network_interfaces(vmss: ScaleSet, instance_id: str | None = None, nic: str | None = None) -> list[JSON]:
    """The NICs each VM's NIC configurations create (`NetworkInterface` resources)."""
    out: list[JSON] = []
    for vm in sorted(vmss.vms.values(), key=lambda v: int(v.instance_id)):
        if instance_id is not None and vm.instance_id != instance_id:
            continue
        for nic_conf in nic_configurations(vm):
            nic_name = str(nic_conf.get("name", ""))
            if nic is None or nic_name.lower() == nic.lower():
                out.append(_nic(vmss, vm, nic_conf))
    return out


def _nic(vmss: ScaleSet, vm: VM, nic_conf: JSON) -> JSON:
    nic_name = str(nic_conf.get("name", ""))
    nic_props = obj(nic_conf.get("properties"))
    nic_id = _nic_id(vmss, vm, nic_name)
    ip_configs = []
    for _, _, ip_conf in _walk(vmss, vm.instance_id, nic_name):
        ip_name = str(ip_conf.get("name", ""))
        ip_props = obj(ip_conf.get("properties"))
        _, private, _, _ = _derived(f"{nic_id}/{ip_name}/{vm.vm_id}")
        props: JSON = {"provisioningState": "Succeeded", "privateIPAddress": private,
                       "privateIPAllocationMethod": "Dynamic",
                       "privateIPAddressVersion": ip_props.get("privateIPAddressVersion", "IPv4"),
                       "primary": bool(ip_props.get("primary", len(ip_configs) == 0))}
        if isinstance(ip_props.get("subnet"), dict):
            props["subnet"] = ip_props["subnet"]
        pip = ip_props.get("publicIPAddressConfiguration")
        if isinstance(pip, dict):
            props["publicIPAddress"] = {"id": f"{nic_id}/ipConfigurations/{ip_name}/publicIPAddresses/"
                                              f"{pip.get('name', 'pub1')}"}
        for pools in ("loadBalancerBackendAddressPools", "applicationGatewayBackendAddressPools"):
            if isinstance(ip_props.get(pools), list):
                props[pools] = ip_props[pools]
        ip_configs.append({"name": ip_name, "id": f"{nic_id}/ipConfigurations/{ip_name}", "properties": props})
    _, _, guid, etag = _derived(f"{nic_id}/{vm.vm_id}")
    props = {
        "provisioningState": "Succeeded",
        "resourceGuid": guid,
        "ipConfigurations": ip_configs,
        "dnsSettings": {"dnsServers": obj(nic_props.get("dnsSettings")).get("dnsServers", []), "appliedDnsServers": []},
        "macAddress": "-".join(guid.replace("-", "")[i:i + 2].upper() for i in range(0, 12, 2)),
        "enableAcceleratedNetworking": bool(nic_props.get("enableAcceleratedNetworking", False)),
        "enableIPForwarding": bool(nic_props.get("enableIPForwarding", False)),
        "primary": bool(nic_props.get("primary", True)),
        "virtualMachine": {"id": f"{vmss.id}/virtualMachines/{vm.instance_id}"},
    }
    if isinstance(nic_props.get("networkSecurityGroup"), dict):
        props["networkSecurityGroup"] = nic_props["networkSecurityGroup"]
    return {"name": nic_name, "id": nic_id, "etag": etag, "properties": props}
