"""Contract-level drift between two recordings of the same journey: "did Azure change under us?".

Two recordings never match byte for byte: ids, timestamps, etags, request ids and pseudonyms
differ on every run. So this compares what the contract is about, per operation (the spec's
operationId, else the method and the path with every name folded to `{}`):

* the statuses it answered (an action that answered 202 now answers 200);
* the members of its JSON answers, as paths with array indices folded to `[*]` and map keys
  (tags, user-assigned identities) folded to `{*}`: added, removed, or of another JSON type;
* values of enumerations (the spec's `enum` / `x-known-values`, plus `provisioningState`,
  `status` and error `code`) never seen before;
* the long-running-operation headers (Azure-AsyncOperation, Location) it sent or stopped sending;
* operations that appear in only one recording.

Each operation also records the api-versions it was called with: when they differ, its changes
are flagged as possibly due to the api-version.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from contract.cassette import Cassette, Interaction, load_cassette, iter_cassette_paths

__all__ = ["Change", "Drift", "Surface", "diff", "render", "surface"]

LRO_HEADERS = ("Azure-AsyncOperation", "Location")
# Members whose values are an enumeration in every ARM answer, whatever the spec says.
ALWAYS_ENUM = re.compile(r"(^|\.)(provisioningState|status|code)$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_ENUM_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")
_ARM_HOSTS = ("management.azure.com", "127.0.0.1", "localhost", "::1")


# --------------------------------------------------------------------------- what one recording shows


@dataclass
class OperationSurface:
    """Everything the contract-level comparison looks at for one operation in one recording."""

    name: str
    label: str  # METHOD and path template, for people
    calls: int = 0
    statuses: set[int] = field(default_factory=set)
    api_versions: set[str] = field(default_factory=set)
    # (status family "2xx"/"4xx"/..., folded JSON path) -> JSON types seen there
    members: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # (status family, folded path) -> values seen at an enumeration
    enums: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # status -> LRO header names present on answers with that status
    lro_headers: dict[int, set[str]] = field(default_factory=dict)


@dataclass
class Surface:
    source: str
    interactions: int
    operations: dict[str, OperationSurface]


def _family(status: int) -> str:
    return f"{status // 100}xx"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fold_path(path: str) -> tuple[str, str]:
    """(operation key, label) for a request path the spec does not know: every resource name folded."""
    parts = [p for p in path.split("/") if p]
    out: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        out.append(part)
        low = part.lower()
        if low == "providers" and i + 1 < len(parts):
            out.append(parts[i + 1])  # the namespace is part of the shape
            i += 2
            continue
        if i + 1 < len(parts):
            out.append("{}")
            i += 2
            continue
        i += 1
    template = "/" + "/".join(out)
    return template.lower(), template


class _SchemaIndex:
    """Per (operation, status): which folded paths are enumerations or maps, read from the spec."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.cache: dict[tuple[str, int], tuple[set[str], set[str]]] = {}

    def get(self, operation_id: str, status: int) -> tuple[set[str], set[str]]:
        key = (operation_id, status)
        if key not in self.cache:
            enums: set[str] = set()
            maps: set[str] = set()
            schema = None
            try:
                schema = self.spec.response_schema(operation_id, status)
            except Exception:  # an undeclared status, an unknown operation: no schema hints
                schema = None
            if schema:
                self._walk(schema, "$", enums, maps, 0)
            self.cache[key] = (enums, maps)
        return self.cache[key]

    def _walk(self, node: Any, path: str, enums: set[str], maps: set[str], depth: int) -> None:
        if not isinstance(node, dict) or depth > 16:
            return
        if "enum" in node or "x-known-values" in node or "const" in node:
            enums.add(path)
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in node.get(key) or ():
                self._walk(sub, path, enums, maps, depth + 1)
        for name, sub in (node.get("properties") or {}).items():
            self._walk(sub, f"{path}.{name}", enums, maps, depth + 1)
        if isinstance(node.get("items"), dict):
            self._walk(node["items"], f"{path}[*]", enums, maps, depth + 1)
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and not node.get("properties"):
            maps.add(path)
            self._walk(extra, f"{path}.{{*}}", enums, maps, depth + 1)


def _walk_body(body: Any, path: str, maps: set[str], out: list[tuple[str, Any]]) -> None:
    out.append((path, body))
    if isinstance(body, dict):
        folded = path in maps
        for key, value in body.items():
            dynamic = folded or key.startswith("/") or bool(_GUID.match(key))
            _walk_body(value, f"{path}.{{*}}" if dynamic else f"{path}.{key}", maps, out)
    elif isinstance(body, list):
        for value in body:
            _walk_body(value, f"{path}[*]", maps, out)


def _load(source: str | Cassette | Iterable[Interaction]) -> tuple[str, list[Interaction]]:
    if isinstance(source, Cassette):
        return str(source.path or "<cassette>"), list(source.interactions)
    if isinstance(source, str | bytes) or hasattr(source, "__fspath__"):
        paths = iter_cassette_paths([source])  # type: ignore[list-item]
        if not paths:
            raise ValueError(f"{source}: no cassettes there (*.yaml, *.yml, *.json)")
        interactions = [i for p in paths for i in load_cassette(p).interactions]
        return str(source), interactions
    return "<interactions>", list(source)  # type: ignore[arg-type]


