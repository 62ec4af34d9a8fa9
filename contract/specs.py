"""The VMSS contract as data: operations, api-versions and compiled schemas.

`specs/*.openapi.yaml` (one file per provider area, `vmss.openapi.yaml` the base)
is the single source of truth; this module loads and merges them once, compiles every validator once (lazily, per operation and status), and
answers the questions the proxy, replay server, emulator, checker and
strategies ask on their hot paths (`match`, `validate_*`) cheaply.
"""
from __future__ import annotations

import copy
import os
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import yaml

from contract.jsonpath import format_keys

try:  # Rust validator: ~10-50x faster; jsonschema is the fallback
    import jsonschema_rs as _rs
except ImportError:  # pragma: no cover - depends on the environment
    _rs = None

__all__ = [
    "ApiVersion",
    "Operation",
    "OperationMatch",
    "SchemaError",
    "Spec",
    "SpecError",
    "UnknownApiVersion",
    "load_spec",
    "specs_dir",
]

SPEC_FILE = "vmss.openapi.yaml"  # the base document; every other `*.openapi.yaml` is merged in
SPEC_SUFFIX = ".openapi.yaml"
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_VERSION_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:-([A-Za-z][A-Za-z0-9]*))?$")
_PARAM_RE = re.compile(r"\{([^}/]+)\}")


class SpecError(Exception):
    """The spec file is missing or malformed."""


class UnknownApiVersion(ValueError):
    """An api-version that is unparsable or older than every known version."""


@dataclass(frozen=True)
class Operation:
    """One documented operation: `statuses` are the success codes (no `default`)."""

    operation_id: str
    method: str  # upper case
    path: str  # template, e.g. /subscriptions/{subscriptionId}/...
    api_versions: tuple[str, ...]
    statuses: tuple[int, ...]
    long_running: bool
    has_request_body: bool = False
    request_body_required: bool = False


@dataclass(frozen=True)
class OperationMatch:
    operation: Operation
    params: dict[str, str]


@dataclass(frozen=True)
class ApiVersion:
    """`effective` is the known version whose contract applies to `requested`."""

    requested: str
    effective: str
    known: bool
    warning: str | None = None


@dataclass(frozen=True)
class SchemaError:
    """One schema violation; `path` is a JSON path into the body like `$.sku.capacity`."""

    path: str
    message: str
    keyword: str


@lru_cache(maxsize=1024)
def _version_key(version: str) -> tuple[str, int, str]:
    """Sort key: date, then a preview sorts before the GA release of the same date."""
    m = _VERSION_RE.match(version.strip())
    if not m:
        raise UnknownApiVersion(f"api-version {version!r} is not of the form YYYY-MM-DD[-preview]")
    y, mo, d, suffix = m.groups()
    return (f"{y}-{mo}-{d}", 0 if suffix else 1, (suffix or "").lower())


