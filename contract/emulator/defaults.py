"""The members Azure fills in when it creates a scale set, and what a later PUT keeps.

Every default here is read off real answers: the shared recordings create scale sets
through `az vmss create` templates (tests/data/recordings, e.g. test_vmss_create_and_modify.yaml
interaction 10 sends the template, 15 shows what Azure made of it). The template leaves each of
these members out (or null) and Azure's GET carries it:

- `sku.tier` from the size name (`Standard_DS1_v2` -> `Standard`, `Basic_A1` -> `Basic`);
- OS disk: `osType` (Windows for a Windows image or windowsConfiguration, else Linux), `diskSizeGB`
  (127 Windows, 30 Linux: the marketplace images' sizes), `managedDisk.storageAccountType`
  (`Premium_LRS` for a premium-capable size such as DS1_v2, `Standard_LRS` for Basic_A1);
- osProfile: `allowExtensionOperations`, `requireGuestProvisionSignal`, `secrets: []`, and the
  windowsConfiguration / linuxConfiguration agent defaults (`disablePasswordAuthentication: false`
  when a password was given: test_vmss_extension.yaml);
- NIC configurations: `enableIPForwarding`, `disableTcpStateTracking`, `dnsSettings.dnsServers`,
  IP configurations' `privateIPAddressVersion: IPv4`;
- Uniform: `doNotRunExtensionsOnOverprovisionedVMs: false`, and the rolling upgrade policy's six
  defaults whenever a `rollingUpgradePolicy` is given (the CLI sends `{}`);
- Flexible (test_quick_create_flexible_vmss.yaml): `singlePlacementGroup: false`,
  `constrainedMaximumCapacity: false`, `deleteOption: Delete` on OS disk and NICs, Linux
  `patchSettings` ImageDefault, empty `applicationSecurityGroups` / `applicationGatewayBackendAddressPools`,
  and no `upgradePolicy` or `overprovision` unless the request gives them.
"""
from __future__ import annotations

import copy
import re

from contract.emulator.state import JSON, obj, objs
from contract.facts import load_facts
from contract.rules import scale_set_os

ROLLING_UPGRADE_DEFAULTS: JSON = {
    "maxBatchInstancePercent": 20,
    "maxUnhealthyInstancePercent": 20,
    "maxUnhealthyUpgradedInstancePercent": 20,
    "pauseTimeBetweenBatches": "PT0S",
    "maxSurge": False,
    "rollbackFailedInstancesOnPolicyBreach": False,
}
OS_DISK_SIZE_GB = {"Windows": 127, "Linux": 30}
# Premium storage sizes carry an "s" in their family: DS1_v2, GS2, D2s_v3, B1s, E2as_v4, F4s.
_PREMIUM_SIZE = re.compile(r"^(standard_)?([a-z]+s\d|[a-z]+\d+[a-z]*s)", re.IGNORECASE)


def sku_tier(size: str) -> str | None:
    prefix = size.split("_", 1)[0]
    return prefix if prefix in ("Standard", "Basic") else None


def storage_account_type(size: str) -> str:
    return "Premium_LRS" if _PREMIUM_SIZE.match(size) else "Standard_LRS"


def os_type(profile: JSON) -> str:
    """Windows or Linux, decided once for the emulator and the rules (computer-name-prefix-length)."""
    return scale_set_os(profile)


def fill_create_defaults(model: JSON, *, password_given: bool) -> None:
    """Fill, in place, what Azure adds to a new scale set's model (see the module docstring)."""
    props = obj(model.get("properties"))
    flexible = str(props.get("orchestrationMode", "Uniform")).lower() == "flexible"
    sku = obj(model.get("sku"))
    tier = sku_tier(str(sku.get("name", "")))
    if sku and tier and "tier" not in sku:
        sku["tier"] = tier
    # Uniform true, Flexible false: specs/rules.yaml facts.single-placement-group-default (the checker's too)
    props.setdefault("singlePlacementGroup", load_facts().single_placement_group(model))
    if flexible:
        props.setdefault("constrainedMaximumCapacity", False)
    else:
        props.setdefault("overprovision", True)
        props.setdefault("doNotRunExtensionsOnOverprovisionedVMs", False)
        props.setdefault("upgradePolicy", {"mode": "Manual"})
    policy = props.get("upgradePolicy")
    if isinstance(policy, dict) and (isinstance(policy.get("rollingUpgradePolicy"), dict)
                                     or str(policy.get("mode", "")).lower() == "rolling"):
        rolling = policy.setdefault("rollingUpgradePolicy", {})
        if isinstance(rolling, dict):
            for name, value in ROLLING_UPGRADE_DEFAULTS.items():
                rolling.setdefault(name, value)
    profile = props.get("virtualMachineProfile")
    if isinstance(profile, dict):
        _profile_defaults(profile, str(sku.get("name", "")), flexible=flexible, password_given=password_given)


