"""Where an interaction sits: inside the VMSS contract, or outside it.

ARM paths are case-insensitive and real recordings mix `resourcegroups` and
`resourceGroups`, so every key here is case-folded. The host is ignored: a
cassette recorded against the emulator on 127.0.0.1 is checked like Azure's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus

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


class Uri:
    """Host, unquoted path, and the query parsed only when asked (outside-contract traffic never asks)."""

    __slots__ = ("host", "path", "raw_query", "_query", "_version", "_monitor")

    def __init__(self, host: str, path: str, raw_query: str = "") -> None:
        self.host, self.path, self.raw_query = host, path, raw_query
        self._query: dict[str, str] | None = None
        self._version: str | None | bool = False  # False: not looked up yet (checks read it per interaction)
        self._monitor: bool | None = None

    @property
    def query(self) -> dict[str, str]:
        """Keys case-folded; the last value wins."""
        if self._query is None:
            raw, query = self.raw_query, {}
            if raw:
                escaped = "%" in raw or "+" in raw
                for pair in raw.split("&"):  # what parse_qsl(raw, keep_blank_values=True) gives, 10x faster
                    if pair:
                        k, _, v = pair.partition("=")
                        if escaped:
                            k, v = unquote_plus(k), unquote_plus(v)
                        query[k.lower()] = v
            self._query = query
        return self._query

    @property
    def api_version(self) -> str | None:
        version = self._version
        if version is False:
            version = self._version = self.query.get("api-version")
        return version  # type: ignore[return-value]

    @property
    def monitor(self) -> bool:
        monitor = self._monitor
        if monitor is None:
            monitor = self._monitor = self.query.get("monitor", "").lower() == "true"
        return monitor

    def __repr__(self) -> str:
        return f"Uri(host={self.host!r}, path={self.path!r}, query={self.query!r})"


def split_uri(uri: str) -> Uri:
    """Host and unquoted path of a URI. Hand-rolled: this runs for every interaction and
    `urlsplit` + `parse_qsl` were a quarter of the checker's time."""
    if "#" in uri:
        uri = uri[: uri.index("#")]
    host = ""
    rest = uri
    if not uri.startswith("/"):
        scheme_end = uri.find("://")
        if scheme_end != -1:
            start = scheme_end + 3
            slash, qmark = uri.find("/", start), uri.find("?", start)
            cut = slash if slash != -1 and (qmark == -1 or slash < qmark) else qmark
            if cut == -1:
                cut = len(uri)
            host, rest = uri[start:cut].lower(), uri[cut:]
    path, _, raw_query = rest.partition("?")
    if "%" in path:
        path = unquote(path)
    return Uri(host, path or "/", raw_query)


class Place:
    """Where one request line (method + URI) of a cassette sits, worked out once per cassette:
    a cassette polls and re-reads the same URLs, and every check would otherwise re-derive
    the path, api-version, operation and resource from the URI on each interaction.

    `kind` is IN (a documented operation), UNDOCUMENTED (in the VMSS namespace, matching
    none), DEPLOYMENT (outside, but a template deployment the state machines watch) or OUTSIDE.
    """

    __slots__ = ("kind", "method", "uri", "path", "operation", "params", "operation_id", "version", "monitor")

    def __init__(self, kind: str, method: str, uri: Uri, match: Any = None) -> None:
        self.kind, self.method, self.uri, self.path = kind, method, uri, uri.path
        if match is None:
            self.operation = self.operation_id = self.version = None
            self.params: dict[str, str] = {}
            self.monitor = False
        else:
            operation = self.operation = match.operation
            self.params, self.operation_id = match.params, operation.operation_id
            self.version: str | None = uri.api_version
            self.monitor: bool = uri.monitor


IN, UNDOCUMENTED, DEPLOYMENT, OUTSIDE = "in", "undocumented", "deployment", "outside"


def place(match_operation: Any, method: str, uri: str) -> Place:
    """The documented operation a request hits, else which kind of outside it is."""
    method = method.upper()
    u = split_uri(uri)
    path = u.path
    head = path[:15].lower()  # len("/subscriptions/"): never case-fold a whole long path for this
    # ARM's own surface too: the subscription list (`/subscriptions`) and the cloud metadata (`/metadata/...`)
    arm = head == "/subscriptions/" or head == "/subscriptions" or head.startswith(("/providers/", "/metadata/"))
    match = match_operation(method, path) if arm else None
    if match is not None:
        return Place(IN, method, u, match)
    if arm and in_namespace(path):
        return Place(UNDOCUMENTED, method, u)
    # template deployments are outside the contract, but the state machines must know one is running
    return Place(DEPLOYMENT if "/deployments/" in path.lower() else OUTSIDE, method, u)


# Hosts that are ARM itself (public and sovereign clouds); a cassette recorded through our proxy
# stores the canonical https://management.azure.com, and a local server's loopback host is ARM too.
_ARM_HOSTS = ("management.azure.com", "management.usgovcloudapi.net", "management.chinacloudapi.cn",
              "management.microsoftazure.de")
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_PROVIDER = re.compile(r"/providers/([^/]+)", re.I)


def outside_reason(where: Place) -> str:
    """Why an interaction placed outside the contract is not checked, in words a user can act on."""
    host = where.uri.host.rsplit("@", 1)[-1]
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    if name and name not in _ARM_HOSTS and name not in _LOOPBACK:
        return f"another host ({name}), not Azure Resource Manager"
    path = where.path
    if where.kind == DEPLOYMENT:
        return "a template deployment (Microsoft.Resources): not in specs/, watched only for the scale sets it makes"
    low = path[:15].lower()
    if low != "/subscriptions/" and not low.startswith("/providers/"):
        return "not an ARM resource path (/subscriptions/... or /providers/...)"
    providers = _PROVIDER.findall(path)
    scope = f"provider {providers[-1]}" if providers else "subscription or resource-group level"
    return f"{where.method} on this path ({scope}) matches no operation in specs/"


def in_namespace(path: str) -> bool:
    """True for paths the VMSS contract speaks for (matched or not)."""
    low = path.lower()
    if "/providers/microsoft.compute/" not in low:  # cheap test first: most outside traffic stops here
        return False
    return _NAMESPACE.search(low) is not None


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
    `kind`, `key` and `self_path` are worked out once: the state machines ask them on every interaction.
    """

    rg: str
    scale_set: str
    vm: str | None
    run_command: str | None
    tail: str
    kind: str = field(init=False, compare=False, repr=False)
    key: str = field(init=False, compare=False, repr=False)
    self_path: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        kind = "runcommand" if self.run_command is not None else "vm" if self.vm is not None else "scaleset"
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "key", self.run_command or self.vm or self.scale_set)
        object.__setattr__(self, "self_path", self.tail in ("", "/"))


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