class _Compiler:
    """Turns component `$ref`s into self-contained schemas (allOf merged) in four flavours.

    request:      closed objects (ARM rejects unknown members), readOnly fields tolerated
    request-open: only the top level closed, for api-versions newer than our schemas
    response:     types, enums and limits as written; `null` only where a member says `x-nullable: true`,
                  a limit dropped only where it lists the keyword in `x-request-only`; objects closed, but
                  an undocumented member is drift (`Spec.check_response` tells it apart), never an error
    generation:   like request, without readOnly fields and `x-` annotations (for hypothesis)
    """

    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components

    def build(self, schema: Any, mode: str) -> Any:
        if mode != "request-open":
            return self._walk(schema, mode, ())
        # members newer than our schemas may appear below the top level; the top level stays closed
        built = self._walk(schema, "response-lax", ())
        for root in built.get("anyOf", [built]) if isinstance(built, dict) else ():
            if isinstance(root, dict) and "properties" in root:
                root["additionalProperties"] = False
        return built

    def _deref(self, ref: str) -> tuple[str, Any]:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise SpecError(f"unsupported $ref {ref!r} (only {prefix}*)")
        name = ref[len(prefix):]
        try:
            return name, self.components[name]
        except KeyError:
            raise SpecError(f"$ref to unknown schema {name!r}") from None

    def _walk(self, s: Any, mode: str, stack: tuple[str, ...]) -> Any:
        if isinstance(s, list):
            return [self._walk(x, mode, stack) for x in s]
        if not isinstance(s, dict):
            return s
        if "$ref" in s:
            name, target = self._deref(s["$ref"])
            if name in stack:  # recursive structure: stop with an open schema
                return {}
            resolved = self._walk(target, mode, stack + (name,))
            extra = {k: v for k, v in s.items() if k != "$ref"}
            if extra and isinstance(resolved, dict):
                resolved = {**resolved, **self._walk(extra, mode, stack)}
                if mode == "response":  # the referring member's x-nullable / x-request-only apply to the target
                    resolved = _response_leniency(resolved)
            return resolved
        out: dict[str, Any] = {}
        for k, v in s.items():
            if k.startswith("x-") and mode == "generation":
                continue
            if k == "allOf":
                continue
            if k == "properties":
                out[k] = {pk: self._walk(pv, mode, stack) for pk, pv in v.items()}
            elif k in ("items", "additionalProperties", "not", "contains", "unevaluatedProperties"):
                out[k] = self._walk(v, mode, stack)
            elif k in ("anyOf", "oneOf", "prefixItems"):
                out[k] = self._walk(v, mode, stack)
            else:
                out[k] = v
        for part in s.get("allOf", ()):  # merge base types so closed objects still see their properties
            base = self._walk(part, mode, stack)
            if not isinstance(base, dict):
                continue
            props = {**base.get("properties", {}), **out.get("properties", {})}
            if props:
                out["properties"] = props
            req = list(dict.fromkeys(base.get("required", []) + out.get("required", [])))
            if req:
                out["required"] = req
            for bk, bv in base.items():
                if bk not in ("properties", "required"):
                    out.setdefault(bk, bv)
        if "properties" in out and "type" not in out:  # the swagger often leaves `type: object` implicit
            out["type"] = "object"
        if mode == "response":  # (request-open walks as "response-lax": open, limits and nulls as in a request)
            out = _response_leniency(out)
        if "properties" in out:
            if mode == "generation":
                out["properties"] = {
                    k: v for k, v in out["properties"].items()
                    if not (isinstance(v, dict) and v.get("readOnly"))
                }
                if "required" in out:
                    out["required"] = [r for r in out["required"] if r in out["properties"]]
            if mode in ("request", "generation", "response"):
                out.setdefault("additionalProperties", False)
        return out


def _response_leniency(s: dict[str, Any]) -> dict[str, Any]:
    """What an answer may do that the schema as written forbids, each said by the member itself (with an
    `x-reason`): `x-nullable: true` (the swagger's own flag) lets it be `null`; `x-request-only: [keywords]`
    drops limits that bind what a client sends but not what Azure answers (the documented
    VirtualMachineScaleSet_Get answers a 24-character computerNamePrefix). Idempotent."""
    relaxed = s.get("x-request-only")
    if relaxed:
        s = {k: v for k, v in s.items() if k not in relaxed}
    if s.get("x-nullable") is True:
        t = s.get("type")
        if isinstance(t, str):
            s = {**s, "type": [t, "null"]}
        elif isinstance(t, list) and "null" not in t:
            s = {**s, "type": [*t, "null"]}
        if "enum" in s and None not in s["enum"]:
            s = {**s, "enum": [*s["enum"], None]}
    return s


def _compile(schema: Any, per_member: bool = False) -> Callable[[Any], Iterator[tuple[list[Any], str, str]]]:
    """A function yielding (instance path, message, keyword) for each error; fast path when valid.

    `per_member`: an unknown member is its own error at its own path (`$.properties.newThing`), as
    drift is reported; otherwise one error at the object naming them all (request refusals)."""
    if _rs is not None:
        v = _rs.Draft202012Validator(schema)

        def errors(body: Any) -> Iterator[tuple[list[Any], str, str]]:
            if v.is_valid(body):
                return
            for e in v.iter_errors(body):
                sp = [p for p in e.schema_path if isinstance(p, str)]
                keyword = sp[-1] if sp else ""
                if per_member and keyword == "additionalProperties":
                    for name in getattr(e.kind, "unexpected", None) or ():
                        yield [*e.instance_path, name], f"member {name!r} is not documented", keyword
                    continue
                yield list(e.instance_path), e.message, keyword

        return errors
    import jsonschema  # pragma: no cover - fallback

    jv = jsonschema.Draft202012Validator(schema)  # pragma: no cover

    def errors_py(body: Any) -> Iterator[tuple[list[Any], str, str]]:  # pragma: no cover
        for e in jv.iter_errors(body):
            if per_member and e.validator == "additionalProperties" and isinstance(e.instance, dict):
                known = e.schema.get("properties", {})
                for name in e.instance:
                    if name not in known:
                        yield [*e.absolute_path, name], f"member {name!r} is not documented", "additionalProperties"
                continue
            yield list(e.absolute_path), e.message, str(e.validator)

    return errors_py  # pragma: no cover


