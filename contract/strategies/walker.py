"""The schema walk: fill a request schema with a realistic document, one draw at a time.

Which members an object gets is decided here (required ones, what a real create needs,
what makes no sense without its parent, and optional names we can fill well); what goes
in a member comes from an overlay, or from the schema itself when no overlay knows it.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from contract.strategies.bits import BOOL, Bits, ints, pick
from contract.strategies.overlays import DEFER, OMIT, Path, overlay_for
from contract.strategies.scenario import Scenario
from contract.strategies.schema import SchemaView, leaf_strategy, schema_type
from contract.strategies.values import WORD, fit, resource_names

# Optional properties we know how to fill realistically. Anything else optional is left
# out: a random `proximityPlacementGroup` id or `priority: Spot` without its billing
# profile satisfies the schema but real Azure would refuse it.
OPTIONAL_NAMES: frozenset[str] = frozenset({
    "tags", "zones", "tier", "capacity", "properties", "overprovision", "singlePlacementGroup",
    "upgradePolicy", "mode", "virtualMachineProfile", "osProfile", "storageProfile",
    "networkProfile", "extensionProfile", "linuxConfiguration", "windowsConfiguration",
    "secrets", "customData", "disablePasswordAuthentication", "ssh", "publicKeys", "path",
    "keyData", "provisionVMAgent", "enableAutomaticUpdates", "winRM", "listeners",
    "additionalUnattendContent", "certificateStore", "imageReference", "publisher", "offer",
    "sku", "version", "osDisk", "caching", "createOption", "managedDisk", "storageAccountType",
    "osType", "dataDisks", "diskSizeGB", "networkInterfaceConfigurations", "primary",
    "enableAcceleratedNetworking", "networkSecurityGroup", "dnsSettings", "dnsServers",
    "ipConfigurations", "subnet", "publicIPAddressConfiguration", "idleTimeoutInMinutes",
    "privateIPAddressVersion", "loadBalancerBackendAddressPools", "loadBalancerInboundNatPools",
    "applicationGatewayBackendAddressPools", "extensions", "source", "script", "scriptUri",
    "commandId", "parameters", "protectedParameters", "asyncExecution", "runAsUser",
    "runAsPassword", "timeoutInSeconds", "outputBlobUri", "errorBlobUri",
    "treatFailureAsDeploymentFailure", "instanceIds", "forceUpdateTag",
})

# What a create (PUT) must hold for real Azure to accept it, whatever the schema marks
# required: a size and count, an OS profile, an image, a NIC in a subnet, a script source.
CREATE_ALWAYS: frozenset[Path] = frozenset({
    ("$", "sku"), ("sku", "name"), ("sku", "capacity"), ("$", "properties"),
    ("properties", "upgradePolicy"), ("upgradePolicy", "mode"), ("properties", "virtualMachineProfile"),
    ("virtualMachineProfile", "osProfile"), ("osProfile", "computerNamePrefix"),
    ("osProfile", "adminUsername"), ("osProfile", "adminPassword"),
    ("virtualMachineProfile", "storageProfile"), ("storageProfile", "imageReference"), ("storageProfile", "osDisk"),
    ("virtualMachineProfile", "networkProfile"), ("networkProfile", "networkInterfaceConfigurations"),
    ("[]", "properties"), ("properties", "ipConfigurations"), ("properties", "subnet"), ("subnet", "id"),
    ("properties", "primary"), ("properties", "source"), ("$", "instanceIds"),
})

# Members that make no sense without each other: an `ssh` block needs its keys, a
# reference object its `id`. Filled whenever their parent is sent.
WITH_PARENT: frozenset[Path] = frozenset({
    ("ssh", "publicKeys"), ("networkSecurityGroup", "id"), ("sourceVault", "id"), ("subnet", "id"),
    ("dnsSettings", "dnsServers"), ("vaultCertificates", "[]", "certificateUrl"), ("secrets", "[]", "vaultCertificates"),
    ("secrets", "[]", "sourceVault"), ("publicKeys", "[]", "path"), ("publicKeys", "[]", "keyData"), ("winRM", "listeners"), ("listeners", "[]", "protocol"),
    ("additionalUnattendContent", "[]", "passName"), ("additionalUnattendContent", "[]", "componentName"),
    ("additionalUnattendContent", "[]", "pass"), ("additionalUnattendContent", "[]", "component"),
    ("additionalUnattendContent", "[]", "settingName"), ("additionalUnattendContent", "[]", "content"),
    ("managedDisk", "storageAccountType"), ("upgradePolicy", "mode"), ("source", "scriptUri"),
    # PATCH replaces arrays whole: a NIC sent without its IP configurations (or one without
    # its subnet) would be a NIC Azure refuses, though the update schema allows it.
    ("networkInterfaceConfigurations", "[]", "properties"), ("properties", "ipConfigurations"),
    ("ipConfigurations", "[]", "properties"), ("properties", "subnet"), ("osDisk", "createOption"),
})

_EXTRA_KEYS = st.lists(WORD, max_size=2, unique=True)

Member = tuple[str, Any, Path]  # name, its schema, its path


@lru_cache(maxsize=None)
def _short_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    return WORD.map(lambda w: fit(w, lo, hi, "a"))


class Walker:
    """Fills a request schema with a realistic document, one draw at a time."""

    def __init__(self, root: dict[str, Any], optional_rate: int = 50, create: bool = True) -> None:
        self.view = SchemaView(root)
        self.optional_rate = optional_rate  # percent chance an allowed optional is sent
        self.create = create  # fill CREATE_ALWAYS whatever the schema marks required
        # (id(schema), path) -> member plan
        self._plans: dict[tuple[int, Path], tuple[list[Member], list[Member]]] = {}

    def fill(self, draw: st.DrawFn, schema: dict[str, Any], path: Path, scen: Scenario) -> Any:
        overlay = overlay_for(path)
        if overlay is not None:
            value = overlay(draw, scen, schema)
            if value is not DEFER:
                return value
        schema = self.view.resolve(schema)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if "enum" in schema:
            return draw(pick(tuple(v for v in schema["enum"] if v is not None)))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = self.view.branches(schema, key)
                return self.fill(draw, branches[draw(ints(0, len(branches) - 1))], path, scen)
        kind = schema_type(schema)
        if kind == "object":
            return self.fill_object(draw, schema, path, scen)
        if kind == "array":
            return self.fill_array(draw, schema, path, scen)
        if kind == "boolean":
            return draw(BOOL)
        if kind in ("integer", "number"):
            lo = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 0)
            hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 101) - 1 if "exclusiveMaximum" in schema else lo + 100)
            return draw(ints(int(lo), int(hi)))
        if kind == "string":
            if "pattern" in schema or "format" in schema:
                return draw(leaf_strategy(schema))
            lo, hi = schema.get("minLength", 1), schema.get("maxLength", 24)
            if hi < 2:
                return draw(_short_text(lo, hi))
            return draw(resource_names(max(lo, 2), min(hi, max(lo, 2) + 22)))
        return draw(_short_text(1, 12))

    def _plan(self, schema: dict[str, Any], path: Path) -> tuple[list[Member], list[Member]]:
        """Which members an object always gets and which it may get (computed once per place)."""
        key = (id(schema), path)
        plan = self._plans.get(key)
        if plan is None:
            props: dict[str, Any] = schema.get("properties") or {}
            required = set(schema.get("required") or ())
            always: list[Member] = []
            optional: list[Member] = []
            for name, sub in props.items():
                if isinstance(sub, dict) and sub.get("readOnly"):
                    continue
                here = path + (name,)
                if (name in required or (self.create and here[-2:] in CREATE_ALWAYS)
                        or here[-2:] in WITH_PARENT or here[-3:] in WITH_PARENT):
                    always.append((name, sub, here))
                elif name in OPTIONAL_NAMES:
                    optional.append((name, sub, here))
            plan = self._plans[key] = (always, optional)
        return plan

    def fill_object(self, draw: st.DrawFn, schema: dict[str, Any], path: Path, scen: Scenario) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        always, optional = self._plan(schema, path)
        chosen = list(always)
        if optional and self.optional_rate > 0:
            # One draw decides every optional member of this object (a draw per member
            # would dominate the cost); shrinking drives the mask to 0, i.e. leave them out.
            if self.optional_rate >= 100:
                mask = (1 << len(optional)) - 1
            else:
                # A body always says something: a top level with nothing required sends one member.
                low = 1 if path == ("$",) and not always else 0
                mask = draw(ints(low, (1 << len(optional)) - 1))
            chosen += [o for i, o in enumerate(optional) if mask >> i & 1]
        out: dict[str, Any] = {}
        order = {name: i for i, name in enumerate(props)}
        # Near the top each member reads its own bits: a member that shrinks away then
        # leaves its siblings' choices where they were, so shrinking stays local.
        own_bits = isinstance(draw, Bits) and len(path) <= 2
        for name, sub, here in sorted(chosen, key=lambda c: order[c[0]]):
            value = self.fill(Bits(draw.draw) if own_bits else draw, sub, here, scen)  # type: ignore[union-attr]
            if value is not OMIT:
                out[name] = value
        extra = schema.get("additionalProperties")
        if not props and isinstance(extra, dict) and extra:
            keys = draw(_EXTRA_KEYS)
            for key in keys:
                out[key] = self.fill(draw, extra, path + (key,), scen)
        return out

    def fill_array(self, draw: st.DrawFn, schema: dict[str, Any], path: Path, scen: Scenario) -> list[Any]:
        lo = schema.get("minItems", 0)
        hi = min(schema.get("maxItems", lo + 2), lo + 2)
        name = path[-1]
        if name == "networkInterfaceConfigurations":
            lo, hi = max(lo, 1), max(1, min(hi, scen.max_nics, 3))
        elif name == "secrets":  # one entry per key vault, and the payload knows one vault
            lo, hi = min(lo, 1), 1
        elif name in ("ipConfigurations", "publicKeys", "vaultCertificates"):
            lo, hi = max(lo, 1), max(1, min(hi, 2))
        items = schema.get("items") or {}
        out = []
        for _ in range(draw(ints(lo, max(lo, hi)))):
            value = self.fill(draw, items, path + ("[]",), scen)
            if value is not OMIT:
                out.append(value)
        _make_consistent(name, out)
        return out


def _make_consistent(name: str, items: list[Any]) -> None:
    """Sibling facts Azure insists on: unique names and luns, exactly one primary entry."""
    if name in ("networkInterfaceConfigurations", "ipConfigurations"):
        prefix = "nic" if name == "networkInterfaceConfigurations" else "ipconfig"
        for i, item in enumerate(items):
            if isinstance(item, dict):
                item["name"] = f"{prefix}{i}"
                props = item.setdefault("properties", {})
                if isinstance(props, dict):
                    props["primary"] = i == 0
                    pip = props.get("publicIPAddressConfiguration")
                    if isinstance(pip, dict):
                        pip["name"] = f"pip{i}"
    elif name == "dataDisks":
        for i, item in enumerate(items):
            if isinstance(item, dict):
                item["lun"] = i
    elif name in ("parameters", "protectedParameters", "extensions"):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if isinstance(item, dict) and "name" in item:
                if item["name"] in seen:
                    item["name"] = f"{item['name']}{i}"
                seen.add(item["name"])
