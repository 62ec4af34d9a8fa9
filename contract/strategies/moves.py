"""Domain moves: edits people make that a rule of `specs/rules.yaml` may forbid.

Nothing here says what a rule's limit or field list is: a move the rules file does not
forbid is simply discarded by the caller, and a limit (like the NIC count) is found by
asking the rules.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from contract.rules import scale_set_os
from contract.strategies.network import other_vnet
from contract.strategies.paths import Keys, find_key, get, has, with_
from contract.strategies.values import IMAGES

Proposal = tuple[str, Callable[[], "tuple[Any, str | None] | None"]]  # description, () -> (payload, api-version)


def _nic_list(body: Any, nics_at: Keys, count: int) -> list[Any]:
    """The body's NIC list padded to `count` with secondary copies of the first NIC."""
    nics = copy.deepcopy(get(body, nics_at))
    while len(nics) < count:
        clone = copy.deepcopy(nics[0])
        clone["name"] = f"nic{len(nics)}"
        clone.setdefault("properties", {})["primary"] = False
        for j, ipc in enumerate(((clone.get("properties") or {}).get("ipConfigurations") or [])):
            ipc["name"] = f"ipconfig{len(nics)}x{j}"
            pip = (ipc.get("properties") or {}).get("publicIPAddressConfiguration")
            if isinstance(pip, dict):
                pip["name"] = f"pip{len(nics)}x{j}"
        nics.append(clone)
    return nics


def _move_subnet(doc: Any) -> bool:
    """Point the first subnet reference in `doc` into another virtual network; False if none."""
    sub = find_key(doc, "subnet")
    if sub is None:
        return False
    node = get(doc, sub)
    node["id"] = other_vnet(str(node.get("id", "")))
    return True


def _strip_read_only(node: Any) -> Any:
    """A GET model's NIC list as a client would send it back (no ids ARM adds)."""
    if isinstance(node, dict):
        return {k: _strip_read_only(v) for k, v in node.items() if k not in ("provisioningState",)}
    if isinstance(node, list):
        return [_strip_read_only(v) for v in node]
    return node


def rule_proposals(operation_id: str, body: Any, version: str | None, current: dict[str, Any] | None,
                   spec: Any, rules: Any) -> list[Proposal]:
    """Domain moves that might break a rule; `rules.check_request` decides which rule, if any."""
    props: list[Proposal] = []
    nics_at = find_key(body, "networkInterfaceConfigurations")
    if nics_at is not None and get(body, nics_at):
        def primaries(all_primary: bool) -> tuple[Any, str | None]:
            nics = _nic_list(body, nics_at, 2)
            for nic in nics:
                nic.setdefault("properties", {})["primary"] = all_primary
            return with_(body, nics_at, nics), version

        def too_many() -> tuple[Any, str | None] | None:
            for n in range(len(get(body, nics_at)) + 1, 33):
                candidate = with_(body, nics_at, _nic_list(body, nics_at, n))
                if rules.check_request(operation_id, candidate, version, current=current):
                    return candidate, version
            return None

        def two_vnets() -> tuple[Any, str | None] | None:
            nics = _nic_list(body, nics_at, 2)
            if not _move_subnet(nics[1]):
                return None
            return with_(body, nics_at, nics), version

        def two_primary_ipconfigs() -> tuple[Any, str | None] | None:
            nics = copy.deepcopy(get(body, nics_at))
            ipcs = (nics[0].get("properties") or {}).get("ipConfigurations")
            if not ipcs:
                return None
            while len(ipcs) < 2:
                clone = copy.deepcopy(ipcs[0])
                clone["name"] = f"ipconfig{len(ipcs)}"
                clone.get("properties", {}).pop("publicIPAddressConfiguration", None)
                ipcs.append(clone)
            for ipc in ipcs:
                ipc.setdefault("properties", {})["primary"] = True
            return with_(body, nics_at, nics), version

        props += [
            ("two NICs both primary", lambda: primaries(True)),
            ("two NICs, none primary", lambda: primaries(False)),
            ("more NICs than allowed", too_many),
            ("NICs in two virtual networks", two_vnets),
            ("two primary IP configurations in one NIC", two_primary_ipconfigs),
        ]

        def public_ip_on_old_version() -> tuple[Any, str | None] | None:
            ipc_at = find_key(body, "ipConfigurations")
            if ipc_at is None:
                return None
            out = copy.deepcopy(body)
            get(out, ipc_at)[0].setdefault("properties", {})["publicIPAddressConfiguration"] = {
                "name": "pip0", "properties": {"idleTimeoutInMinutes": 15}}
            older = [v for v in spec.operations[operation_id].api_versions if version and v < version]
            return (out, older[0]) if older else None

        props.append(("public IP per VM on the oldest api-version", public_ip_on_old_version))

    source_at = find_key(body, "source")
    if source_at is not None and isinstance(get(body, source_at), dict):
        src = get(body, source_at)

        def second_source() -> tuple[Any, str | None]:
            extra = {"script": "echo second"} if "script" not in src else {"commandId": "RunShellScript"}
            return with_(body, source_at, {**src, **extra}), version

        props.append(("two script sources", second_source))
        props.append(("no script source", lambda: (with_(body, source_at, {}), version)))
        both = {"clientId": "22d35efb-0c99-4041-8c5b-6d24db33a69a", "objectId": "4231e4d2-33e4-4e23-96b2-17888afa6072"}
        run_props = source_at[:-1]
        for name in ("outputBlobManagedIdentity", "errorBlobManagedIdentity"):
            props.append((f"{name} with clientId and objectId",
                          lambda n=name: (with_(body, run_props + (n,), dict(both)), version)))
        if "scriptUri" in src:
            props.append(("scriptUriManagedIdentity with clientId and objectId",
                          lambda: (with_(body, source_at + ("scriptUriManagedIdentity",), dict(both)), version)))

    if has(body, ("sku", "capacity")):
        props.append(("negative capacity", lambda: (with_(body, ("sku", "capacity"), -1), version)))
        props.append(("capacity over the single placement group limit",
                      lambda: (with_(with_(body, ("properties", "singlePlacementGroup"), True), ("sku", "capacity"), 101), version)))

    prefix_at = ("properties", "virtualMachineProfile", "osProfile", "computerNamePrefix")
    limit = rules.rules.get("computer-name-prefix-length")
    if limit is not None and current is None and has(body, prefix_at) and isinstance(get(body, prefix_at), str):
        def prefix_too_long() -> tuple[Any, str | None] | None:
            # one character over the limit of the body's own OS (Windows 15, Linux 64: rules.yaml)
            most = limit.params["max"].get(scale_set_os(get(body, prefix_at[:2])))
            if most is None:
                return None
            return with_(body, prefix_at, (get(body, prefix_at) + "p" * (most + 1))[:most + 1]), version

        props.append(("computerNamePrefix one character over its OS's limit", prefix_too_long))

    if current is not None:
        props += _transition_proposals(operation_id, body, version, current, spec)
    return props


