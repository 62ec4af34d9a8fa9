"""Each Compute rule of specs/rules.yaml broken once, on purpose: the request is refused with the code
the rule names (`Step.expect_code`), and nothing changes. The transition rules need a scale set to
change, so one is made first (and a second virtual network, for the subnet that would move it)."""
from __future__ import annotations

import copy
from typing import Any

from contract.journeys.bodies import scale_set_body
from contract.journeys.step import NETWORK_API, RESOURCES_API, Step, Target
from contract.rules import load_rules

# `references:` entries of specs/rules.yaml (stateful, so not compiled into `Rules`): code and status
_REFERENCES = {"platform-image-exists": ("PlatformImageNotFound", 404)}


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node = out
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return out


def _nic(name: str, subnet: str, primary: bool | None) -> dict[str, Any]:
    props: dict[str, Any] = {"ipConfigurations": [{"name": f"{name}-ip", "properties": {"subnet": {"id": subnet}}}]}
    if primary is not None:
        props["primary"] = primary
    return {"name": name, "properties": props}


def refusal_steps(target: Target, name: str = "vmss-contract-rules") -> list[Step]:
    t = target
    rules = load_rules().rules
    base = scale_set_body(t, name, capacity=1)
    base["properties"]["singlePlacementGroup"] = False
    base["zones"] = ["1"]
    base["properties"]["platformFaultDomainCount"] = 1
    other_vnet = f"{t.rg_path}/providers/Microsoft.Network/virtualNetworks/vmss-contract-vnet2"
    other_subnet = f"{other_vnet}/subnets/default"
    nics = "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations"

    def code(rule: str) -> str:
        return rules[rule].code if rule in rules else _REFERENCES[rule][0]

    def status(rule: str) -> int:
        return rules[rule].status if rule in rules else _REFERENCES[rule][1]

    def refused(rule: str, method: str, path: str, body: Any) -> Step:
        return Step(f"refused ({rule})", method, path, body, (status(rule),), "refused", expect_code=code(rule))

    patch = lambda rule, path, value: refused(rule, "PATCH", t.vmss(name), _set({}, path, value))  # noqa: E731
    new = lambda rule, body: refused(rule, "PUT", t.vmss(name + "-new"), body)  # noqa: E731
    run_command = t.vmss(name, "/virtualMachines/0/runCommands/rc")
    identity = {"clientId": "00000000-0000-0000-0000-00000000000a", "objectId": "00000000-0000-0000-0000-00000000000b"}
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        Step("a second virtual network", "PUT", f"{other_vnet}?api-version={NETWORK_API}", {
            "location": t.location, "properties": {"addressSpace": {"addressPrefixes": ["10.43.0.0/16"]},
                                                   "subnets": [{"name": "default", "properties": {"addressPrefix": "10.43.0.0/24"}}]}},
             (200, 201), "setup", True),
        Step("the scale set the rules guard", "PUT", t.vmss(name), base, (201,), "refusals", follow=True),
        # create-time-only properties
        patch("immutable-zones", "zones", ["2"]),
        patch("immutable-image-publisher", "properties.virtualMachineProfile.storageProfile.imageReference.publisher",
              "MicrosoftWindowsServer"),
        patch("immutable-image-offer", "properties.virtualMachineProfile.storageProfile.imageReference.offer",
              "0001-com-ubuntu-server-focal"),
        patch("immutable-os-disk-storage-account-type",
              "properties.virtualMachineProfile.storageProfile.osDisk.managedDisk.storageAccountType", "Premium_LRS"),
        patch("immutable-platform-fault-domain-count", "properties.platformFaultDomainCount", 2),
        patch("immutable-orchestration-mode", "properties.orchestrationMode", "Flexible"),
        patch("immutable-location", "location", "eastus"),
        patch("immutable-computer-name-prefix", "properties.virtualMachineProfile.osProfile.computerNamePrefix", "other"),
        patch("immutable-admin-username", "properties.virtualMachineProfile.osProfile.adminUsername", "someoneelse"),
        # one-way and same-network transitions
        Step("singlePlacementGroup stays false", "GET", t.vmss(name), group="refusals"),
        patch("single-placement-group-one-way", "properties.singlePlacementGroup", True),
        refused("subnet-same-virtual-network", "PUT", t.vmss(name),
                _set(base, nics, [_nic(f"{name}-nic", other_subnet, True)])),
        # the network profile of a request
        new("nic-exactly-one-primary", _set(base, nics, [_nic("a", t.subnet_id, False), _nic("b", t.subnet_id, False)])),
        new("nic-at-most-8", _set(base, nics, [_nic(f"n{i}", t.subnet_id, i == 0) for i in range(9)])),
        new("nic-one-virtual-network", _set(base, nics, [_nic("a", t.subnet_id, True), _nic("b", other_subnet, False)])),
        new("capacity-single-placement-group", _set(_set(base, "sku.capacity", 101), "properties.singlePlacementGroup", True)),
        new("rolling-needs-health", _set(base, "properties.upgradePolicy", {"mode": "Rolling"})),
        new("computer-name-prefix-length", _set(base, "properties.virtualMachineProfile.osProfile.computerNamePrefix",
                                                "p" * 65)),  # a Linux set: 64 at most
        new("platform-image-exists", _set(base, "properties.virtualMachineProfile.storageProfile.imageReference.sku",
                                          "no-such-sku")),
        # api-version gates
        refused("disk-profile-change-api-version", "PATCH", t.vmss(name, api="2017-03-30"), _set(
            {}, "properties.virtualMachineProfile.storageProfile.osDisk", {"caching": "ReadOnly"})),
        refused("public-ip-per-vm-api-version", "PUT", t.vmss(name + "-new", api="2016-04-30-preview"), _set(
            base, nics, [{"name": "a", "properties": {"primary": True, "ipConfigurations": [{"name": "a-ip", "properties": {
                "subnet": {"id": t.subnet_id}, "publicIPAddressConfiguration": {"name": "pip", "properties": {}}}}]}}])),
        # run commands
        refused("run-command-identity-xor", "PUT", run_command, {"location": t.location, "properties": {
            "source": {"script": "echo hi"}, "outputBlobUri": "https://example.blob.core.windows.net/out/o.txt",
            "outputBlobManagedIdentity": identity}}),
        refused("run-command-one-script-source", "PUT", run_command, {"location": t.location, "properties": {
            "source": {"script": "echo hi", "commandId": "RunShellScript"}}}),
        Step("nothing changed", "GET", t.vmss(name), group="refusals"),
        Step("not found: the refused create made nothing", "GET", t.vmss(name + "-new"), expect=(404,), group="not-found",
             expect_code="ResourceNotFound"),
        Step("delete", "DELETE", t.vmss(name), expect=(202,), group="refusals", follow=True),
        Step("the second virtual network goes", "DELETE", f"{other_vnet}?api-version={NETWORK_API}", expect=(200, 202, 204),
             group="setup", follow=True),
    ]