def _profile_defaults(profile: JSON, size: str, *, flexible: bool, password_given: bool) -> None:
    kind = os_type(profile)
    os_profile = profile.get("osProfile")
    if isinstance(os_profile, dict):
        if kind == "Windows":
            windows = os_profile.setdefault("windowsConfiguration", {})
            if isinstance(windows, dict):
                windows.setdefault("provisionVMAgent", True)
                windows.setdefault("enableAutomaticUpdates", True)
                windows.setdefault("enableVMAgentPlatformUpdates", False)
        else:
            linux = os_profile.setdefault("linuxConfiguration", {})
            if isinstance(linux, dict):
                if password_given:
                    linux.setdefault("disablePasswordAuthentication", False)
                linux.setdefault("provisionVMAgent", True)
                if flexible:
                    linux.setdefault("patchSettings", {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"})
                linux.setdefault("enableVMAgentPlatformUpdates", False)
        os_profile.setdefault("secrets", [])
        os_profile.setdefault("allowExtensionOperations", True)
        os_profile.setdefault("requireGuestProvisionSignal", True)
    storage = profile.get("storageProfile")
    disk = storage.get("osDisk") if isinstance(storage, dict) else None
    if isinstance(disk, dict):
        disk.setdefault("osType", kind)
        if not disk.get("vhdContainers") and not obj(disk.get("image")).get("uri"):
            managed = disk.setdefault("managedDisk", {})
            if isinstance(managed, dict):
                managed.setdefault("storageAccountType", storage_account_type(size))
        if flexible:
            disk.setdefault("deleteOption", "Delete")
        disk.setdefault("diskSizeGB", OS_DISK_SIZE_GB.get(kind, 30))
    for nic in objs(obj(profile.get("networkProfile")).get("networkInterfaceConfigurations")):
        nic_props = nic.get("properties")
        if not isinstance(nic_props, dict):
            continue
        nic_props.setdefault("disableTcpStateTracking", False)
        nic_props.setdefault("dnsSettings", {"dnsServers": []})
        nic_props.setdefault("enableIPForwarding", False)
        if flexible:
            nic_props.setdefault("deleteOption", "Delete")
        for ipc in objs(nic_props.get("ipConfigurations")):
            ipc_props = ipc.get("properties")
            if isinstance(ipc_props, dict):
                ipc_props.setdefault("privateIPAddressVersion", "IPv4")
                if flexible:
                    ipc_props.setdefault("applicationSecurityGroups", [])
                    ipc_props.setdefault("applicationGatewayBackendAddressPools", [])


def keep_on_put(existing: JSON, body: JSON) -> JSON:
    """A PUT on an existing scale set keeps what it leaves out, as Azure does.

    Real traffic: `az vmss scale` on test_vmss_create_and_modify.yaml (interaction 38) PUTs only
    `location` and `sku`, and Azure's answer keeps the whole profile; the CLI's generic update PUT
    (test_vmss_extension.yaml 13, 20...) leaves out `storageProfile.imageReference`, and Azure keeps it.
    Objects merge member by member; arrays and scalars the PUT gives replace the stored ones, and so do
    free-form maps (tags, extension settings, identities), which a PUT states whole.
    """
    out = copy.deepcopy(existing)
    for name, value in body.items():
        old = out.get(name)
        merge = isinstance(value, dict) and isinstance(old, dict) and name not in _WHOLE
        out[name] = keep_on_put(old, value) if merge else copy.deepcopy(value)
    return out


_WHOLE = frozenset({"tags", "settings", "protectedSettings", "identity", "userAssignedIdentities"})