def surface(source: str | Cassette | Iterable[Interaction], spec: Any = None) -> Surface:
    """The contract-level view of one recording (a cassette file, a folder of them, or interactions)."""
    from contract.specs import load_spec

    spec = spec or load_spec()
    name, interactions = _load(source)
    index = _SchemaIndex(spec)
    operations: dict[str, OperationSurface] = {}
    for interaction in interactions:
        request, response = interaction.request, interaction.response
        parts = urlsplit(request.uri)
        method = request.method.upper()
        match = spec.match(method, parts.path)
        if match is not None:
            key = match.operation.operation_id
            label = f"{method} {match.operation.path}"
        else:
            folded, template = _fold_path(parts.path)
            host = (parts.hostname or "").lower()
            if host and host not in _ARM_HOSTS:  # another host's traffic stays apart from ARM's
                folded, template = f"//{host}{folded}", f"//{host}{template}"
            key, label = f"{method} {folded}", f"{method} {template}"
        op = operations.get(key)
        if op is None:
            op = operations[key] = OperationSurface(key, label)
        op.calls += 1
        status = response.status
        op.statuses.add(status)
        version = next((v for k, v in parse_qsl(parts.query) if k.lower() == "api-version"), None)
        if version:
            op.api_versions.add(version)
        headers = {h for h in LRO_HEADERS if response.header(h)}
        op.lro_headers.setdefault(status, set()).update(headers)
        try:
            body = response.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if body is None:
            continue
        enums, maps = index.get(key, status) if match is not None else (set(), set())
        family = _family(status)
        walked: list[tuple[str, Any]] = []
        _walk_body(body, "$", maps, walked)
        for path, value in walked:
            op.members.setdefault((family, path), set()).add(_json_type(value))
            if isinstance(value, str) and (path in enums or ALWAYS_ENUM.search(path)) and _ENUM_VALUE.match(value):
                op.enums.setdefault((family, path), set()).add(value)
    return Surface(name, len(interactions), operations)


# --------------------------------------------------------------------------- the comparison


@dataclass
class Change:
    operation: str
    kind: str  # status | member-added | member-removed | type | enum | lro-header | operation-added | operation-removed
    detail: str
    path: str | None = None
    api_version: bool = False  # the operation was called at another api-version: may explain this

    def as_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "kind": self.kind, "detail": self.detail, "path": self.path,
                "api_version_differs": self.api_version}


@dataclass
class Drift:
    old: Surface
    new: Surface
    changes: list[Change]
    api_versions: dict[str, tuple[list[str], list[str]]]  # operation -> (old, new) when they differ

    @property
    def same(self) -> bool:
        return not self.changes

    def by_operation(self) -> dict[str, list[Change]]:
        out: dict[str, list[Change]] = {}
        for c in self.changes:
            out.setdefault(c.operation, []).append(c)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": {"source": self.old.source, "interactions": self.old.interactions},
            "new": {"source": self.new.source, "interactions": self.new.interactions},
            "same": self.same,
            "changes": [c.as_dict() for c in self.changes],
            "api_versions": {op: {"old": old, "new": new} for op, (old, new) in self.api_versions.items()},
        }


def _types(types: set[str]) -> set[str]:
    """Types that matter: null is how ARM leaves a member out, not a change of type."""
    return types - {"null"}


def diff(old: str | Cassette | Surface, new: str | Cassette | Surface, spec: Any = None) -> Drift:
    """Compare two recordings of the same journey at the contract level."""
    a = old if isinstance(old, Surface) else surface(old, spec)
    b = new if isinstance(new, Surface) else surface(new, spec)
    changes: list[Change] = []
    versions: dict[str, tuple[list[str], list[str]]] = {}
    for key in sorted(set(a.operations) - set(b.operations)):
        op = a.operations[key]
        changes.append(Change(key, "operation-removed", f"called {op.calls}x before, not any more"))
    for key in sorted(set(b.operations) - set(a.operations)):
        op = b.operations[key]
        changes.append(Change(key, "operation-added", f"called {op.calls}x, never before"))
    for key in sorted(set(a.operations) & set(b.operations)):
        x, y = a.operations[key], b.operations[key]
        flag = bool(x.api_versions and y.api_versions and x.api_versions != y.api_versions)
        if flag:
            versions[key] = (sorted(x.api_versions), sorted(y.api_versions))
        found = _compare(key, x, y)
        for c in found:
            c.api_version = flag
        changes.extend(found)
    return Drift(a, b, changes, versions)


