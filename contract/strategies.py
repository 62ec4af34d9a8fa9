"""Hypothesis strategies for VMSS request bodies: valid ones and ones that break one rule.

Valid payloads are built by walking the spec's request schema (`Spec.request_schema`)
and filling every leaf either with a realistic value (a region Azure has, a VM size it
sells, an image that exists, ARM ids that point into one virtual network ...) or, where
we know nothing better, with what hypothesis-jsonschema draws for that leaf. Invalid
payloads start from a valid one and break exactly one documented constraint, either a
schema keyword (found by walking the schema) or a rule of `specs/rules.yaml` (read via
`contract.rules`), and carry the ARM error the service must answer with.

This is the only module that imports hypothesis-jsonschema (pinned with hypothesis,
see DEVELOPERS.md); everything else asks for strategies here.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import string
import struct
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "ADMIN_USERNAMES_RESERVED",
    "IMAGES",
    "LOCATIONS",
    "VM_SIZES",
    "Image",
    "InvalidPayload",
    "NetworkContext",
    "Scenario",
    "admin_passwords",
    "admin_usernames",
    "application_gateway_pool_ids",
    "computer_name_prefixes",
    "blob_uris",
    "images",
    "invalid_payloads",
    "ipv4_addresses",
    "json_path",
    "key_vault_ids",
    "load_balancer_pool_ids",
    "locations",
    "network_contexts",
    "parse_path",
    "resource_names",
    "scenario_from_model",
    "scenarios",
    "schema_error_answer",
    "spec_vm_sizes",
    "ssh_public_keys",
    "subnet_ids",
    "subscription_ids",
    "valid_payloads",
    "vm_sizes",
]

# --------------------------------------------------------------------------- realistic values
# Lists below are facts about Azure, not about our contract: public regions, sizes and
# marketplace images that exist, so a payload drawn from them would be accepted for real.

LOCATIONS: tuple[str, ...] = (
    "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus",
    "southcentralus", "westcentralus", "canadacentral", "canadaeast", "brazilsouth",
    "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "germanywestcentral",
    "swedencentral", "switzerlandnorth", "norwayeast", "polandcentral", "italynorth",
    "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "centralindia",
    "southindia", "australiaeast", "australiasoutheast", "southafricanorth", "uaenorth",
)
# Regions with availability zones 1-3 (a zonal scale set elsewhere is refused).
ZONAL_LOCATIONS: frozenset[str] = frozenset({
    "eastus", "eastus2", "westus2", "westus3", "centralus", "southcentralus", "canadacentral",
    "brazilsouth", "northeurope", "westeurope", "uksouth", "francecentral", "germanywestcentral",
    "swedencentral", "switzerlandnorth", "norwayeast", "polandcentral", "italynorth",
    "eastasia", "southeastasia", "japaneast", "koreacentral", "centralindia", "australiaeast",
    "southafricanorth", "uaenorth",
})

# size -> maximum NICs the size supports (Azure refuses more NICs than the size allows).
VM_SIZES: dict[str, int] = {
    "Standard_B1s": 2, "Standard_B1ms": 2, "Standard_B2s": 3, "Standard_B2ms": 3,
    "Standard_A1_v2": 2, "Standard_A2_v2": 2, "Standard_A4_v2": 4,
    "Standard_D2s_v3": 2, "Standard_D4s_v3": 2, "Standard_D8s_v3": 4,
    "Standard_D2s_v5": 2, "Standard_D4s_v5": 2, "Standard_D8s_v5": 4, "Standard_D16s_v5": 8,
    "Standard_D2as_v5": 2, "Standard_D4as_v5": 2, "Standard_DS1_v2": 2, "Standard_DS2_v2": 2,
    "Standard_DS3_v2": 4, "Standard_F2s_v2": 2, "Standard_F4s_v2": 2, "Standard_E2s_v3": 2,
    "Standard_E4s_v5": 2, "Standard_E16s_v5": 8,
}


@dataclass(frozen=True)
class Image:
    publisher: str
    offer: str
    sku: str
    os_type: str  # "Linux" | "Windows"


IMAGES: tuple[Image, ...] = (
    Image("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "Linux"),
    Image("Canonical", "0001-com-ubuntu-server-focal", "20_04-lts-gen2", "Linux"),
    Image("Canonical", "ubuntu-24_04-lts", "server", "Linux"),
    Image("Debian", "debian-12", "12-gen2", "Linux"),
    Image("RedHat", "RHEL", "9-lvm-gen2", "Linux"),
    Image("SUSE", "sles-15-sp5", "gen2", "Linux"),
    Image("OpenLogic", "CentOS", "7_9-gen2", "Linux"),
    Image("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition", "Windows"),
    Image("MicrosoftWindowsServer", "WindowsServer", "2019-Datacenter", "Windows"),
    Image("MicrosoftWindowsServer", "WindowsServer", "2016-Datacenter", "Windows"),
)

# Names Azure refuses as adminUsername (documented list for VMs and scale sets).
ADMIN_USERNAMES_RESERVED: frozenset[str] = frozenset({
    "administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1",
    "1", "123", "a", "actuser", "adm", "admin2", "aspnet", "backup", "console", "david",
    "guest", "john", "owner", "root", "server", "sql", "support", "support_388945a0", "sys",
    "test2", "test3", "user4", "user5",
})

# Strategies a `_Bits` can serve itself, by id: ("int", lo, hi) | ("pick", pool) | ("bool",) | ("uuid",).
_CHEAP: dict[int, tuple[Any, ...]] = {}


@lru_cache(maxsize=None)
def _ints(lo: int, hi: int) -> st.SearchStrategy[int]:
    strategy = st.integers(lo, hi)
    _CHEAP[id(strategy)] = ("int", lo, hi)
    return strategy


@lru_cache(maxsize=None)
def _pick(pool: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    strategy = st.sampled_from(pool)
    _CHEAP[id(strategy)] = ("pick", pool)
    return strategy


_BOOL = st.booleans()
_CHEAP[id(_BOOL)] = ("bool",)
_CHUNK = st.binary(min_size=48, max_size=48)  # a draw costs about the same whatever its size
_PAD = int.from_bytes(hashlib.shake_256(b"vmss-contract bits").digest(48), "big")


class _Bits:
    """A `draw` that serves a payload's many small choices from a few wide draws.

    Hypothesis pays tens of microseconds per draw and a create body makes ~60 small
    choices (which optional members, which enum value, which name); taking them as bits
    of a few 48-byte draws makes generation several times faster. A chunk shrinks to
    zero bytes, and zero bits mean "first choice, no optional member", so shrinking
    still ends at the smallest payload. Anything else is passed to the real `draw`.
    """

    def __init__(self, draw: st.DrawFn, mix: bool = False) -> None:
        self.draw = draw
        self.mix = mix  # hash each chunk: uniform picks, at the cost of shrinking locality
        self.pool = 0
        self.left = 0

    def take(self, bits: int) -> int:
        while self.left < bits:
            chunk = self.draw(_CHUNK)
            # Hypothesis favours "interesting" bytes (00, FF, repeats), which would pin
            # choices to a few values; a fixed XOR pad spreads them while each byte still
            # maps to its own bits (shrinking stays local). An all-zero chunk stays zero
            # so a shrunk chunk still means "first choice, nothing optional".
            value = int.from_bytes(chunk, "big")
            if value and self.mix:
                value = int.from_bytes(hashlib.shake_256(chunk).digest(len(chunk)), "big")
            elif value:
                value ^= _PAD
            self.pool |= value << self.left
            self.left += 8 * len(chunk)
        value = self.pool & ((1 << bits) - 1)
        self.pool >>= bits
        self.left -= bits
        return value

    def below(self, n: int) -> int:
        """0 <= value < n (8 spare bits keep the modulo bias under 0.4%)."""
        return 0 if n <= 1 else self.take((n - 1).bit_length() + 8) % n

    def __call__(self, strategy: st.SearchStrategy[Any], label: Any = None) -> Any:
        kind = _CHEAP.get(id(strategy))
        if kind is None:
            return self.draw(strategy)
        if kind[0] == "int":
            return kind[1] + self.below(kind[2] - kind[1] + 1)
        if kind[0] == "pick":
            return kind[1][self.below(len(kind[1]))]
        if kind[0] == "uuid":
            return str(uuid.UUID(int=self.take(128), version=4))
        if kind[0] == "hex":
            return format(self.take(4 * kind[1]), f"0{kind[1]}x")
        return bool(self.take(1))


_LOWER = string.ascii_lowercase
_ALNUM = string.ascii_lowercase + string.digits


@lru_cache(maxsize=None)
def locations(zonal: bool = False) -> st.SearchStrategy[str]:
    """Canonical region names ('westeurope'); `zonal` keeps regions with zones."""
    pool = tuple(x for x in LOCATIONS if x in ZONAL_LOCATIONS) if zonal else LOCATIONS
    return _pick(pool)


@lru_cache(maxsize=None)
def vm_sizes(min_nics: int = 1) -> st.SearchStrategy[str]:
    """Sizes on sale that allow at least `min_nics` NICs."""
    return _pick(tuple(sorted(s for s, n in VM_SIZES.items() if n >= min_nics)))


@lru_cache(maxsize=None)
def images(os_type: str | None = None) -> st.SearchStrategy[Image]:
    """Marketplace publisher/offer/sku triples that exist."""
    return _pick(tuple(i for i in IMAGES if os_type in (None, i.os_type)))


# Names are built from words people use ("web-prod7"), not from random characters:
# they look like real resources and cost a handful of draws instead of one per character.
WORDS: tuple[str, ...] = (
    "web", "app", "api", "data", "front", "back", "batch", "worker", "cache", "edge", "core",
    "prod", "dev", "test", "stage", "blue", "green", "alpha", "beta", "gamma", "delta", "north",
    "south", "ops", "node", "pool", "svc", "jobs", "build", "ml", "etl", "game", "shop", "auth",
)
_WORD = st.sampled_from(WORDS)
# One draw per name: a fixed pool of word-word-number names, shortest first (so a
# failure shrinks to 'web'). Each draw costs tens of microseconds; names are many.
_NAME_POOL: tuple[str, ...] = tuple(sorted(
    {w for w in WORDS} | {f"{a}-{b}" for a in WORDS for b in WORDS if a != b}
    | {f"{a}{b}{n}" for i, a in enumerate(WORDS) for b in WORDS[i % 7::7] for n in (1, 2, 7, 42, 101)},
    key=lambda n: (len(n), n),
))


def _fit(name: str, min_size: int, max_size: int, pad: str = "0") -> str:
    name = name[:max_size].rstrip("-_")
    return name + pad * (min_size - len(name)) if len(name) < min_size else name


@lru_cache(maxsize=None)
def resource_names(min_size: int = 3, max_size: int = 24) -> st.SearchStrategy[str]:
    """Lower-case ARM names ('web-prod', 'data42'): start with a letter, no trailing hyphen."""
    return _pick(tuple(dict.fromkeys(_fit(n, min_size, max_size) for n in _NAME_POOL)))


@lru_cache(maxsize=None)
def subscription_ids() -> st.SearchStrategy[str]:
    """Version-4 GUIDs (one draw; st.uuids() costs several)."""
    strategy = st.binary(min_size=16, max_size=16).map(lambda b: str(uuid.UUID(bytes=b, version=4)))
    _CHEAP[id(strategy)] = ("uuid",)
    return strategy


@dataclass(frozen=True)
class NetworkContext:
    """Where a scale set lives: one subscription, resource group and virtual network.

    Every id a payload holds is drawn from one context, so NICs share a virtual network,
    pools belong to a load balancer of the same group, and a vault is in the same subscription.
    """

    subscription: str
    resource_group: str
    vnet: str
    subnets: tuple[str, ...]
    load_balancer: str
    app_gateway: str
    vault: str

    def _rg(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers"

    def subnet_id(self, index: int = 0) -> str:
        name = self.subnets[index % len(self.subnets)]
        return f"{self._rg()}/Microsoft.Network/virtualNetworks/{self.vnet}/subnets/{name}"

    def lb_backend_pool_id(self, pool: str = "bepool") -> str:
        return f"{self._rg()}/Microsoft.Network/loadBalancers/{self.load_balancer}/backendAddressPools/{pool}"

    def lb_nat_pool_id(self, pool: str = "natpool") -> str:
        return f"{self._rg()}/Microsoft.Network/loadBalancers/{self.load_balancer}/inboundNatPools/{pool}"

    def app_gateway_pool_id(self, pool: str = "appgwpool") -> str:
        return f"{self._rg()}/Microsoft.Network/applicationGateways/{self.app_gateway}/backendAddressPools/{pool}"

    def nsg_id(self) -> str:
        return f"{self._rg()}/Microsoft.Network/networkSecurityGroups/{self.vnet}-nsg"

    def vault_id(self) -> str:
        return f"{self._rg()}/Microsoft.KeyVault/vaults/{self.vault}"

    def certificate_url(self, name: str, version: str) -> str:
        return f"https://{self.vault}.vault.azure.net/secrets/{name}/{version}"


@lru_cache(maxsize=None)
def network_contexts() -> st.SearchStrategy[NetworkContext]:
    return st.composite(lambda draw: _network_context(_Bits(draw)))()


def _network_context(draw: st.DrawFn) -> NetworkContext:
    app, env = draw(resource_names(3, 15)), draw(_pick(("prod", "dev", "test", "stage")))
    return NetworkContext(
        subscription=draw(subscription_ids()), resource_group=f"rg-{app}-{env}", vnet=f"vnet-{app}-{env}",
        subnets=("default", f"{app}-subnet", "backend")[:draw(_ints(1, 3))], load_balancer=f"lb-{app}",
        app_gateway=f"agw-{app}", vault=_fit(f"kv-{app}-{env}", 3, 24),
    )


def subnet_ids() -> st.SearchStrategy[str]:
    return st.builds(lambda c, i: c.subnet_id(i), network_contexts(), st.integers(0, 2))


def load_balancer_pool_ids(kind: str = "backend") -> st.SearchStrategy[str]:
    """`kind` is 'backend' (backendAddressPools) or 'nat' (inboundNatPools)."""
    if kind == "nat":
        return network_contexts().map(lambda c: c.lb_nat_pool_id())
    return network_contexts().map(lambda c: c.lb_backend_pool_id())


def application_gateway_pool_ids() -> st.SearchStrategy[str]:
    return network_contexts().map(lambda c: c.app_gateway_pool_id())


def key_vault_ids() -> st.SearchStrategy[str]:
    return network_contexts().map(lambda c: c.vault_id())


@lru_cache(maxsize=None)
def computer_name_prefixes(os_type: str = "Linux") -> st.SearchStrategy[str]:
    """1-15 characters (Windows: 1-9, leaving room for the 6-digit instance suffix);
    letters, digits and hyphens, starting with a letter, never ending with a hyphen."""
    top = 9 if os_type == "Windows" else 15
    return resource_names(1, top)


@lru_cache(maxsize=None)
def admin_usernames(os_type: str = "Linux") -> st.SearchStrategy[str]:
    """Names Azure accepts: lower-case start, [a-z0-9_-], 3-20 chars, not on the reserved list."""
    people = ("azureuser", "ops", "deploy", "cloudadmin", "svcacct", "maria", "kenji", "amara", "lucas", "priya")
    pool = [p + suffix for p in people for suffix in ("", "1", "_ops", "42", "_adm")]
    return _pick(tuple(n for n in pool if n not in ADMIN_USERNAMES_RESERVED))


@lru_cache(maxsize=None)
def admin_passwords() -> st.SearchStrategy[str]:
    """12-72 characters with a lower, an upper, a digit and a symbol (Azure wants 3 of 4)."""
    return st.composite(lambda draw: _password(_Bits(draw)))()


def _password(draw: st.DrawFn) -> str:
    word, number, symbol = draw(resource_names(3, 24)), draw(_ints(10, 99999)), draw(_pick(tuple("!@#%^*-_=+")))
    return _fit(word.capitalize() + str(number) + symbol + "Az", 12, 72, "x")


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _ssh_key(kind: str, material: bytes) -> str:
    if kind == "ssh-ed25519":
        blob = _ssh_string(b"ssh-ed25519") + _ssh_string(material[:32])
    else:  # RSA: e=65537, n with the top bit set (an mpint needs a leading zero byte)
        n = bytes([material[0] | 0x80]) + material[1:]
        blob = _ssh_string(b"ssh-rsa") + _ssh_string(b"\x01\x00\x01") + _ssh_string(b"\x00" + n)
    return f"{kind} {base64.b64encode(blob).decode()}"


@lru_cache(maxsize=None)
def ssh_public_keys() -> st.SearchStrategy[str]:
    """OpenSSH public keys with a well-formed wire blob: RSA 2048/3072/4096 or ed25519."""
    rsa = st.sampled_from([256, 384, 512]).flatmap(
        lambda n: st.binary(min_size=n, max_size=n).map(lambda b: _ssh_key("ssh-rsa", b))
    )
    ed = st.binary(min_size=32, max_size=32).map(lambda b: _ssh_key("ssh-ed25519", b))
    comment = st.one_of(st.just(""), resource_names(3, 12).map(lambda n: f" {n}@example"))
    return st.builds(lambda k, c: k + c, st.one_of(rsa, ed), comment)


def _ssh_key_from(draw: st.DrawFn) -> str:
    """An ssh public key whose key material is expanded from a 128-bit draw (one draw, not 512 bytes)."""
    kind, size = draw(_pick((("ssh-rsa", 256), ("ssh-rsa", 384), ("ssh-rsa", 512), ("ssh-ed25519", 32))))
    seed = draw(subscription_ids()).encode()
    comment = draw(_pick(("", " azureuser@laptop", " deploy@ci", " ops@bastion")))
    return _ssh_key(kind, hashlib.shake_256(seed).digest(size)) + comment


@lru_cache(maxsize=None)
def ipv4_addresses() -> st.SearchStrategy[str]:
    """DNS servers people configure: Azure's resolver, public resolvers, in-VNET addresses."""
    return _pick(("168.63.129.16", "8.8.8.8", "1.1.1.1", "10.0.0.4", "10.0.0.5", "10.1.0.4", "192.168.1.10"))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@lru_cache(maxsize=None)
