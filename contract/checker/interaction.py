"""Checks that need one interaction only: request side, status, shape, headers.

Everything schema-shaped is asked of the spec (`validate_*`, `secret_paths`,
`response_schema`), and cross-field rules of the rules file: this module only
decides which question to ask and how to word the verdict.
"""
from __future__ import annotations

import json
import os
from collections import deque
from functools import lru_cache
from itertools import combinations
from typing import Any, Callable, NamedTuple

from contract.cassette import Interaction
from contract.checker.classify import Uri
from contract.checker.model import Violation

_MISSING = object()
# response headers the checks read; `Seen.header` folds only names of these lengths
_WANTED = ("azure-asyncoperation", "location", "content-type", "retry-after")
_WANTED_LENGTHS = frozenset(len(n) for n in _WANTED)


class Seen:
    """One interaction as the checks see it: parsed once, shared by every check.

    Bodies are read as the cassette stores them (usually `str`): no encode/decode round trip.
    """

    __slots__ = ("cassette", "index", "interaction", "uri", "method", "status", "operation", "params",
                 "_req", "_resp", "_headers", "body", "bodies", "ok", "operation_id", "blank", "version", "monitor")

    def __init__(self, cassette: str, index: int, interaction: Interaction, uri: Uri, method: str, status: int,
                 operation: Any, params: dict[str, str], bodies: Bodies | None = None) -> None:
        self.cassette, self.index, self.interaction, self.uri = cassette, index, interaction, uri
        self.method, self.status, self.operation, self.params = method, status, operation, params
        self._req: Any = _MISSING
        self._resp: Body | None = None
        self._headers: dict[str, str] | None = None
        self.body: str | bytes | None = interaction.response.body  # as stored
        self.bodies = bodies
        self.ok = 200 <= status < 300
        self.operation_id: str = operation.operation_id
        body = self.body
        # no response body, or only whitespace (`blank`, inlined: this runs per interaction)
        self.blank = not body or not (body.strip(_WS) if isinstance(body, str) else body.strip())
        self.version: str | None = uri.api_version  # looked up once per distinct URI (cached by `Uri`)
        self.monitor: bool = uri.monitor

    def header(self, name: str) -> str | None:
        """First value of a response header the checks read (lower-case name), from a dict built once.
        Only names of a wanted length are case-folded: answers carry a score of headers we never read."""
        h = self._headers
        if h is None:
            h = self._headers = {}
            headers = self.interaction.response.headers
            for k, folded in _wanted_keys(headers):
                vs = headers[k]
                if vs:
                    h.setdefault(folded, vs[0])
        return h.get(name)

    @property
    def content(self) -> bytes:
        """The response body as bytes (for byte counts in messages)."""
        return self.interaction.response.content

    @property
    def request_body(self) -> Any:
        if self._req is _MISSING:
            self._req = _parse(self.interaction.request.body)[0]
        return self._req

    @property
    def parsed(self) -> Body:
        """The response body with what was learnt about it (shared with equal bodies of the cassette)."""
        if self._resp is None:
            self._resp = self.bodies.get(self.body) if self.bodies is not None else Body(self.body)
        return self._resp

    @property
    def response_body(self) -> Any:
        parsed = self._resp
        return (parsed if parsed is not None else self.parsed).value

    @property
    def resp_is_json(self) -> bool:
        parsed = self._resp
        return (parsed if parsed is not None else self.parsed).is_json

    def violation(self, rule: str, message: str, path: str | None = None) -> Violation:
        req = self.interaction.request
        return Violation(self.cassette, self.index, rule, self.operation_id, message, path,
                         req.method.upper(), req.uri, self.status)


_KEY_PLANS: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}


