"""Where an interaction sits: inside the VMSS contract, or outside it.

ARM paths are case-insensitive and real recordings mix `resourcegroups` and
`resourceGroups`, so every key here is case-folded. The host is ignored: a
cassette recorded against the emulator on 127.0.0.1 is checked like Azure's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

# The namespace the contract speaks for: scale sets (and their children) and the
# Compute operation-status resource their long-running operations are polled on.
_NAMESPACE = re.compile(
    r"/providers/microsoft\.compute/(virtualmachinescalesets(/|$)|locations/[^/]+/operations(/|$))", re.I
)
_RESOURCE = re.compile(
    r"^(?P<rg>/subscriptions/[^/]+/resourcegroups/[^/]+)"
    r"/providers/microsoft\.compute/virtualmachinescalesets/(?P<vmss>[^/]+)"
    r"(?:/virtualmachines/(?P<vm>[^/]+)(?:/runcommands/(?P<rc>[^/]+))?)?"
    r"(?P<tail>/.*)?$",
    re.I,
)
_RG = re.compile(r"^(/subscriptions/[^/]+/resourcegroups/[^/]+)(/|$)", re.I)
_DEPLOYMENT = re.compile(r"/providers/microsoft\.resources/deployments/[^/]+", re.I)


@dataclass(frozen=True)
class Uri:
    host: str
    path: str
    query: dict[str, str]  # keys case-folded; last value wins

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    @property
    def monitor(self) -> bool:
        return self.query.get("monitor", "").lower() == "true"


def split_uri(uri: str) -> Uri:
    parts = urlsplit(uri)
    path = unquote(parts.path) or "/"
    query = {k.lower(): v for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    return Uri(parts.netloc.lower(), path, query)


def in_namespace(path: str) -> bool:
    """True for paths the VMSS contract speaks for (matched or not)."""
    return _NAMESPACE.search(path) is not None


def resource_group(path: str) -> str | None:
    m = _RG.match(path)
    return m.group(1).lower() if m else None


def deployment_key(path: str) -> str | None:
    """The case-folded path of an ARM template deployment this path is about, if any."""
    m = _DEPLOYMENT.search(path)
    if not m:
        return None
    return path[: m.end()].lower()


@dataclass(frozen=True)
class Target:
    """The resource an in-contract path addresses.

    `key` is the deepest named resource (scale set, VM or run command), case-folded;
    `self_path` is True when the path is that resource itself (not a view, list or action
    under it); `tail` is the rest of the path, case-folded, e.g. "/manualupgrade".
    """

    rg: str
    scale_set: str
    vm: str | None
    run_command: str | None
    tail: str

    @property
    def kind(self) -> str:
        if self.run_command is not None:
            return "runcommand"
        if self.vm is not None:
            return "vm"
        return "scaleset"

    @property
    def key(self) -> str:
        return self.run_command or self.vm or self.scale_set

    @property
    def self_path(self) -> bool:
        return self.tail in ("", "/")


def target(path: str) -> Target | None:
    m = _RESOURCE.match(path.rstrip("/") if path != "/" else path)
    if not m:
        return None
    rg = m.group("rg").lower()
    vmss = f"{rg}/providers/microsoft.compute/virtualmachinescalesets/{m.group('vmss').lower()}"
    vm = f"{vmss}/virtualmachines/{m.group('vm').lower()}" if m.group("vm") else None
    rc = f"{vm}/runcommands/{m.group('rc').lower()}" if m.group("rc") else None
    tail = (m.group("tail") or "").lower()
    return Target(rg, vmss, vm, rc, tail)