def blob_uris(account: str) -> st.SearchStrategy[str]:
    """https://{account}.blob.core.windows.net/{container}/{blob}.txt"""
    return st.composite(lambda draw: _blob_uri(_Bits(draw), account))()


def _blob_uri(draw: st.DrawFn, account: str) -> str:
    return f"https://{account}.blob.core.windows.net/{draw(resource_names(3, 20))}/{draw(resource_names(3, 20))}.txt"


# --------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class Scenario:
    """The facts a whole payload must agree on, drawn before any field.

    A payload's location, image, OS family, size, admin user and network ids all come
    from here, so the Linux image never meets a windowsConfiguration and every NIC
    lands in the same virtual network.
    """

    location: str
    size: str
    image: Image
    admin_username: str
    network: NetworkContext
    zonal: bool
    storage_account: str
    version: str = "latest"
    instance_ids: tuple[str, ...] = ("0",)
    # Refer to resources besides the subnet (load balancer and app gateway pools, an NSG,
    # key vault secrets)? Real Azure refuses references to resources that do not exist.
    references: bool = True

    @property
    def os_type(self) -> str:
        return self.image.os_type

    @property
    def max_nics(self) -> int:
        return VM_SIZES.get(self.size, 2)

    @property
    def premium_storage(self) -> bool:
        family = self.size.split("_")[1] if "_" in self.size else self.size
        return "s" in family[1:].lower()


