"""Realistic Azure values: regions, sizes, images, names, credentials, addresses, blob URIs.

The lists are facts about Azure, not about our contract: public regions, sizes and
marketplace images that exist, so a payload drawn from them would be accepted for real.
"""
from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from functools import lru_cache

from hypothesis import strategies as st

from contract.strategies.bits import Bits, cheap, ints, pick

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


@lru_cache(maxsize=None)
def locations(zonal: bool = False) -> st.SearchStrategy[str]:
    """Canonical region names ('westeurope'); `zonal` keeps regions with zones."""
    pool = tuple(x for x in LOCATIONS if x in ZONAL_LOCATIONS) if zonal else LOCATIONS
    return pick(pool)


@lru_cache(maxsize=None)
def vm_sizes(min_nics: int = 1) -> st.SearchStrategy[str]:
    """Sizes on sale that allow at least `min_nics` NICs."""
    return pick(tuple(sorted(s for s, n in VM_SIZES.items() if n >= min_nics)))


@lru_cache(maxsize=None)
def images(os_type: str | None = None) -> st.SearchStrategy[Image]:
    """Marketplace publisher/offer/sku triples that exist."""
    return pick(tuple(i for i in IMAGES if os_type in (None, i.os_type)))


# Names are built from words people use ("web-prod7"), not from random characters:
# they look like real resources and cost a handful of draws instead of one per character.
WORDS: tuple[str, ...] = (
    "web", "app", "api", "data", "front", "back", "batch", "worker", "cache", "edge", "core",
    "prod", "dev", "test", "stage", "blue", "green", "alpha", "beta", "gamma", "delta", "north",
    "south", "ops", "node", "pool", "svc", "jobs", "build", "ml", "etl", "game", "shop", "auth",
)
WORD = st.sampled_from(WORDS)
# One draw per name: a fixed pool of word-word-number names, shortest first (so a
# failure shrinks to 'web'). Each draw costs tens of microseconds; names are many.
NAME_POOL: tuple[str, ...] = tuple(sorted(
    {w for w in WORDS} | {f"{a}-{b}" for a in WORDS for b in WORDS if a != b}
    | {f"{a}{b}{n}" for i, a in enumerate(WORDS) for b in WORDS[i % 7::7] for n in (1, 2, 7, 42, 101)},
    key=lambda n: (len(n), n),
))


def fit(name: str, min_size: int, max_size: int, pad: str = "0") -> str:
    """`name` cut to `max_size` (no trailing '-'/'_') and padded to `min_size`."""
    name = name[:max_size].rstrip("-_")
    return name + pad * (min_size - len(name)) if len(name) < min_size else name


@lru_cache(maxsize=None)
def resource_names(min_size: int = 3, max_size: int = 24) -> st.SearchStrategy[str]:
    """Lower-case ARM names ('web-prod', 'data42'): start with a letter, no trailing hyphen."""
    return pick(tuple(dict.fromkeys(fit(n, min_size, max_size) for n in NAME_POOL)))


@lru_cache(maxsize=None)
def subscription_ids() -> st.SearchStrategy[str]:
    """Version-4 GUIDs (one draw; st.uuids() costs several)."""
    return cheap(st.binary(min_size=16, max_size=16).map(lambda b: str(uuid.UUID(bytes=b, version=4))), "uuid")


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
    return pick(tuple(n for n in pool if n not in ADMIN_USERNAMES_RESERVED))


@lru_cache(maxsize=None)
def admin_passwords() -> st.SearchStrategy[str]:
    """12-72 characters with a lower, an upper, a digit and a symbol (Azure wants 3 of 4)."""
    return st.composite(lambda draw: password(Bits(draw)))()


def password(draw: st.DrawFn) -> str:
    word, number, symbol = draw(resource_names(3, 24)), draw(ints(10, 99999)), draw(pick(tuple("!@#%^*-_=+")))
    return fit(word.capitalize() + str(number) + symbol + "Az", 12, 72, "x")


@lru_cache(maxsize=None)
def ipv4_addresses() -> st.SearchStrategy[str]:
    """DNS servers people configure: Azure's resolver, public resolvers, in-VNET addresses."""
    return pick(("168.63.129.16", "8.8.8.8", "1.1.1.1", "10.0.0.4", "10.0.0.5", "10.1.0.4", "192.168.1.10"))


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@lru_cache(maxsize=None)
def blob_uris(account: str) -> st.SearchStrategy[str]:
    """https://{account}.blob.core.windows.net/{container}/{blob}.txt"""
    return st.composite(lambda draw: blob_uri(Bits(draw), account))()


def blob_uri(draw: st.DrawFn, account: str) -> str:
    return f"https://{account}.blob.core.windows.net/{draw(resource_names(3, 20))}/{draw(resource_names(3, 20))}.txt"