def _wanted_keys(headers: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """(name as stored, folded name) of the wanted headers among `headers`, in their order.
    Answers of one server carry the same header names over and over: worked out once per name set."""
    names = tuple(headers)
    plan = _KEY_PLANS.get(names)
    if plan is None:
        lengths = _WANTED_LENGTHS
        plan = tuple((k, k.lower()) for k in names if len(k) in lengths and k.lower() in _WANTED)
        if len(_KEY_PLANS) > 512:  # bounded: header names come from traffic
            _KEY_PLANS.clear()
        _KEY_PLANS[names] = plan
    return plan


_WS = " \t\n\r\x0b\x0c"  # what bytes.strip() strips: a str is blank exactly when its UTF-8 bytes are


def blank(body: str | bytes | None) -> bool:
    """True for a missing, empty or whitespace-only body (as stored)."""
    if not body:
        return True
    if isinstance(body, str):
        return not body.strip(_WS)
    return not body.strip()


def _parse(body: str | bytes | None) -> tuple[Any, bool]:
    """(parsed body or None, whether it was JSON). Empty bodies are (None, False).

    A `str` body is parsed as it is; `json.loads` of its UTF-8 bytes gives the same value except
    after a BOM or NULs in the first bytes (it then guesses UTF-8-sig/16/32): those take the bytes path.
    """
    if blank(body):
        return None, False
    try:
        if isinstance(body, str):
            if body[0] == "\ufeff" or "\x00" in body[:4]:
                return json.loads(body.encode("utf-8")), True
            return json.loads(body), True
        return json.loads(body), True  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError):
        return None, False


@lru_cache(maxsize=8)
def secret_hints(names: frozenset[str]) -> tuple[str, ...]:
    """Substrings that any JSON text naming one of `names` as a member contains: '"name"' for each,
    merged where names share a long quoted prefix or suffix ('"protectedSettings"' and
    '"protectedParameters"' -> '"protected'). Only a prefilter before the exact walk, so fewer,
    shorter needles (each a full scan of the body) lose nothing."""
    needles = {f'"{n}"' for n in names}
    merged = True
    while merged:
        merged = False
        for a, b in combinations(sorted(needles), 2):
            prefix = os.path.commonprefix([a, b])
            suffix = os.path.commonprefix([a[::-1], b[::-1]])[::-1]
            common = prefix if len(prefix) >= len(suffix) else suffix
            if len(common) >= 8:
                needles -= {a, b}
                needles.add(common)
                merged = True
                break
    return tuple(sorted(needles))


def mentions(body: str | bytes | None, hints: tuple[str, ...], byte_hints: tuple[bytes, ...]) -> bool:
    """Does the stored body contain one of the hints (C substring searches, no parsing)?"""
    if not body:
        return False
    for h in hints if isinstance(body, str) else byte_hints:  # a plain loop: no generator per body
        if h in body:
            return True
    return False


class Body:
    """A response body parsed once, and the verdicts that depend on nothing but it (and the
    operation/status it answered): schema errors, whether it names a secret, the secrets' paths.
    The parsed value is shared by every interaction that got the same text: read it, never write it."""

    __slots__ = ("text", "value", "is_json", "errors", "secrets")

    def __init__(self, text: str | bytes | None) -> None:
        self.text = text
        self.value, self.is_json = _parse(text)
        self.errors: dict[tuple[str, int], list[Any]] = {}  # (operationId, status) -> SchemaErrors
        self.secrets: list[str] | None = None  # JSON paths of echoed secrets, once looked for


class Bodies:
    """Per-cassette memo of the most recent distinct response bodies: a recording polls and re-reads
    the same resources, and about a third of its answers repeat a recent one byte for byte. Compared
    by length first (one dict look-up), then text (a memcmp), so a body is never hashed. Only a short
    window is kept: repeats are recent, and letting older parsed trees go keeps memory flat."""

    WINDOW = 16

    def __init__(self) -> None:
        self._recent: deque[Body] = deque()  # oldest first
        self._by_length: dict[int, list[Body]] = {}

    def get(self, text: str | bytes | None) -> Body:
        if not text:
            return Body(text)
        n = len(text)
        same = self._by_length.get(n)
        if same is not None:
            for known in same:
                if known.text is text or (type(known.text) is type(text) and known.text == text):
                    return known
        body = Body(text)
        if same is None:
            same = self._by_length[n] = []
        same.append(body)
        recent = self._recent
        recent.append(body)
        if len(recent) > self.WINDOW:
            gone = recent.popleft()
            bucket = self._by_length[len(gone.text)]  # type: ignore[arg-type]
            if len(bucket) == 1:
                del self._by_length[len(gone.text)]  # type: ignore[arg-type]
            else:
                bucket.remove(gone)
        return body


class _Plan(NamedTuple):
    """The checks an answer needs, given only its operation and status."""

    error: bool  # 4xx/5xx: the CloudError shape
    declared: bool  # a status the operation declares
    documented: bool  # ... with a documented body
    lro: bool  # long-running 201/202: polling headers required
    retry: bool  # 4xx other than 429: Retry-After not allowed


