"""Overlays: realistic values for the places in a request body we know about.

An overlay is keyed by the end of a property's path ("$" anchors at the top of the body)
and answers a value, `OMIT` (leave this optional property out) or `DEFER` (walk the
schema here as usual). Everything is drawn from the payload's `Scenario`, so values agree.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from hypothesis import strategies as st

from contract.strategies.bits import BOOL, cheap, ints, pick
from contract.strategies.network import NetworkContext
from contract.strategies.scenario import Scenario
from contract.strategies.ssh import ssh_key_from
from contract.strategies.values import (
    NAME_POOL, b64, blob_uri, computer_name_prefixes, ipv4_addresses, password, resource_names, subscription_ids,
)

OMIT: Any = object()  # an overlay's answer: leave this optional property out
DEFER: Any = object()  # an overlay's answer: walk the schema here as usual

Path = tuple[str, ...]  # ("$", "properties", "sku", ...); array items are "[]"
Overlay = Callable[[st.DrawFn, Scenario, dict[str, Any]], Any]


def _const(value: Any) -> Overlay:
    return lambda draw, scen, schema: copy.deepcopy(value)


def _from(strategy: st.SearchStrategy[Any]) -> Overlay:
    return lambda draw, scen, schema: draw(strategy)


def _enum_pick(preferred: Iterable[str]) -> Overlay:
    """A value from the schema's enum that is also realistic (the enum may list more)."""
    wanted = list(preferred)

    def overlay(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
        enum = schema.get("enum")
        pool = [v for v in wanted if enum is None or v in enum] or list(enum or wanted)
        return draw(pick(tuple(pool)))

    return overlay


def _only_on(os_type: str) -> Overlay:
    return lambda draw, scen, schema: DEFER if scen.os_type == os_type else OMIT


_TAG_KEYS = ("env", "owner", "costcenter", "app", "team", "purpose")
_ZONE_LISTS = pick((("1",), ("2",), ("3",), ("1", "2"), ("1", "3"), ("2", "3"), ("1", "2", "3")))
_HEX32 = cheap(st.binary(min_size=16, max_size=16).map(bytes.hex), "hex", 32)
_PARAM_NAMES = pick(tuple(dict.fromkeys(n.replace("-", "_") for n in NAME_POOL)))
_PARAM_VALUES = pick(tuple(NAME_POOL[:400]) + tuple(str(n) for n in (0, 1, 7, 42, 100, 443, 8080, 65535)))
_FIRST_LOGON = ("<FirstLogonCommands><SynchronousCommand><CommandLine>hostname</CommandLine>"
                "<Order>1</Order></SynchronousCommand></FirstLogonCommands>")


def _zones(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    if not scen.zonal:
        return OMIT
    return list(draw(_ZONE_LISTS))


def _tags(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    keys = [k for k in _TAG_KEYS if draw(ints(0, 3)) == 3]  # about one tag in four; zero bits = no tag
    return {k: draw(resource_names(1, 16)) for k in keys}


def _storage_type(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    good = ["Standard_LRS", "StandardSSD_LRS"] + (["Premium_LRS"] if scen.premium_storage else [])
    return _enum_pick(good)(draw, scen, schema)


def _image_reference(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    i = scen.image
    return {"publisher": i.publisher, "offer": i.offer, "sku": i.sku, "version": scen.version}


def _custom_data(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    pkg = draw(pick(("nginx", "htop", "jq", "curl")))
    return b64(f"#cloud-config\npackages:\n  - {pkg}\n")


def _password(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    return password(draw)


def _blob(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    return blob_uri(draw, scen.storage_account)


def _certificate_url(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    name = draw(resource_names(3, 20))
    version = draw(_HEX32)
    return scen.network.certificate_url(name, version)


def _subnet_id(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    return scen.network.subnet_id(draw(ints(0, len(scen.network.subnets) - 1)))


def _pool_list(make: Callable[[NetworkContext], str]) -> Overlay:
    return lambda draw, scen, schema: [{"id": make(scen.network)}] if scen.references else OMIT


def _reference(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    """A member that points at another resource: only when the scenario may refer to them."""
    return DEFER if scen.references else OMIT


def _public_ip_sku(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    """Standard when the payload may name the context's load balancer pools (a Standard load balancer,
    `NetworkContext.network_requests`): Azure refuses instance public IPs of another SKU than the load
    balancer's (DifferentSkuLoadBalancerAndPublicIPAddressNotAllowedInVMSS)."""
    return "Standard" if scen.references else _enum_pick(["Standard", "Basic"])(draw, scen, schema)


def _extensions(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    if scen.os_type == "Windows":
        publisher, kind, version, cmd = "Microsoft.Compute", "CustomScriptExtension", "1.10", "powershell -c hostname"
    else:
        publisher, kind, version, cmd = "Microsoft.Azure.Extensions", "CustomScript", "2.1", "hostname"
    return [{
        "name": draw(resource_names(3, 20)),
        "properties": {
            "publisher": publisher, "type": kind, "typeHandlerVersion": version,
            "autoUpgradeMinorVersion": True, "settings": {"commandToExecute": cmd},
        },
    }]


def _identity(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    """A run-command managed identity: system-assigned ({}), or clientId, or objectId."""
    kind = draw(pick(("system", "clientId", "objectId")))
    return {} if kind == "system" else {kind: draw(subscription_ids())}


def _script_source(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    """Exactly one of script / scriptUri / commandId, as the run-command docs require."""
    kind = draw(pick(("script", "scriptUri", "commandId")))
    if kind == "script":
        return {"script": draw(pick(("echo hello", "hostname", "uptime", "df -h", "ls /tmp")))}
    if kind == "commandId":
        return {"commandId": "RunPowerShellScript" if scen.os_type == "Windows" else "RunShellScript"}
    out: dict[str, Any] = {"scriptUri": blob_uri(draw, scen.storage_account).replace(".txt", ".sh")}
    if draw(BOOL):
        out["scriptUriManagedIdentity"] = _identity(draw, scen, schema)
    return out


def _instance_ids(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    ids = scen.instance_ids
    mask = 1 + draw(ints(0, (1 << len(ids)) - 2)) if len(ids) < 20 else 1
    return [i for n, i in enumerate(ids) if mask >> n & 1]


OVERLAYS: dict[Path, Overlay] = {
    ("$", "location"): lambda draw, scen, schema: scen.location,
    ("$", "zones"): _zones,
    ("$", "tags"): _tags,
    ("$", "sku", "name"): lambda draw, scen, schema: scen.size,
    ("$", "sku", "tier"): _const("Standard"),
    ("$", "sku", "capacity"): _from(ints(0, 4)),
    ("publicIPAddressConfiguration", "sku", "name"): _public_ip_sku,
    ("publicIPAddressConfiguration", "sku", "tier"): _enum_pick(["Regional"]),
    ("upgradePolicy", "mode"): _enum_pick(["Manual", "Automatic"]),
    ("osProfile", "computerNamePrefix"): lambda draw, scen, schema: draw(computer_name_prefixes(scen.os_type)),
    ("osProfile", "adminUsername"): lambda draw, scen, schema: scen.admin_username,
    ("osProfile", "adminPassword"): _password,
    ("osProfile", "customData"): _custom_data,
    ("osProfile", "linuxConfiguration"): _only_on("Linux"),
    ("osProfile", "windowsConfiguration"): _only_on("Windows"),
    ("linuxConfiguration", "disablePasswordAuthentication"): _const(False),
    ("publicKeys", "[]", "path"): lambda draw, scen, schema: f"/home/{scen.admin_username}/.ssh/authorized_keys",
    ("publicKeys", "[]", "keyData"): lambda draw, scen, schema: ssh_key_from(draw),
    ("listeners", "[]", "protocol"): _enum_pick(["Http"]),
    ("listeners", "[]", "certificateUrl"): _const(OMIT),
    ("additionalUnattendContent", "[]", "content"): _const(_FIRST_LOGON),
    ("additionalUnattendContent", "content"): _const(_FIRST_LOGON),
    ("additionalUnattendContent", "[]", "settingName"): _enum_pick(["FirstLogonCommands"]),
    ("additionalUnattendContent", "settingName"): _enum_pick(["FirstLogonCommands"]),
    ("sourceVault", "id"): lambda draw, scen, schema: scen.network.vault_id(),
    ("osProfile", "secrets"): _reference,
    ("properties", "networkSecurityGroup"): _reference,
    ("vaultCertificates", "[]", "certificateUrl"): _certificate_url,
    ("vaultCertificates", "[]", "certificateStore"): lambda draw, scen, schema: "My" if scen.os_type == "Windows" else OMIT,
    ("storageProfile", "imageReference"): _image_reference,
    ("osDisk", "createOption"): _enum_pick(["FromImage"]),
    ("osDisk", "osType"): lambda draw, scen, schema: scen.os_type,
    ("osDisk", "caching"): _enum_pick(["ReadWrite", "ReadOnly"]),
    ("osDisk", "name"): _const(OMIT),
    ("osDisk", "image"): _const(OMIT),
    ("osDisk", "vhdContainers"): _const(OMIT),
    ("osDisk", "diskSizeGB"): _from(ints(128, 1024)),
    ("managedDisk", "storageAccountType"): _storage_type,
    ("dataDisks", "[]", "createOption"): _enum_pick(["Empty"]),
    ("dataDisks", "[]", "diskSizeGB"): _from(ints(4, 1023)),
    ("dataDisks", "[]", "caching"): _enum_pick(["None", "ReadOnly", "ReadWrite"]),
    ("dataDisks", "[]", "name"): _const(OMIT),
    ("dataDisks", "[]", "vhd"): _const(OMIT),
    ("dataDisks", "[]", "image"): _const(OMIT),
    ("subnet", "id"): _subnet_id,
    ("networkSecurityGroup", "id"): lambda draw, scen, schema: scen.network.nsg_id(),
    ("loadBalancerBackendAddressPools",): _pool_list(NetworkContext.lb_backend_pool_id),
    ("loadBalancerInboundNatPools",): _pool_list(NetworkContext.lb_nat_pool_id),
    ("applicationGatewayBackendAddressPools",): _pool_list(NetworkContext.app_gateway_pool_id),
    ("dnsSettings", "dnsServers"): lambda draw, scen, schema: [draw(ipv4_addresses()) for _ in range(draw(ints(0, 2)))],
    ("idleTimeoutInMinutes",): _from(ints(4, 30)),
    ("enableAcceleratedNetworking",): _const(False),
    ("privateIPAddressVersion",): _enum_pick(["IPv4"]),
    ("extensionProfile", "extensions"): _extensions,
    ("properties", "source"): _script_source,
    ("outputBlobUri",): _blob,
    ("errorBlobUri",): _blob,
    ("outputBlobManagedIdentity",): _identity,
    ("errorBlobManagedIdentity",): _identity,
    ("parameters", "[]", "name"): _from(_PARAM_NAMES),
    ("parameters", "[]", "value"): _from(_PARAM_VALUES),
    ("protectedParameters", "[]", "name"): _from(_PARAM_NAMES),
    ("protectedParameters", "[]", "value"): _from(_PARAM_VALUES),
    ("properties", "runAsUser"): lambda draw, scen, schema: scen.admin_username,
    ("properties", "runAsPassword"): _password,
    ("properties", "timeoutInSeconds"): _from(ints(60, 3600)),
    ("$", "instanceIds"): _instance_ids,
    ("properties", "forceUpdateTag"): _from(resource_names(3, 12)),
}
_OVERLAY_DEPTHS = sorted({len(k) for k in OVERLAYS}, reverse=True)


def overlay_for(path: Path) -> Overlay | None:
    """The overlay for the longest known ending of `path`, if any."""
    for depth in _OVERLAY_DEPTHS:
        if len(path) >= depth:
            found = OVERLAYS.get(path[-depth:])
            if found is not None:
                return found
    return None