def _compare(key: str, x: OperationSurface, y: OperationSurface) -> list[Change]:
    out: list[Change] = []
    gone, came = sorted(x.statuses - y.statuses), sorted(y.statuses - x.statuses)
    if gone or came:
        before, after = ", ".join(map(str, sorted(x.statuses))), ", ".join(map(str, sorted(y.statuses)))
        out.append(Change(key, "status", f"answered {before} before, {after} now"))
    families = {f for f, _ in x.members} & {f for f, _ in y.members}
    for family in sorted(families):
        old_paths = {p: t for (f, p), t in x.members.items() if f == family}
        new_paths = {p: t for (f, p), t in y.members.items() if f == family}
        for path in sorted(set(old_paths) - set(new_paths)):
            if not _under_removed(path, old_paths, new_paths):
                out.append(Change(key, "member-removed", f"{family}: {path} ({'/'.join(sorted(old_paths[path]))})", path))
        for path in sorted(set(new_paths) - set(old_paths)):
            if not _under_removed(path, new_paths, old_paths):
                out.append(Change(key, "member-added", f"{family}: {path} ({'/'.join(sorted(new_paths[path]))})", path))
        for path in sorted(set(old_paths) & set(new_paths)):
            t_old, t_new = _types(old_paths[path]), _types(new_paths[path])
            if t_old and t_new and t_old != t_new:
                out.append(Change(key, "type", f"{family}: {path}: {'/'.join(sorted(t_old))} -> {'/'.join(sorted(t_new))}",
                                  path))
        for (f, path), values in sorted(y.enums.items()):
            if f != family or path not in old_paths:
                continue
            unseen = sorted(values - x.enums.get((f, path), set()))
            if unseen:
                known = ", ".join(sorted(x.enums.get((f, path), set()))) or "none"
                out.append(Change(key, "enum", f"{family}: {path}: never seen before: {', '.join(unseen)} "
                                               f"(seen before: {known})", path))
    for status in sorted(set(x.lro_headers) & set(y.lro_headers)):
        dropped = sorted(x.lro_headers[status] - y.lro_headers[status])
        added = sorted(y.lro_headers[status] - x.lro_headers[status])
        for name in dropped:
            out.append(Change(key, "lro-header", f"{status} answers no longer carry {name}"))
        for name in added:
            out.append(Change(key, "lro-header", f"{status} answers now carry {name}"))
    return out


def _under_removed(path: str, mine: dict[str, set[str]], other: dict[str, set[str]]) -> bool:
    """True when an ancestor of `path` is itself missing on the other side (report the top member only)."""
    cut = len(path)
    while True:
        cut = max(path.rfind(".", 0, cut), path.rfind("[", 0, cut))
        if cut <= 1:
            return False
        parent = path[:cut]
        if parent in mine and parent not in other:
            return True


# --------------------------------------------------------------------------- renderings


_KIND_LABEL = {
    "status": "status", "member-added": "added", "member-removed": "removed", "type": "type",
    "enum": "new value", "lro-header": "LRO header", "operation-added": "new", "operation-removed": "vanished",
}


def render_text(drift: Drift) -> str:
    lines = [f"vmss-contract diff: {drift.old.source} ({drift.old.interactions} interactions) -> "
             f"{drift.new.source} ({drift.new.interactions} interactions)"]
    if drift.same:
        lines.append("same contract surface: no drift")
        return "\n".join(lines) + "\n"
    grouped = drift.by_operation()
    lines.append(f"drifted: {len(drift.changes)} change(s) in {len(grouped)} operation(s)")
    for operation, changes in grouped.items():
        op = drift.new.operations.get(operation) or drift.old.operations[operation]
        lines.append("")
        lines.append(operation if " " not in operation else op.label)  # an operationId, else METHOD + path
        if operation in drift.api_versions:
            old, new = drift.api_versions[operation]
            lines.append(f"  api-version {', '.join(old)} -> {', '.join(new)}: these differences may be the api-version's")
        for c in changes:
            lines.append(f"  {_KIND_LABEL.get(c.kind, c.kind):<10} {c.detail}")
    return "\n".join(lines) + "\n"


def render_json(drift: Drift) -> str:
    return json.dumps(drift.as_dict(), indent=2) + "\n"


def render_junit(drift: Drift) -> str:
    from xml.etree import ElementTree as ET

    names = sorted(set(drift.old.operations) | set(drift.new.operations))
    grouped = drift.by_operation()
    root = ET.Element("testsuites", name="vmss-contract diff", tests=str(len(names)), failures=str(len(grouped)))
    suite = ET.SubElement(root, "testsuite", name=f"{drift.old.source} -> {drift.new.source}", tests=str(len(names)),
                          failures=str(len(grouped)), errors="0", skipped="0")
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="drift", name=name)
        changes = grouped.get(name)
        if changes:
            failure = ET.SubElement(case, "failure", type=changes[0].kind,
                                    message="; ".join(c.detail for c in changes)[:2000])
            failure.text = "\n".join(f"{c.kind}: {c.detail}" + (" (api-version differs)" if c.api_version else "")
                                     for c in changes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}


def render(drift: Drift, fmt: str = "text") -> str:
    return RENDERERS[fmt](drift)