def _explained(
    whole: Callable[[Any], Iterator[tuple[list[Any], str, str]]],
    primary: Callable[[Any], Iterator[tuple[list[Any], str, str]]],
) -> Callable[[Any], Iterator[tuple[list[Any], str, str]]]:
    """For `anyOf: [primary, alternative]` bodies: report the primary branch's precise errors, not 'no branch matched'."""

    def errors(body: Any) -> Iterator[tuple[list[Any], str, str]]:
        if next(whole(body), None) is None:
            return
        yield from primary(body)

    return errors


@dataclass(repr=False)
class Spec:
    """The loaded OpenAPI document plus precompiled matchers and validators."""

    document: dict[str, Any]
    operations: dict[str, Operation] = field(default_factory=dict)
    api_versions: tuple[str, ...] = ()
    path: Path | None = None

    def __post_init__(self) -> None:
        self._ops_raw: dict[str, dict[str, Any]] = {}
        self._routes: dict[tuple[str, int], list[tuple[re.Pattern[str], Operation]]] = {}
        # operations under an ARM scope of any depth (`/{scope}/providers/Microsoft.Authorization/...`)
        self._scoped_routes: dict[str, list[tuple[int, re.Pattern[str], Operation]]] = {}
        self._match_cache: dict[tuple[str, str], OperationMatch | None] = {}
        self._validators: dict[tuple[str, ...], Callable[[Any], Iterator[tuple[list[Any], str, str]]] | None] = {}
        self._compiler = _Compiler(self.document.get("components", {}).get("schemas", {}))
        self._set_compilers: dict[str, _Compiler] = {}  # x-schema-versions overlay -> its compiler
        self._schema_sets: dict[tuple[str, str], str | None] = {}  # (operationId, api-version) -> overlay
        self._index()

    def __repr__(self) -> str:  # the document is ~200 KB: keep tracebacks readable
        return f"Spec({str(self.path) if self.path else '<document>'}, {len(self.operations)} operations)"

    # ---- building -------------------------------------------------------
    def _index(self) -> None:
        ranked: dict[tuple[str, int], list[tuple[int, re.Pattern[str], Operation]]] = {}
        scoped: dict[str, list[tuple[int, re.Pattern[str], Operation]]] = {}
        versions = self.document.get("x-api-versions", {})
        if not self.api_versions:
            self.api_versions = tuple(versions.get("Microsoft.Compute", ()))
        for path, item in self.document.get("paths", {}).items():
            for method in _METHODS:
                raw = item.get(method)
                if raw is None:
                    continue
                oid = raw.get("operationId")
                if not oid:
                    raise SpecError(f"{method.upper()} {path} has no operationId")
                if oid in self.operations:
                    raise SpecError(f"operationId {oid} is used twice")
                statuses = tuple(sorted(int(c) for c in raw.get("responses", {}) if c != "default"))
                body = raw.get("requestBody")
                op = Operation(
                    operation_id=oid,
                    method=method.upper(),
                    path=path,
                    api_versions=tuple(raw.get("x-api-versions", self.api_versions)),
                    statuses=statuses,
                    long_running=bool(raw.get("x-ms-long-running-operation", False)),
                    has_request_body=body is not None,
                    request_body_required=bool(body and body.get("required")),
                )
                self.operations[oid] = op
                self._ops_raw[oid] = raw
                segs = path.strip("/").split("/")
                spanning = _multi_segment_params(raw, item, self.document)
                parts = []
                for seg in segs:
                    m = _PARAM_RE.fullmatch(seg)
                    if m and m.group(1) in spanning:
                        parts.append(f"(?P<{m.group(1)}>[^/]+(?:/[^/]+)*?)")
                    else:
                        parts.append(f"(?P<{m.group(1)}>[^/]+)" if m else re.escape(seg))
                rx = re.compile("/" + "/".join(parts), re.IGNORECASE)
                literal = sum(1 for seg in segs if not _PARAM_RE.fullmatch(seg))
                if any(_PARAM_RE.fullmatch(seg) and _PARAM_RE.fullmatch(seg).group(1) in spanning for seg in segs):
                    scoped.setdefault(op.method, []).append((literal, rx, op))
                else:
                    ranked.setdefault((op.method, len(segs)), []).append((literal, rx, op))
        for key, routes in ranked.items():  # most literal segments first: literals beat parameters
            routes.sort(key=lambda r: -r[0])
            self._routes[key] = [(rx, op) for _, rx, op in routes]
        for method, routes in scoped.items():
            routes.sort(key=lambda r: -r[0])
            self._scoped_routes[method] = routes
        self._schema_version = str(self.document.get("info", {}).get("x-schema-api-version") or "")
        self._secret_names = frozenset(self._collect_secret_names())
        self._no_secrets = self._secret_free_check()

    def _secret_free_check(self) -> Callable[[Any], bool] | None:
        """A compiled 'no secret member anywhere holds a value' test: the common case costs one Rust call."""
        if _rs is None or not self._secret_names:
            return None
        node = {
            "if": {"type": "object"},
            "then": {"properties": {n: {"type": "null"} for n in sorted(self._secret_names)},
                     "additionalProperties": {"$ref": "#/$defs/node"}},
            "else": {"if": {"type": "array"}, "then": {"items": {"$ref": "#/$defs/node"}}},
        }
        validator = _rs.Draft202012Validator({"$defs": {"node": node}, "$ref": "#/$defs/node"})
        self._secret_errors = validator.iter_errors  # each error: one secret member holding a value, in order
        return validator.is_valid

    def _collect_secret_names(self) -> Iterator[str]:
        def walk(s: Any) -> Iterator[str]:
            if isinstance(s, dict):
                for name, sub in (s.get("properties") or {}).items():
                    if isinstance(sub, dict) and sub.get("writeOnly"):
                        yield name
                for v in s.values():
                    yield from walk(v)
            elif isinstance(s, list):
                for v in s:
                    yield from walk(v)

        yield from walk(self.document.get("components", {}).get("schemas", {}))

    # ---- lookups --------------------------------------------------------
    def operation(self, operation_id: str) -> Operation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise KeyError(f"unknown operationId {operation_id!r}") from None

    def match(self, method: str, path: str) -> OperationMatch | None:
        """The operation a request hits (path without query; case-insensitive; trailing '/' ok)."""
        key = (method, path)
        try:
            return self._match_cache[key]
        except KeyError:
            pass
        p = path
        if "://" in p:
            p = urlsplit(p).path
        else:
            p = p.split("?", 1)[0]
        p = "/" + p.strip("/")
        found: OperationMatch | None = None
        for rx, op in self._routes.get((method.upper(), p.count("/")), ()):
            m = rx.fullmatch(p)
            if m:
                found = OperationMatch(op, m.groupdict())
                break
        for literal, rx, op in self._scoped_routes.get(method.upper(), ()):
            # An extension resource under another resource's path (a role assignment under a scale set)
            # belongs to the extension's provider; a fixed path wins only with more literal segments.
            m = rx.fullmatch(p)
            if m:
                if found is None or literal >= _literal_segments(found.operation.path):
                    found = OperationMatch(op, m.groupdict())
                break
        if len(self._match_cache) > 65536:  # bounded: paths carry ids
            self._match_cache.clear()
        self._match_cache[key] = found
        return found

    def resolve_api_version(self, version: str, operation_id: str | None = None) -> ApiVersion:
        """Map a requested api-version to a known one; newer unknown -> nearest older, with warning.

        With `operation_id`, the operation's own versions count (the Network RP's differ from Compute's).
        """
        known = self.operation(operation_id).api_versions if operation_id else self.api_versions
        return _resolve(version, tuple(known))

    # ---- validation -----------------------------------------------------
    def _newer_than_schema(self, api_version: str | None, operation_id: str) -> bool:
        """Whether `api_version` is newer than the swagger version the operation's schemas come from."""
        schema_version = str(self._ops_raw[operation_id].get("x-schema-api-version") or self._schema_version)
        if not api_version or not schema_version:
            return False
        try:
            return _version_key(api_version) > _version_key(schema_version)
        except UnknownApiVersion:
            return False

    def _schema_set(self, operation_id: str, api_version: str | None) -> str | None:
        """The newest `x-schema-versions` overlay at or below `api_version` for an operation whose schemas
        are the base document's (None: the base components as written)."""
        if not api_version:
            return None
        key = (operation_id, api_version)
        try:
            return self._schema_sets[key]
        except KeyError:
            pass
        overlays = self.document.get("x-schema-versions")
        found = None
        if overlays and not self._ops_raw[operation_id].get("x-schema-api-version"):
            # (operations of the other spec files carry their own schema version)
            try:
                fitting = [v for v in overlays if _version_key(v) <= _version_key(api_version)]
            except UnknownApiVersion:
                fitting = []
            found = max(fitting, key=_version_key) if fitting else None
        if len(self._schema_sets) > 4096:  # bounded: versions come from traffic
            self._schema_sets.clear()
        self._schema_sets[key] = found
        return found

    def _compiler_for(self, schema_set: str | None) -> _Compiler:
        if schema_set is None:
            return self._compiler
        found = self._set_compilers.get(schema_set)
        if found is None:
            found = self._set_compilers[schema_set] = _Compiler(_overlaid(self.document, schema_set))
        return found

    def _validator(self, operation_id: str, which: str,
                   schema_set: str | None = None) -> Callable[[Any], Iterator[tuple[list[Any], str, str]]] | None:
        key = (operation_id, which) if schema_set is None else (operation_id, which, schema_set)
        if key in self._validators:
            return self._validators[key]
        raw = self._ops_raw.get(operation_id)
        if raw is None:
            raise KeyError(f"unknown operationId {operation_id!r}")
        if which in ("request", "request-open"):
            schema = _json_schema(raw.get("requestBody"), self.document)
            mode = which
        else:
            schema = _json_schema(raw.get("responses", {}).get(which), self.document)
            mode = "response"
        fn = None
        if schema is not None:
            built = self._compiler_for(schema_set).build(schema, mode)
            per_member = mode == "response"
            fn = _compile(built, per_member)
            if isinstance(built, dict) and built.get("anyOf") and isinstance(built["anyOf"][0], dict):
                fn = _explained(fn, _compile(built["anyOf"][0], per_member))
        self._validators[key] = fn
        return fn

    def validate_request(
        self, operation_id: str, body: Any, api_version: str | None = None
    ) -> list[SchemaError]:
        """Errors of a request body against the operation's (closed) request schema.

        Objects are closed (unknown members are errors) up to the api-version our schemas were
        written from (`info.x-schema-api-version`), and at each api-version that has its own
        `x-schema-versions` overlay, judged on that version's schemas (an undocumented member at
        2024-11-01 is caught as it is at 2024-03-01). Any other newer `api_version` (a preview, or
        one newer than every overlay) keeps only the top level closed, on the nearest older schemas,
        because Azure knows members that we cannot. Version gates live in rules.yaml.
        """
        op = self.operation(operation_id)
        if body is None:
            if op.request_body_required:
                return [SchemaError("$", "a request body is required", "required")]
            return []
        schema_set = None
        which = "request"
        if self._newer_than_schema(api_version, operation_id):
            schema_set = self._schema_set(operation_id, api_version)
            if schema_set is None or schema_set != api_version:
                which = "request-open"
        fn = self._validator(operation_id, which, schema_set)
        if fn is None:
            return []
        return [SchemaError(format_keys(p), msg, kw) for p, msg, kw in fn(body)]

    def validate_response(self, operation_id: str, status: int, body: Any,
                          api_version: str | None = None) -> list[SchemaError]:
        """Errors of a response body against the schema for `status` (errors >= 400: `default`).

        A success status the operation does not declare has no schema here; the checker reports the status.
        Undocumented members are not errors here: `check_response` reports them as drift.
        """
        return self.check_response(operation_id, status, body, api_version)[0]

    def check_response(self, operation_id: str, status: int, body: Any,
                       api_version: str | None = None) -> tuple[list[SchemaError], list[SchemaError]]:
        """(errors, drift) of a response body: drift is each member no schema of the api-version documents,
        at its own path (Azure adds members before the swagger does: worth seeing, not a contract breach)."""
        responses = self._ops_raw.get(operation_id, {}).get("responses")
        if responses is None:
            raise KeyError(f"unknown operationId {operation_id!r}")
        code = str(status)
        if code not in responses:
            if status < 400 or "default" not in responses:
                return [], []
            code = "default"
        fn = self._validator(operation_id, code, self._schema_set(operation_id, api_version))
        if fn is None:
            return [], []
        errors: list[SchemaError] = []
        drift: list[SchemaError] = []
        for p, msg, kw in fn(body):
            (drift if kw == "additionalProperties" else errors).append(SchemaError(format_keys(p), msg, kw))
        return errors, drift

    @property
    def secret_names(self) -> frozenset[str]:
        """Property names marked writeOnly (adminPassword, customData, protectedSettings ...)."""
        return self._secret_names

    def secret_paths(self, body: Any) -> list[str]:
        """JSON paths of writeOnly/secret fields present (non-null) in `body`."""
        if self._no_secrets is not None:
            if self._no_secrets(body):
                return []
            # the same test names each member that holds a value, in document order (the walk below, in Rust)
            return [format_keys(list(e.instance_path)) for e in self._secret_errors(body)]
        found: list[str] = []
        names = self._secret_names

        def walk(node: Any, path: str) -> None:
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in names and v is not None:
                        found.append(f"{path}.{k}")
                    elif isinstance(v, (dict, list)):
                        walk(v, f"{path}.{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    if isinstance(v, (dict, list)):
                        walk(v, f"{path}[{i}]")

        walk(body, "$")
        return found

    def request_schema(self, operation_id: str) -> dict[str, Any]:
        """A self-contained JSON Schema (refs resolved, closed, no readOnly fields) for hypothesis."""
        self.operation(operation_id)
        return copy.deepcopy(self._generation_schema(operation_id))

    @lru_cache(maxsize=None)  # noqa: B019 - a Spec lives as long as the process (load_spec caches it)
    def _generation_schema(self, operation_id: str) -> dict[str, Any]:
        schema = _json_schema(self._ops_raw[operation_id].get("requestBody"), self.document)
        if schema is None:
            return {}
        built = self._compiler.build(schema, "generation")
        built.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
        return built

    @lru_cache(maxsize=None)  # noqa: B019 - see _generation_schema
    def response_schema(self, operation_id: str, status: int | str) -> dict[str, Any] | None:
        """The self-contained (open) response schema for a status, or None when it has no body.

        Cached and shared between callers: treat it as read-only.
        """
        raw = self._ops_raw[operation_id].get("responses", {}).get(str(status))
        schema = _json_schema(raw, self.document)
        return None if schema is None else self._compiler.build(schema, "response")

    def response_body_optional(self, operation_id: str, status: int | str) -> bool:
        """A documented response body that may also be absent (`x-body-optional: true` on the response: e.g.
        ARM's operationresults poll, whose final 200 carries a what-if's result and nothing for the others)."""
        raw = self._ops_raw[operation_id].get("responses", {}).get(str(status))
        return isinstance(raw, dict) and raw.get("x-body-optional") is True

    __hash__ = object.__hash__  # identity: lets lru_cache key on the instance


def _overlaid(document: dict[str, Any], schema_set: str) -> dict[str, Any]:
    """The base components as an api-version's swagger has them: every `x-schema-versions` overlay up to
    `schema_set`, oldest first. An overlay's schema adds its `properties` to the base schema's (other keys
    replace the base's); a schema the base lacks is added whole."""
    schemas = dict(document.get("components", {}).get("schemas", {}))
    overlays = document.get("x-schema-versions") or {}
    for version in sorted((v for v in overlays if _version_key(v) <= _version_key(schema_set)), key=_version_key):
        for name, overlay in ((overlays[version] or {}).get("schemas") or {}).items():
            base = schemas.get(name)
            if not isinstance(base, dict):
                schemas[name] = overlay
                continue
            merged = {**base, **{k: v for k, v in overlay.items() if k != "properties"}}
            if "properties" in overlay:
                merged["properties"] = {**(base.get("properties") or {}), **overlay["properties"]}
            schemas[name] = merged
    return schemas


def _json_schema(container: Any, document: dict[str, Any]) -> Any:
    """The application/json schema of a requestBody or response object (following `$ref`s to components)."""
    if not container:
        return None
    ref = container.get("$ref")
    if ref:
        node: Any = document
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        container = node
    content = container.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return None if media is None else media.get("schema")


@lru_cache(maxsize=256)
def _resolve(version: str, known: tuple[str, ...]) -> ApiVersion:
    if not isinstance(version, str) or not version.strip():
        raise UnknownApiVersion("api-version is empty")
    requested = version.strip()
    lower = {k.lower(): k for k in known}
    if requested.lower() in lower:
        return ApiVersion(requested, lower[requested.lower()], True)
    key = _version_key(requested)
    older = [k for k in known if _version_key(k) <= key]
    if not older:
        raise UnknownApiVersion(
            f"api-version {requested} is older than every known version ({', '.join(known)})"
        )
    effective = max(older, key=_version_key)
    return ApiVersion(
        requested,
        effective,
        False,
        f"api-version {requested} is not in the contract; checking against {effective}, the nearest older one",
    )


def specs_dir() -> Path:
    """`$VMSS_CONTRACT_SPECS`, else the specs shipped in the package, else the checkout's `specs/`.

    A wheel carries `specs/` as `contract/_specs/` (see setup.py); a source checkout (editable
    install) has no such folder and reads the top-level `specs/` that people edit.
    """
    env = os.environ.get("VMSS_CONTRACT_SPECS")
    if env:
        return Path(env)
    shipped = resources.files("contract") / "_specs"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "specs"


def _literal_segments(path: str) -> int:
    return sum(1 for seg in path.strip("/").split("/") if not _PARAM_RE.fullmatch(seg))


def _multi_segment_params(raw: dict[str, Any], item: dict[str, Any], document: dict[str, Any]) -> set[str]:
    """Path parameters that span several segments: an ARM scope, marked `x-ms-skip-url-encoding`
    in the swagger (the client sends the id's slashes as they are)."""
    names: set[str] = set()
    components = (document.get("components") or {}).get("parameters") or {}
    for param in list(item.get("parameters") or []) + list(raw.get("parameters") or []):
        if isinstance(param, dict) and isinstance(param.get("$ref"), str):
            param = components.get(param["$ref"].rsplit("/", 1)[-1], {})
        if isinstance(param, dict) and param.get("in") == "path" and param.get("x-ms-skip-url-encoding"):
            names.add(str(param.get("name")))
    return names


def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """Load and index the spec once (cached).

    `path` is a folder (every `*.openapi.yaml` in it, one file per provider area, merged into
    one `Spec`) or a single OpenAPI file; by default `specs_dir()`.
    """
    p = Path(path) if path is not None else specs_dir()
    if not p.is_dir() and p.suffix not in (".yaml", ".yml", ".json"):
        p = p / SPEC_FILE
    return _load_spec(str(p.resolve()))


def spec_files(folder: Path) -> list[Path]:
    """The folder's OpenAPI documents: the VMSS one first (its component names stay unprefixed)."""
    files = sorted(folder.glob(f"*{SPEC_SUFFIX}"))
    return sorted(files, key=lambda f: (f.name != SPEC_FILE, f.name))


@lru_cache(maxsize=4)
def _load_spec(path: str) -> Spec:
    where = Path(path)
    if where.is_dir():
        files = spec_files(where)
        if not files:
            raise SpecError(f"cannot read spec: no *{SPEC_SUFFIX} files in {where}")
    else:
        files = [where]
    documents = [(f, _read_document(f)) for f in files]
    if len(documents) == 1:
        return Spec(document=documents[0][1], path=where)
    return Spec(document=merge_documents(documents), path=where)


def _read_document(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError(f"cannot read spec {path}: {e.strerror or e}") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        raise SpecError(f"spec {path} is not valid YAML: {e}") from None
    if not isinstance(doc, dict) or "paths" not in doc:
        raise SpecError(f"spec {path} is not an OpenAPI document (no 'paths')")
    return doc


def merge_documents(documents: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """One OpenAPI document from several, each self-contained.

    The first document is the base. Every later one has its components renamed `<stem>.<name>`
    (and its `$ref`s rewritten to match), so two files may both define `SubResource`; each of its
    operations carries the file's provider api-versions and schema version unless it names its own.
    A (path, method) or operationId defined twice is an error naming both files.
    """
    (_, base), rest = documents[0], documents[1:]
    merged = copy.deepcopy(base)
    merged.setdefault("components", {})
    versions: dict[str, list[str]] = {k: list(v) for k, v in (merged.get("x-api-versions") or {}).items()
                                       if isinstance(v, list)}
    owner: dict[str, str] = {}
    for path_item in merged.get("paths", {}).values():
        for method in _METHODS:
            raw = path_item.get(method) if isinstance(path_item, dict) else None
            if isinstance(raw, dict) and raw.get("operationId"):
                owner[raw["operationId"]] = documents[0][0].name
    for file, doc in rest:
        prefix = file.name[: -len(SPEC_SUFFIX)] if file.name.endswith(SPEC_SUFFIX) else file.stem
        doc = _namespaced(copy.deepcopy(doc), prefix)
        for section, entries in (doc.get("components") or {}).items():
            if isinstance(entries, dict):
                merged["components"].setdefault(section, {}).update(entries)
        file_versions = {k: v for k, v in (doc.get("x-api-versions") or {}).items() if isinstance(v, list)}
        for provider, listed in file_versions.items():
            known = versions.setdefault(provider, [])
            known.extend(v for v in listed if v not in known)
        schema_version = (doc.get("info") or {}).get("x-schema-api-version")
        for path, item in (doc.get("paths") or {}).items():
            target = merged["paths"].setdefault(path, {})
            for key, raw in item.items():
                if key not in _METHODS:
                    target.setdefault(key, raw)
                    continue
                if key in target:
                    raise SpecError(f"{key.upper()} {path} is defined twice ({file.name} and another spec file)")
                oid = raw.get("operationId")
                if oid in owner:
                    raise SpecError(f"operationId {oid} is defined in both {owner[oid]} and {file.name}")
                owner[oid] = file.name
                if "x-api-versions" not in raw:
                    provided = _provider_versions(path, file_versions)
                    if provided:
                        raw["x-api-versions"] = provided
                if schema_version and "x-schema-api-version" not in raw:
                    raw["x-schema-api-version"] = str(schema_version)
                target[key] = raw
    if versions:
        merged["x-api-versions"] = {**(merged.get("x-api-versions") or {}), **versions}
    return merged


_PROVIDER_RE = re.compile(r"/providers/([A-Za-z]+\.[A-Za-z.]+)/", re.IGNORECASE)


def _provider_versions(path: str, versions: dict[str, list[str]]) -> list[str]:
    """The api-versions of the provider that owns `path` (its last `/providers/<Namespace>/`)."""
    if not versions:
        return []
    found = _PROVIDER_RE.findall(path + "/")
    lowered = {k.lower(): v for k, v in versions.items()}
    if found and found[-1].lower() in lowered:
        return list(lowered[found[-1].lower()])
    return list(next(iter(versions.values())))


def _namespaced(doc: dict[str, Any], prefix: str) -> dict[str, Any]:
    """`doc` with every component renamed `<prefix>.<name>` and every local `$ref` rewritten."""
    components = doc.get("components") or {}
    doc["components"] = {
        section: {f"{prefix}.{name}": value for name, value in entries.items()} if isinstance(entries, dict)
        else entries
        for section, entries in components.items()
    }

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                section, _, name = ref[len("#/components/"):].partition("/")
                node["$ref"] = f"#/components/{section}/{prefix}.{name}"
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)
        return node

    rewrite(doc.get("paths"))
    rewrite(doc["components"])
    return doc


def warn_api_version(resolved: ApiVersion) -> None:
    """Emit the mapping warning of an unknown api-version (for callers that want Python warnings)."""
    if resolved.warning:
        warnings.warn(resolved.warning, stacklevel=2)