def _first(errors: list[Any]) -> tuple[str, str | None]:
    e = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{e.message}{more}", e.path


class InteractionChecks:
    """Stateless per-interaction checks bound to one spec and one rules object."""

    def __init__(self, spec: Any, rules: Any, unknown_version: type[Exception]) -> None:
        self.spec = spec
        self.rules = rules
        self.unknown_version = unknown_version
        self._has_body: dict[tuple[str, int], bool] = {}
        self._plans: dict[tuple[str, int], _Plan] = {}  # (operationId, status) -> which checks apply
        # a secret can only be echoed if its name is in the raw text: skip the tree walk otherwise
        # (`in` is a C substring search; a regex alternation was slower than the walk)
        self._secret_hints = secret_hints(frozenset(getattr(spec, "secret_names", ()) or ()))
        self._secret_byte_hints = tuple(h.encode() for h in self._secret_hints)
        # (api-version, operationId) -> effective version, or the UnknownApiVersion it raised
        self._versions: dict[tuple[str, str], str | Exception] = {}

    def run(self, s: Seen, current_model: Callable[[str], dict[str, Any] | None]) -> list[Violation]:
        """Every single-interaction check, in a fixed order: request side, status, shape, headers.
        `current_model(path)` is the last model the state machines saw of the resource at `path`."""
        out: list[Violation] = []
        if s.monitor and s.operation_id == "OperationStatus_Get":
            # the monitor=true Location URL returns the action's result (often empty), not a status body
            return out
        plan = self._plans.get((s.operation_id, s.status)) or self._plan(s)
        self._request_side(s, current_model, out)
        if plan.error:
            self._status(s, out)
        else:
            if not plan.declared:
                self._status(s, out)
            else:
                self._shape(s, plan.documented, out)
        if plan.lro and not s.header("azure-asyncoperation") and not s.header("location"):
            out.append(s.violation("lro-headers",
                                   f"long-running {s.status} answer carries neither Azure-AsyncOperation nor Location"))
        if plan.retry and s.header("retry-after") is not None:
            out.append(s.violation("retry-after-on-error", f"{s.status} answer carries Retry-After: {s.header('retry-after')}"))
        if not s.blank:
            parsed = s._resp
            if parsed is None:
                parsed = s.parsed  # parse once to learn whether it is JSON
            if parsed.is_json:
                ctype = (s.header("content-type") or "").lower()
                if "json" not in ctype:
                    out.append(s.violation("json-content-type", f"JSON body served as {ctype or 'no content type'!r}"))
        return out

    def _plan(self, s: Seen) -> _Plan:
        """Which checks an answer of this operation and status needs: worked out once per pair."""
        status, op = s.status, s.operation
        declared = status in op.statuses
        plan = _Plan(error=status >= 400, declared=declared,
                     documented=status < 400 and declared and self._documents_body(s.operation_id, status),
                     lro=status in (201, 202) and bool(op.long_running),
                     retry=400 <= status < 500 and status != 429)
        self._plans[(s.operation_id, status)] = plan
        return plan

    def _effective(self, version: str, operation_id: str) -> str | Exception:
        key = (version, operation_id)
        found = self._versions.get(key)
        if found is None:
            try:
                found = self.spec.resolve_api_version(version, operation_id).effective
            except self.unknown_version as exc:
                found = exc
            if len(self._versions) > 1024:  # bounded: versions come from traffic
                self._versions.clear()
            self._versions[key] = found
        return found

    # ---- request side --------------------------------------------------
    def _request_side(self, s: Seen, current_model: Callable[[], dict[str, Any] | None],
                      out: list[Violation]) -> str | None:
        """Request-side rules; returns the effective api-version the contract applies."""
        version = s.version
        effective: str | None = None
        if version is None:
            if s.ok:
                out.append(s.violation("api-version-missing",
                                       "answered 2xx to a request without api-version (ARM: 400 MissingApiVersionParameter)"))
        else:
            resolved = self._versions.get((version, s.operation_id)) or self._effective(version, s.operation_id)
            if isinstance(resolved, str):
                effective = resolved
            elif s.ok:
                out.append(s.violation("api-version-unknown", f"answered 2xx: {resolved}"))
        if not s.ok or s.method not in ("PUT", "PATCH", "POST"):
            return effective
        body = s.request_body
        if body is None and not blank(s.interaction.request.body):
            out.append(s.violation("invalid-request-accepted",
                                   "answered 2xx to a request body that is not JSON (ARM: 400 InvalidRequestContent)"))
            return effective
        if body is None and not getattr(s.operation, "request_body_required", s.method in ("PUT", "PATCH")):
            return effective
        errors = self.spec.validate_request(s.operation_id, body, effective)
        if errors:
            msg, path = _first(errors)
            out.append(s.violation("invalid-request-accepted",
                                   f"answered 2xx to a request the schema refuses: {msg}", path))
            return effective
        if self.rules is not None and isinstance(body, dict):
            current = current_model(s.uri.path) if s.method in ("PUT", "PATCH") else None
            broken = self.rules.check_request(s.operation_id, body, effective, current=current)
            if broken:
                r = broken[0]
                ids = ", ".join(dict.fromkeys(b.rule_id for b in broken))
                out.append(s.violation(
                    "invalid-request-accepted",
                    f"answered 2xx to a request that breaks rule {ids}: {r.message} (ARM: {r.status} {r.code})",
                    _target_path(r.target)))
        return effective

    # ---- status ----------------------------------------------------------
    def _status(self, s: Seen, out: list[Violation]) -> None:
        if s.status < 400:
            if s.status not in s.operation.statuses:
                declared = ", ".join(str(c) for c in s.operation.statuses) or "none"
                out.append(s.violation("undeclared-status",
                                       f"status {s.status} is not declared (declared: {declared})"))
            return
        body = s.response_body
        err = body.get("error") if isinstance(body, dict) else None
        problems: list[tuple[str, str]] = []
        if not isinstance(err, dict):
            problems.append(("$.error", "no CloudError object {\"error\": {...}}"))
        else:
            for key in ("code", "message"):
                if not isinstance(err.get(key), str) or not err.get(key):
                    problems.append((f"$.error.{key}", f"error.{key} is missing or not a non-empty string"))
            if not problems:
                for e in self._response_errors(s):
                    problems.append((e.path, e.message))
        if problems:
            path, msg = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            out.append(s.violation("error-shape", f"{s.status} answer: {msg}{more}", path))

    # ---- shape -----------------------------------------------------------
    def _documents_body(self, op_id: str, status: int) -> bool:
        key = (op_id, status)
        if key not in self._has_body:
            self._has_body[key] = self.spec.response_schema(op_id, status) is not None
        return self._has_body[key]

    def _shape(self, s: Seen, documented: bool, out: list[Violation]) -> None:
        """A declared non-error status: a body exactly where documented, valid, echoing no secret."""
        if s.blank:
            if documented:
                out.append(s.violation("empty-body", f"{s.status} answer has an empty body; the contract documents one"))
            return
        body = s.response_body
        if not documented:
            out.append(s.violation("empty-body",
                                   f"{s.status} answer has a body ({len(s.content)} bytes); the contract documents none"))
            return
        if not s.resp_is_json:
            out.append(s.violation("response-schema", f"{s.status} answer body is not JSON"))
            return
        errors = self._response_errors(s)
        if errors:
            msg, path = _first(errors)
            out.append(s.violation("response-schema", msg, path))
        parsed = s.parsed
        secrets = parsed.secrets
        if secrets is None:
            if self._secret_hints and not mentions(s.body, self._secret_hints, self._secret_byte_hints):
                secrets = []
            else:
                secrets = self.spec.secret_paths(body)
            parsed.secrets = secrets
        for path in secrets:
            out.append(s.violation("secret-echoed", f"the answer echoes writeOnly member {path.rsplit('.', 1)[-1]!r}", path))

    def _response_errors(self, s: Seen) -> list[Any]:
        """`validate_response` of the parsed body, once per distinct body and (operation, status)."""
        parsed = s.parsed
        key = (s.operation_id, s.status)
        errors = parsed.errors.get(key)
        if errors is None:
            errors = parsed.errors[key] = self.spec.validate_response(s.operation_id, s.status, parsed.value)
        return errors


def _target_path(target: str | None) -> str | None:
    if not target:
        return None
    return target if target.startswith("$") else f"$.{target}"