def _transition_proposals(operation_id: str, body: Any, version: str | None, current: dict[str, Any],
                          spec: Any) -> list[Proposal]:
    """Changes people try on an existing scale set; the rules say which are refused."""
    patch = spec.operations[operation_id].method == "PATCH"
    vmp = ("properties", "virtualMachineProfile")
    image_at = vmp + ("storageProfile", "imageReference")
    disk_type_at = vmp + ("storageProfile", "osDisk", "managedDisk", "storageAccountType")
    fault_domains_at = ("properties", "platformFaultDomainCount")
    prefix_at = vmp + ("osProfile", "computerNamePrefix")
    ref = get(current, image_at) if has(current, image_at) else {}
    other = next((i for i in IMAGES if i.publisher != ref.get("publisher")), IMAGES[0])
    zones = current.get("zones") or []
    moves: list[tuple[str, Keys, Any]] = [
        ("zones changed", ("zones",), ["2"] if zones != ["2"] else ["3"]),
        ("image publisher changed", image_at + ("publisher",), other.publisher),
        ("image offer changed", image_at + ("offer",), str(ref.get("offer", "offer")) + "-other"),
        ("OS disk storage account type changed", disk_type_at,
         "Premium_LRS" if has(current, disk_type_at) and get(current, disk_type_at) != "Premium_LRS"
         else "StandardSSD_LRS"),
        ("singlePlacementGroup false -> true", ("properties", "singlePlacementGroup"), True),
        ("platformFaultDomainCount changed", fault_domains_at,
         int(get(current, fault_domains_at) if has(current, fault_domains_at) else 1) % 5 + 1),
        ("orchestrationMode changed", ("properties", "orchestrationMode"),
         "Flexible" if (current.get("properties") or {}).get("orchestrationMode") != "Flexible" else "Uniform"),
        ("computerNamePrefix changed", prefix_at,
         ("z" + str((get(current, prefix_at) if has(current, prefix_at) else "")))[:15]),
        ("adminUsername changed", vmp + ("osProfile", "adminUsername"), "otheradmin"),
        ("location changed", ("location",), "westus" if current.get("location") != "westus" else "eastus"),
    ]
    nics_at = vmp + ("networkProfile", "networkInterfaceConfigurations")
    out: list[Proposal] = []
    for description, keys, value in moves:
        if keys[:2] != ("properties", "singlePlacementGroup") and not has(current, keys):
            continue
        base = {} if patch else body
        out.append((description, lambda k=keys, v=value, b=base: (with_(b, k, v), version)))
    if has(current, nics_at):
        def subnet_elsewhere() -> tuple[Any, str | None] | None:
            nics = copy.deepcopy(get(current, nics_at))
            if not _move_subnet(nics):
                return None
            return with_({} if patch else body, nics_at, _strip_read_only(nics)), version

        out.append(("subnet moved to another virtual network", subnet_elsewhere))
    return out