def spec_vm_sizes(spec: Any) -> tuple[str, ...]:
    """The sizes of VM_SIZES the contract also lists (its `vmSize` enum, when it has one).

    Answers carry the size back (a VM's hardwareProfile.vmSize); a size the contract's
    list lacks would make a correct answer look like a violation.
    """
    found: set[str] | None = None
    stack = [getattr(spec, "document", None)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            size = node.get("vmSize")
            if isinstance(size, dict) and isinstance(size.get("enum"), list):
                found = (found or set()) | set(size["enum"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    sizes = tuple(s for s in sorted(VM_SIZES) if found is None or s in found)
    return sizes or tuple(sorted(VM_SIZES))


_STORAGE_ACCOUNTS = _pick(tuple(dict.fromkeys("st" + n.replace("-", "") for n in _NAME_POOL if len(n) <= 22)))


def scenarios(sizes: tuple[str, ...] | None = None) -> st.SearchStrategy[Scenario]:
    """Region, size, image, admin and network a payload is built around."""
    return st.composite(lambda draw: _scenario(_Bits(draw), sizes))()


def _scenario(draw: st.DrawFn, sizes: tuple[str, ...] | None = None) -> Scenario:
    image = draw(images())
    location = draw(locations())
    return Scenario(
        location=location,
        size=draw(_pick(sizes)) if sizes else draw(vm_sizes()),
        image=image,
        admin_username=draw(admin_usernames(image.os_type)),
        network=_network_context(draw),
        zonal=location in ZONAL_LOCATIONS and draw(_BOOL),
        storage_account=draw(_STORAGE_ACCOUNTS),
    )


_ARM_ID = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network/"
    r"virtualNetworks/(?P<vnet>[^/]+)/subnets/(?P<subnet>[^/]+)",
    re.IGNORECASE,
)


def _walk_values(node: Any) -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield k, v
            yield from _walk_values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_values(v)


def scenario_from_model(model: dict[str, Any]) -> Scenario:
    """The scenario an existing scale set was created in, so updates stay consistent with it."""
    props = model.get("properties") or {}
    vmp = props.get("virtualMachineProfile") or {}
    ref = (vmp.get("storageProfile") or {}).get("imageReference") or {}
    os_profile = vmp.get("osProfile") or {}
    os_type = "Windows" if "windowsConfiguration" in os_profile else "Linux"
    known = [i for i in IMAGES if (i.publisher, i.offer, i.sku) == (ref.get("publisher"), ref.get("offer"), ref.get("sku"))]
    image = known[0] if known else Image(ref.get("publisher", ""), ref.get("offer", ""), ref.get("sku", ""), os_type)
    subs, sub, rg, vnet = [], "00000000-0000-0000-0000-000000000000", "rg", "vnet"
    for key, value in _walk_values(vmp.get("networkProfile") or {}):
        if key == "id" and isinstance(value, str):
            m = _ARM_ID.search(value)
            if m:
                sub, rg, vnet = m["sub"], m["rg"], m["vnet"]
                if m["subnet"] not in subs:
                    subs.append(m["subnet"])
    network = NetworkContext(sub, rg, vnet, tuple(subs) or ("default",), f"lb-{vnet}", f"agw-{vnet}", f"kv{vnet[:20]}")
    location = str(model.get("location", "eastus")).replace(" ", "").lower()
    return Scenario(
        location=location,
        size=str((model.get("sku") or {}).get("name", "Standard_D2s_v3")),
        image=image,
        admin_username=str(os_profile.get("adminUsername", "azureuser")),
        network=network,
        zonal=bool(model.get("zones")),
        storage_account="st" + rg.replace("-", "")[:20],
        version=str(ref.get("version", "latest")),
        instance_ids=tuple(str(i) for i in range(int((model.get("sku") or {}).get("capacity") or 0))) or ("0",),
    )


# --------------------------------------------------------------------------- schema walk
OMIT: Any = object()  # an overlay's answer: leave this optional property out
DEFER: Any = object()  # an overlay's answer: walk the schema here as usual

Path = tuple[str, ...]  # ("$", "properties", "sku", ...); array items are "[]"
Overlay = Callable[[st.DrawFn, Scenario, dict[str, Any]], Any]

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
        return draw(_pick(tuple(pool)))

    return overlay


def _only_on(os_type: str) -> Overlay:
    return lambda draw, scen, schema: DEFER if scen.os_type == os_type else OMIT


def _zones(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    if not scen.zonal:
        return OMIT
    return list(draw(_ZONE_LISTS))


_TAG_KEYS = ("env", "owner", "costcenter", "app", "team", "purpose")
_ZONE_LISTS = _pick((("1",), ("2",), ("3",), ("1", "2"), ("1", "3"), ("2", "3"), ("1", "2", "3")))
_HEX32 = st.binary(min_size=16, max_size=16).map(bytes.hex)
_CHEAP[id(_HEX32)] = ("hex", 32)
_PARAM_NAMES = _pick(tuple(dict.fromkeys(n.replace("-", "_") for n in _NAME_POOL)))
_PARAM_VALUES = _pick(tuple(_NAME_POOL[:400]) + tuple(str(n) for n in (0, 1, 7, 42, 100, 443, 8080, 65535)))


def _tags(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    keys = [k for k in _TAG_KEYS if draw(_ints(0, 3)) == 3]  # about one tag in four; zero bits = no tag
    return {k: draw(resource_names(1, 16)) for k in keys}


def _storage_type(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    good = ["Standard_LRS", "StandardSSD_LRS"] + (["Premium_LRS"] if scen.premium_storage else [])
    return _enum_pick(good)(draw, scen, schema)


def _image_reference(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    i = scen.image
    return {"publisher": i.publisher, "offer": i.offer, "sku": i.sku, "version": scen.version}


def _custom_data(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    pkg = draw(_pick(("nginx", "htop", "jq", "curl")))
    return _b64(f"#cloud-config\npackages:\n  - {pkg}\n")


def _certificate_url(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    name = draw(resource_names(3, 20))
    version = draw(_HEX32)
    return scen.network.certificate_url(name, version)


def _subnet_id(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    return scen.network.subnet_id(draw(_ints(0, len(scen.network.subnets) - 1)))


def _pool_list(make: Callable[[NetworkContext], str]) -> Overlay:
    return lambda draw, scen, schema: [{"id": make(scen.network)}] if scen.references else OMIT


def _reference(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    """A member that points at another resource: only when the scenario may refer to them."""
    return DEFER if scen.references else OMIT


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
    kind = draw(_pick(("system", "clientId", "objectId")))
    return {} if kind == "system" else {kind: draw(subscription_ids())}


def _script_source(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    """Exactly one of script / scriptUri / commandId, as the run-command docs require."""
    kind = draw(_pick(("script", "scriptUri", "commandId")))
    if kind == "script":
        return {"script": draw(_pick(("echo hello", "hostname", "uptime", "df -h", "ls /tmp")))}
    if kind == "commandId":
        return {"commandId": "RunPowerShellScript" if scen.os_type == "Windows" else "RunShellScript"}
    out: dict[str, Any] = {"scriptUri": _blob_uri(draw, scen.storage_account).replace(".txt", ".sh")}
    if draw(_BOOL):
        out["scriptUriManagedIdentity"] = _identity(draw, scen, schema)
    return out


def _instance_ids(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    ids = scen.instance_ids
    mask = 1 + draw(_ints(0, (1 << len(ids)) - 2)) if len(ids) < 20 else 1
    return [i for n, i in enumerate(ids) if mask >> n & 1]


def _param_name(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    return draw(_PARAM_NAMES)


def _param_value(draw: st.DrawFn, scen: Scenario, schema: dict[str, Any]) -> Any:
    return draw(_PARAM_VALUES)


# Keyed by the end of a property's path ("$" anchors at the top of the body).
OVERLAYS: dict[Path, Overlay] = {
    ("$", "location"): lambda draw, scen, schema: scen.location,
    ("$", "zones"): _zones,
    ("$", "tags"): _tags,
    ("$", "sku", "name"): lambda draw, scen, schema: scen.size,
    ("$", "sku", "tier"): _const("Standard"),
    ("$", "sku", "capacity"): _from(_ints(0, 4)),
    ("publicIPAddressConfiguration", "sku", "name"): _enum_pick(["Standard", "Basic"]),
    ("publicIPAddressConfiguration", "sku", "tier"): _enum_pick(["Regional"]),
    ("upgradePolicy", "mode"): _enum_pick(["Manual", "Automatic"]),
    ("osProfile", "computerNamePrefix"): lambda draw, scen, schema: draw(computer_name_prefixes(scen.os_type)),
    ("osProfile", "adminUsername"): lambda draw, scen, schema: scen.admin_username,
    ("osProfile", "adminPassword"): lambda draw, scen, schema: _password(draw),
    ("osProfile", "customData"): _custom_data,
    ("osProfile", "linuxConfiguration"): _only_on("Linux"),
    ("osProfile", "windowsConfiguration"): _only_on("Windows"),
    ("linuxConfiguration", "disablePasswordAuthentication"): _const(False),
    ("publicKeys", "[]", "path"): lambda draw, scen, schema: f"/home/{scen.admin_username}/.ssh/authorized_keys",
    ("publicKeys", "[]", "keyData"): lambda draw, scen, schema: _ssh_key_from(draw),
    ("listeners", "[]", "protocol"): _enum_pick(["Http"]),
    ("listeners", "[]", "certificateUrl"): _const(OMIT),
    ("additionalUnattendContent", "[]", "content"): _const("<FirstLogonCommands><SynchronousCommand><CommandLine>hostname</CommandLine><Order>1</Order></SynchronousCommand></FirstLogonCommands>"),
    ("additionalUnattendContent", "content"): _const("<FirstLogonCommands><SynchronousCommand><CommandLine>hostname</CommandLine><Order>1</Order></SynchronousCommand></FirstLogonCommands>"),
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
    ("osDisk", "diskSizeGB"): _from(_ints(128, 1024)),
    ("managedDisk", "storageAccountType"): _storage_type,
    ("dataDisks", "[]", "createOption"): _enum_pick(["Empty"]),
    ("dataDisks", "[]", "diskSizeGB"): _from(_ints(4, 1023)),
    ("dataDisks", "[]", "caching"): _enum_pick(["None", "ReadOnly", "ReadWrite"]),
    ("dataDisks", "[]", "name"): _const(OMIT),
    ("dataDisks", "[]", "vhd"): _const(OMIT),
    ("dataDisks", "[]", "image"): _const(OMIT),
    ("subnet", "id"): _subnet_id,
    ("networkSecurityGroup", "id"): lambda draw, scen, schema: scen.network.nsg_id(),
    ("loadBalancerBackendAddressPools",): _pool_list(NetworkContext.lb_backend_pool_id),
    ("loadBalancerInboundNatPools",): _pool_list(NetworkContext.lb_nat_pool_id),
    ("applicationGatewayBackendAddressPools",): _pool_list(NetworkContext.app_gateway_pool_id),
    ("dnsSettings", "dnsServers"): lambda draw, scen, schema: [draw(ipv4_addresses()) for _ in range(draw(_ints(0, 2)))],
    ("idleTimeoutInMinutes",): _from(_ints(4, 30)),
    ("enableAcceleratedNetworking",): _const(False),
    ("privateIPAddressVersion",): _enum_pick(["IPv4"]),
    ("extensionProfile", "extensions"): _extensions,
    ("properties", "source"): _script_source,
    ("outputBlobUri",): lambda draw, scen, schema: _blob_uri(draw, scen.storage_account),
    ("errorBlobUri",): lambda draw, scen, schema: _blob_uri(draw, scen.storage_account),
    ("outputBlobManagedIdentity",): _identity,
    ("errorBlobManagedIdentity",): _identity,
    ("parameters", "[]", "name"): _param_name,
    ("parameters", "[]", "value"): _param_value,
    ("protectedParameters", "[]", "name"): _param_name,
    ("protectedParameters", "[]", "value"): _param_value,
    ("properties", "runAsUser"): lambda draw, scen, schema: scen.admin_username,
    ("properties", "runAsPassword"): lambda draw, scen, schema: _password(draw),
    ("properties", "timeoutInSeconds"): _from(_ints(60, 3600)),
    ("$", "instanceIds"): _instance_ids,
    ("properties", "forceUpdateTag"): _from(resource_names(3, 12)),
}
_OVERLAY_DEPTHS = sorted({len(k) for k in OVERLAYS}, reverse=True)


def _overlay_for(path: Path) -> Overlay | None:
    for depth in _OVERLAY_DEPTHS:
        if len(path) >= depth:
            found = OVERLAYS.get(path[-depth:])
            if found is not None:
                return found
    return None


def _schema_type(schema: dict[str, Any]) -> str | None:
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None:
        if "properties" in schema or "required" in schema:
            return "object"
        if "items" in schema:
            return "array"
    return t


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = _merge_all_of(part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **value}
            elif key == "required":
                out["required"] = sorted({*out.get("required", []), *value})
            else:
                out.setdefault(key, value)
    return out


_EXTRA_KEYS = st.lists(_WORD, max_size=2, unique=True)


@lru_cache(maxsize=512)
def _leaf_strategy(key: str) -> st.SearchStrategy[Any]:
    """hypothesis-jsonschema for a leaf we have no realistic value for (patterns, formats)."""
    from hypothesis_jsonschema import from_schema

    return from_schema(json.loads(key))


@lru_cache(maxsize=None)
def _short_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    return _WORD.map(lambda w: _fit(w, lo, hi, "a"))


class _Walker:
    """Fills a request schema with a realistic document, one draw at a time."""

    def __init__(self, root: dict[str, Any], optional_rate: int = 50, create: bool = True) -> None:
        self.root = root
        self.optional_rate = optional_rate  # percent chance an allowed optional is sent
        self.create = create  # fill CREATE_ALWAYS whatever the schema marks required
        # id(schema) -> (schema kept alive, resolved) and (id(schema), path) -> member plan
        self._resolved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._plans: dict[tuple[int, Path], tuple[list[tuple[str, Any, Path]], list[tuple[str, Any, Path]]]] = {}
        self._merged: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`schema` with $ref followed and allOf merged (cached: the spec's schemas never change)."""
        key = id(schema)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = (schema, self._resolve(schema))
        return found[1]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            node: Any = self.root
            for part in ref.lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        if "allOf" in schema:
            schema = _merge_all_of(schema)
        return schema

    def fill(self, draw: st.DrawFn, schema: dict[str, Any], path: Path, scen: Scenario) -> Any:
        overlay = _overlay_for(path)
        if overlay is not None:
            value = overlay(draw, scen, schema)
            if value is not DEFER:
                return value
        schema = self.resolve(schema)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if "enum" in schema:
            return draw(_pick(tuple(v for v in schema["enum"] if v is not None)))
        for key in ("oneOf", "anyOf"):
            if key in schema:
                branches = self._branches(schema, key)
                return self.fill(draw, branches[draw(_ints(0, len(branches) - 1))], path, scen)
        kind = _schema_type(schema)
        if kind == "object":
            return self.fill_object(draw, schema, path, scen)
        if kind == "array":
            return self.fill_array(draw, schema, path, scen)
        if kind == "boolean":
            return draw(_BOOL)
        if kind in ("integer", "number"):
            lo = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 0)
            hi = schema.get("maximum", schema.get("exclusiveMaximum", lo + 101) - 1 if "exclusiveMaximum" in schema else lo + 100)
            return draw(_ints(int(lo), int(hi)))
        if kind == "string":
            if "pattern" in schema or "format" in schema:
                leaf = {k: schema[k] for k in ("type", "pattern", "format", "minLength", "maxLength") if k in schema}
                return draw(_leaf_strategy(json.dumps(leaf, sort_keys=True)))
            lo, hi = schema.get("minLength", 1), schema.get("maxLength", 24)
            if hi < 2:
                return draw(_short_text(lo, hi))
            return draw(resource_names(max(lo, 2), min(hi, max(lo, 2) + 22)))
        return draw(_short_text(1, 12))

    def _branches(self, schema: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """The non-null branches of a oneOf/anyOf, each merged with its siblings (built once)."""
        found = self._merged.get(id(schema))
        if found is None:
            base = {k: v for k, v in schema.items() if k != key}
            merged = [{**base, **self.resolve(b)} for b in schema[key] if self.resolve(b).get("type") != "null"]
            found = self._merged[id(schema)] = (schema, merged)
        return found[1]

    def _plan(self, schema: dict[str, Any], path: Path) -> tuple[list[tuple[str, Any, Path]], list[tuple[str, Any, Path]]]:
        """Which members an object always gets and which it may get (computed once per place)."""
        key = (id(schema), path)
        plan = self._plans.get(key)
        if plan is None:
            props: dict[str, Any] = schema.get("properties") or {}
            required = set(schema.get("required") or ())
            always: list[tuple[str, Any, Path]] = []
            optional: list[tuple[str, Any, Path]] = []
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
                mask = draw(_ints(low, (1 << len(optional)) - 1))
            chosen += [o for i, o in enumerate(optional) if mask >> i & 1]
        out: dict[str, Any] = {}
        order = {name: i for i, name in enumerate(props)}
        # Near the top each member reads its own bits: a member that shrinks away then
        # leaves its siblings' choices where they were, so shrinking stays local.
        own_bits = isinstance(draw, _Bits) and len(path) <= 2
        for name, sub, here in sorted(chosen, key=lambda c: order[c[0]]):
            value = self.fill(_Bits(draw.draw) if own_bits else draw, sub, here, scen)  # type: ignore[union-attr]
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
        for _ in range(draw(_ints(lo, max(lo, hi)))):
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


# --------------------------------------------------------------------------- JSON paths
Keys = tuple[str | int, ...]


def json_path(keys: Keys) -> str:
    """('properties', 'nics', 0) -> '$.properties.nics[0]' (the spec's SchemaError.path style)."""
    return "$" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def parse_path(path: str | None) -> Keys:
    """The inverse of `json_path`; also takes ARM targets without '$' ('properties.sku')."""
    if not path:
        return ()
    keys: list[str | int] = []
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.lstrip("$")):
        keys.append(int(part[1:-1]) if part.startswith("[") else part)
    return tuple(keys)


def _get(doc: Any, keys: Keys) -> Any:
    for k in keys:
        doc = doc[k]
    return doc


def _has(doc: Any, keys: Keys) -> bool:
    try:
        _get(doc, keys)
        return True
    except (KeyError, IndexError, TypeError):
        return False


def _set(doc: Any, keys: Keys, value: Any) -> None:
    """Set a value, creating the objects on the way."""
    for k in keys[:-1]:
        if isinstance(doc, dict):
            doc = doc.setdefault(k, {})
        else:
            doc = doc[k]
    doc[keys[-1]] = value


def _delete(doc: Any, keys: Keys) -> None:
    parent = _get(doc, keys[:-1])
    del parent[keys[-1]]


def _norm(path: str) -> str:
    return re.sub(r"\[(\d+)\]", r".\1", path.lstrip("$").lstrip(".")).lower()


# --------------------------------------------------------------------------- valid payloads
def _contract(spec: Any, rules: Any) -> tuple[Any, Any]:
    if spec is None:
        from contract.specs import load_spec

        spec = load_spec()
    if rules is None:
        from contract.rules import load_rules

        rules = load_rules()
    return spec, rules


def _latest_version(spec: Any, operation_id: str) -> str | None:
    versions = spec.operations[operation_id].api_versions
    return versions[-1] if versions else None


def _pin_to_current(body: dict[str, Any], current: dict[str, Any], violations: list[Any]) -> bool:
    """Undo what a transition rule refuses: put back (or drop) the value at each target.

    Driven by the rules' own verdicts, so this module never lists the immutable fields.
    Returns False when a violation has no target to repair.
    """
    for v in violations:
        keys = parse_path(v.target)
        if not keys or not _has(body, keys):
            return False
        if _has(current, keys):
            _set(body, keys, copy.deepcopy(_get(current, keys)))
        else:
            _delete(body, keys)
    return True


def _is_create(spec: Any, operation_id: str) -> bool:
    return spec.operations[operation_id].method == "PUT"


def valid_payloads(
    operation_id: str,
    api_version: str | None = None,
    *,
    current: dict[str, Any] | None = None,
    instance_ids: Iterable[str] | None = None,
    network: NetworkContext | None = None,
    references: bool = True,
    optional_rate: int = 50,
    spec: Any = None,
    rules: Any = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Request bodies for `operation_id` that the schema and every rule accept, with real-world values.

    `current` is the scale set's model as a GET returns it: updates are then drawn in its
    scenario (same region, image, network) and never touch what the rules fix after creation.
    `instance_ids` are the VMs that exist (for manualupgrade, reimage ...). Against real
    Azure pass the `network` that exists and `references=False` (no pools, NSG or vault
    the subscription lacks), so every payload points only at real resources.
    """
    spec, rules = _contract(spec, rules)
    if operation_id not in spec.operations:
        raise KeyError(f"unknown operation {operation_id!r}; known: {', '.join(sorted(spec.operations))}")
    version = api_version or _latest_version(spec, operation_id)
    schema = spec.request_schema(operation_id)
    walker = _Walker(schema, optional_rate=optional_rate, create=_is_create(spec, operation_id))
    ids = tuple(str(i) for i in instance_ids) if instance_ids is not None else None
    sizes = spec_vm_sizes(spec)

    def scenario(draw: st.DrawFn) -> Scenario:
        scen = scenario_from_model(current) if current is not None else _scenario(draw, sizes)
        if ids:
            scen = _replace(scen, instance_ids=ids)
        if network is not None and current is None:
            scen = _replace(scen, network=network)
        if not references:
            scen = _replace(scen, references=False)
        return scen

    @st.composite
    def build(real_draw: st.DrawFn) -> dict[str, Any] | None:
        draw = _Bits(real_draw)
        scen = scenario(draw)
        body = walker.fill(draw, schema, ("$",), scen)
        if current is not None:
            for _ in range(4):
                found = rules.check_request(operation_id, body, version, current=current)
                if not found or not _pin_to_current(body, current, found):
                    break
        if spec.validate_request(operation_id, body, version):
            return None
        if rules.check_request(operation_id, body, version, current=current):
            return None
        return body

    return build().filter(lambda b: b is not None)


def _replace(scen: Scenario, **changes: Any) -> Scenario:
    from dataclasses import replace

    return replace(scen, **changes)


# --------------------------------------------------------------------------- invalid payloads
@dataclass
class InvalidPayload:
    """A request body that breaks exactly one documented constraint, and what ARM must answer.

    `rule` is a rules.yaml id, or `schema:<keyword>` for a JSON Schema constraint; `path` is
    the JSON path of the broken field ('$.sku.capacity'); `code`/`status` the expected CloudError.
    `api_version` is set only when the break needs one (an api-version gate): send it with
    that version, or the body is valid. Aim it at a resource whose model is `current`
    (transition rules) or that does not exist yet (current is None).
    """

    payload: Any
    rule: str
    keyword: str | None
    path: str
    code: str
    status: int
    description: str
    api_version: str | None = None
    current: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def is_schema(self) -> bool:
        return self.rule.startswith("schema:")

    @property
    def reason(self) -> str:
        """One line for reports: which constraint, where, and why."""
        return f"{self.rule} at {self.path}: {self.description}"


def schema_error_answer(keyword: str, path: str) -> tuple[int, str]:
    """The ARM answer to a schema problem (ARM-FACTS): unknown or mistyped top-level
    content is InvalidRequestContent, any other bad property InvalidParameter."""
    if path in ("$", "") and keyword in ("additionalProperties", "type"):
        return 400, "InvalidRequestContent"
    return 400, "InvalidParameter"


_WRONG_TYPE: dict[str, Any] = {
    "string": 12345, "integer": "not-a-number", "number": "not-a-number",
    "boolean": "yes", "object": ["not", "an", "object"], "array": {"not": "an array"},
}

Mutation = tuple[str, Keys, str, Callable[[Any], Any]]  # keyword, error path, description, apply


def _schema_mutations(walker: _Walker, schema: dict[str, Any], value: Any, keys: Keys, out: list[Mutation]) -> None:
    """Every single-keyword way to break `value` where it sits in `schema`."""
    schema = walker.resolve(schema)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            # Mutate as the first branch would see it; the spec then says whether the
            # error lands on exactly that keyword (verification drops it otherwise).
            _schema_mutations(walker, walker._branches(schema, key)[0], value, keys, out)
            return
    kind = _schema_type(schema)
    if keys and kind in _WRONG_TYPE and not isinstance(schema.get("type"), list):
        bad = _WRONG_TYPE[kind]
        out.append(("type", keys, f"{json_path(keys)} sent as {type(bad).__name__} instead of {kind}",
                    lambda doc, k=keys, b=bad: _set(doc, k, copy.deepcopy(b))))
    if "enum" in schema and isinstance(value, str):
        bad_enum = "Not" + value + "Value"
        out.append(("enum", keys, f"{json_path(keys)}={bad_enum!r} is not one of {schema['enum']}",
                    lambda doc, k=keys, b=bad_enum: _set(doc, k, b)))
    if isinstance(value, str):
        if "maxLength" in schema:
            n = schema["maxLength"] + 1
            long = (value + "a" * n)[:n]
            out.append(("maxLength", keys, f"{json_path(keys)} of {n} characters (max {n - 1})",
                        lambda doc, k=keys, b=long: _set(doc, k, b)))
        if schema.get("minLength", 0) >= 1:
            out.append(("minLength", keys, f"{json_path(keys)} empty (min {schema['minLength']})",
                        lambda doc, k=keys: _set(doc, k, "")))
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema:
            low = int(schema["minimum"]) - 1
            out.append(("minimum", keys, f"{json_path(keys)}={low} below minimum {schema['minimum']}",
                        lambda doc, k=keys, b=low: _set(doc, k, b)))
        if "maximum" in schema:
            high = int(schema["maximum"]) + 1
            out.append(("maximum", keys, f"{json_path(keys)}={high} above maximum {schema['maximum']}",
                        lambda doc, k=keys, b=high: _set(doc, k, b)))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or ():
            if name in value:
                out.append(("required", keys, f"required {json_path(keys + (name,))} missing",
                            lambda doc, k=keys + (name,): _delete(doc, k)))
        if schema.get("additionalProperties") is False and props:
            out.append(("additionalProperties", keys, f"unknown member 'unexpectedProperty' in {json_path(keys)}",
                        lambda doc, k=keys: _set(doc, k + ("unexpectedProperty",), "x")))
        for name, sub in value.items():
            if name in props:
                _schema_mutations(walker, props[name], sub, keys + (name,), out)
    elif isinstance(value, list):
        if "maxItems" in schema and value:
            n = schema["maxItems"] + 1
            out.append(("maxItems", keys, f"{json_path(keys)} with {n} items (max {n - 1})",
                        lambda doc, k=keys, n=n: _set(doc, k, [copy.deepcopy(_get(doc, k)[0]) for _ in range(n)])))
        if schema.get("minItems", 0) >= 1:
            out.append(("minItems", keys, f"{json_path(keys)} empty (min {schema['minItems']})",
                        lambda doc, k=keys: _set(doc, k, [])))
        items = schema.get("items")
        if isinstance(items, dict):
            for i, sub in enumerate(value[:2]):
                _schema_mutations(walker, items, sub, keys + (i,), out)


def _find_key(doc: Any, name: str, keys: Keys = ()) -> Keys | None:
    """The path of the first member called `name` (depth first)."""
    if isinstance(doc, dict):
        if name in doc:
            return keys + (name,)
        for k, v in doc.items():
            found = _find_key(v, name, keys + (k,))
            if found is not None:
                return found
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found = _find_key(v, name, keys + (i,))
            if found is not None:
                return found
    return None


Proposal = tuple[str, Callable[[], "tuple[Any, str | None] | None"]]  # description, () -> (payload, api-version)


def _nic_list(body: Any, nics_at: Keys, count: int) -> list[Any]:
    nics = copy.deepcopy(_get(body, nics_at))
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


def _with(body: Any, keys: Keys, value: Any) -> Any:
    out = copy.deepcopy(body)
    _set(out, keys, value)
    return out


def _other_vnet(subnet_id: str) -> str:
    return re.sub(r"(virtualNetworks/)([^/]+)", lambda m: m[1] + m[2] + "-other", subnet_id, flags=re.IGNORECASE)


def _rule_proposals(operation_id: str, body: Any, version: str | None, current: dict[str, Any] | None,
                    spec: Any, rules: Any) -> list[Proposal]:
    """Domain moves that might break a rule; `rules.check_request` decides which rule, if any.

    Nothing here says what a rule's limit or field list is: a move that the rules file
    does not forbid is simply discarded, and a limit (like the NIC count) is found by
    asking the rules.
    """
    props: list[Proposal] = []
    nics_at = _find_key(body, "networkInterfaceConfigurations")
    if nics_at is not None and _get(body, nics_at):
        def primaries(all_primary: bool) -> tuple[Any, str | None]:
            nics = _nic_list(body, nics_at, 2)
            for i, nic in enumerate(nics):
                nic.setdefault("properties", {})["primary"] = all_primary or False
            return _with(body, nics_at, nics), version

        def too_many() -> tuple[Any, str | None] | None:
            for n in range(len(_get(body, nics_at)) + 1, 33):
                candidate = _with(body, nics_at, _nic_list(body, nics_at, n))
                if rules.check_request(operation_id, candidate, version, current=current):
                    return candidate, version
            return None

        def two_vnets() -> tuple[Any, str | None] | None:
            nics = _nic_list(body, nics_at, 2)
            sub = _find_key(nics[1], "subnet")
            if sub is None:
                return None
            node = _get(nics[1], sub)
            node["id"] = _other_vnet(str(node.get("id", "")))
            return _with(body, nics_at, nics), version

        def two_primary_ipconfigs() -> tuple[Any, str | None] | None:
            nics = copy.deepcopy(_get(body, nics_at))
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
            return _with(body, nics_at, nics), version

        props += [
            ("two NICs both primary", lambda: primaries(True)),
            ("two NICs, none primary", lambda: primaries(False)),
            ("more NICs than allowed", too_many),
            ("NICs in two virtual networks", two_vnets),
            ("two primary IP configurations in one NIC", two_primary_ipconfigs),
        ]

        def public_ip_on_old_version() -> tuple[Any, str | None] | None:
            ipc_at = _find_key(body, "ipConfigurations")
            if ipc_at is None:
                return None
            out = copy.deepcopy(body)
            _get(out, ipc_at)[0].setdefault("properties", {})["publicIPAddressConfiguration"] = {
                "name": "pip0", "properties": {"idleTimeoutInMinutes": 15}}
            older = [v for v in spec.operations[operation_id].api_versions if version and v < version]
            return (out, older[0]) if older else None

        props.append(("public IP per VM on the oldest api-version", public_ip_on_old_version))

    source_at = _find_key(body, "source")
    if source_at is not None and isinstance(_get(body, source_at), dict):
        src = _get(body, source_at)

        def second_source() -> tuple[Any, str | None]:
            extra = {"script": "echo second"} if "script" not in src else {"commandId": "RunShellScript"}
            return _with(body, source_at, {**src, **extra}), version

        props.append(("two script sources", second_source))
        props.append(("no script source", lambda: (_with(body, source_at, {}), version)))
        both = {"clientId": "22d35efb-0c99-4041-8c5b-6d24db33a69a", "objectId": "4231e4d2-33e4-4e23-96b2-17888afa6072"}
        run_props = source_at[:-1]
        for name in ("outputBlobManagedIdentity", "errorBlobManagedIdentity"):
            props.append((f"{name} with clientId and objectId",
                          lambda n=name: (_with(body, run_props + (n,), dict(both)), version)))
        if "scriptUri" in src:
            props.append(("scriptUriManagedIdentity with clientId and objectId",
                          lambda: (_with(body, source_at + ("scriptUriManagedIdentity",), dict(both)), version)))

    if _has(body, ("sku", "capacity")):
        props.append(("negative capacity", lambda: (_with(body, ("sku", "capacity"), -1), version)))
        props.append(("capacity over the single placement group limit",
                      lambda: (_with(_with(body, ("properties", "singlePlacementGroup"), True), ("sku", "capacity"), 101), version)))

    if current is not None:
        props += _transition_proposals(operation_id, body, version, current, spec)
    return props


def _transition_proposals(operation_id: str, body: Any, version: str | None, current: dict[str, Any],
                          spec: Any) -> list[Proposal]:
    """Changes people try on an existing scale set; the rules say which are refused."""
    patch = spec.operations[operation_id].method == "PATCH"
    vmp = ("properties", "virtualMachineProfile")
    image_at = vmp + ("storageProfile", "imageReference")
    ref = _get(current, image_at) if _has(current, image_at) else {}
    other = next((i for i in IMAGES if i.publisher != ref.get("publisher")), IMAGES[0])
    zones = current.get("zones") or []
    moves: list[tuple[str, Keys, Any]] = [
        ("zones changed", ("zones",), ["2"] if zones != ["2"] else ["3"]),
        ("image publisher changed", image_at + ("publisher",), other.publisher),
        ("image offer changed", image_at + ("offer",), str(ref.get("offer", "offer")) + "-other"),
        ("OS disk storage account type changed", vmp + ("storageProfile", "osDisk", "managedDisk", "storageAccountType"),
         "Premium_LRS" if _has(current, vmp + ("storageProfile", "osDisk", "managedDisk", "storageAccountType"))
         and _get(current, vmp + ("storageProfile", "osDisk", "managedDisk", "storageAccountType")) != "Premium_LRS"
         else "StandardSSD_LRS"),
        ("singlePlacementGroup false -> true", ("properties", "singlePlacementGroup"), True),
        ("platformFaultDomainCount changed", ("properties", "platformFaultDomainCount"),
         int(_get(current, ("properties", "platformFaultDomainCount")) if _has(current, ("properties", "platformFaultDomainCount")) else 1) % 5 + 1),
        ("orchestrationMode changed", ("properties", "orchestrationMode"),
         "Flexible" if (current.get("properties") or {}).get("orchestrationMode") != "Flexible" else "Uniform"),
        ("computerNamePrefix changed", vmp + ("osProfile", "computerNamePrefix"),
         ("z" + str((_get(current, vmp + ("osProfile", "computerNamePrefix")) if _has(current, vmp + ("osProfile", "computerNamePrefix")) else "")))[:15]),
        ("adminUsername changed", vmp + ("osProfile", "adminUsername"), "otheradmin"),
        ("location changed", ("location",), "westus" if current.get("location") != "westus" else "eastus"),
    ]
    nics_at = vmp + ("networkProfile", "networkInterfaceConfigurations")
    out: list[Proposal] = []
    for description, keys, value in moves:
        if keys[:2] != ("properties", "singlePlacementGroup") and not _has(current, keys):
            continue
        base = {} if patch else body
        out.append((description, lambda k=keys, v=value, b=base: (_with(b, k, v), version)))
    if _has(current, nics_at):
        def other_vnet() -> tuple[Any, str | None] | None:
            nics = copy.deepcopy(_get(current, nics_at))
            sub = _find_key(nics, "subnet")
            if sub is None:
                return None
            node = _get(nics, sub)
            node["id"] = _other_vnet(str(node.get("id", "")))
            nics = _strip_read_only(nics)
            return (_with({} if patch else body, nics_at, nics)), version

        out.append(("subnet moved to another virtual network", other_vnet))
    return out


def _strip_read_only(node: Any) -> Any:
    """A GET model's NIC list as a client would send it back (no ids ARM adds)."""
    if isinstance(node, dict):
        return {k: _strip_read_only(v) for k, v in node.items() if k not in ("provisioningState",)}
    if isinstance(node, list):
        return [_strip_read_only(v) for v in node]
    return node


def _classify_schema(operation_id: str, mutation: Mutation, base: Any, version: str | None,
                     current: dict[str, Any] | None, spec: Any, rules: Any) -> InvalidPayload | None:
    """Keep a schema mutation only if the spec reports exactly that keyword there, and no rule fires."""
    keyword, keys, description, apply = mutation
    payload = copy.deepcopy(base)
    apply(payload)
    errors = spec.validate_request(operation_id, payload, version)
    if not errors:
        return None
    here = _norm(json_path(keys))
    for e in errors:
        where = _norm(e.path)
        child = where.startswith(here + ".") if here else "." not in where
        if e.keyword != keyword or not (where == here or (child and keyword == "required")):
            return None
    try:
        if rules.check_request(operation_id, payload, version, current=current):
            return None
    except Exception:  # noqa: BLE001 - rules may not cope with a mistyped body; the schema refuses it first
        pass
    path = json_path(keys)
    status, code = schema_error_answer(keyword, path)
    return InvalidPayload(payload, f"schema:{keyword}", keyword, path, code, status, description, None, current)


def _classify_rule(operation_id: str, proposal: Proposal, version: str | None,
                   current: dict[str, Any] | None, spec: Any, rules: Any) -> InvalidPayload | None:
    """Keep a move only if the body is schema-valid and exactly one rule objects to it."""
    description, make = proposal
    made = make()
    if made is None:
        return None
    payload, av = made
    if spec.validate_request(operation_id, payload, av):
        return None
    found = rules.check_request(operation_id, payload, av, current=current)
    if not found or len({v.rule_id for v in found}) != 1:
        return None
    v = found[0]
    path = json_path(parse_path(v.target)) if v.target else "$"
    return InvalidPayload(payload, v.rule_id, None, path, v.code, v.status, f"{description}: {v.message}",
                          av if av != version else None, current)


def invalid_payloads(
    operation_id: str,
    api_version: str | None = None,
    *,
    current: dict[str, Any] | None = None,
    instance_ids: Iterable[str] | None = None,
    kinds: Iterable[str] = ("schema", "rule"),
    spec: Any = None,
    rules: Any = None,
) -> st.SearchStrategy[InvalidPayload]:
    """Bodies that break exactly one documented constraint, each naming it and ARM's answer.

    Starts from a `valid_payloads` draw and applies one mutation: a JSON Schema keyword
    (`kinds` includes "schema": missing required, wrong type, enum, lengths, bounds, unknown
    member) or a rules.yaml rule ("rule": primary NICs, NIC count, one virtual network,
    identity and script-source exclusivity, api-version gates, and with `current` the
    transition rules). Each candidate is kept only if the spec/rules report exactly it.
    """
    from hypothesis import reject

    spec, rules = _contract(spec, rules)
    version = api_version or _latest_version(spec, operation_id)
    schema = spec.request_schema(operation_id)
    walker = _Walker(schema)
    wanted = tuple(kinds)
    valid = valid_payloads(operation_id, version, current=current, instance_ids=instance_ids, spec=spec, rules=rules)

    @st.composite
    def build(draw: st.DrawFn) -> InvalidPayload:
        base = draw(valid)
        # Group candidates by what they break (a schema keyword, a domain move) and pick a
        # group uniformly, so rare constraints are tried as often as the many `type` sites.
        groups: dict[str, list[Callable[[], InvalidPayload | None]]] = {}
        if "schema" in wanted:
            sites: list[Mutation] = []
            _schema_mutations(walker, schema, base, (), sites)
            for m in sites:
                groups.setdefault(f"schema:{m[0]}", []).append(
                    lambda m=m: _classify_schema(operation_id, m, base, version, current, spec, rules))
        if "rule" in wanted:
            for p in _rule_proposals(operation_id, base, version, current, spec, rules):
                groups.setdefault(f"rule:{p[0]}", []).append(
                    lambda p=p: _classify_rule(operation_id, p, version, current, spec, rules))
        names = sorted(groups)
        # Picks come from wide byte draws: hypothesis' small-integer draws favour index 0
        # so heavily that the groups sorted first crowded out the rest.
        bits = _Bits(draw, mix=True)
        while names:
            # A group that yields nothing (a move no rule forbids) is dropped and another
            # drawn, rather than falling through to its neighbour, which would skew the mix.
            name = names[bits.below(len(names))]
            tries = groups[name]
            start = bits.below(len(tries))
            for i in range(len(tries)):
                found = tries[(start + i) % len(tries)]()
                if found is not None:
                    return found
            names.remove(name)
        reject()

    return build()
