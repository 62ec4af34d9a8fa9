"""Checks that need one interaction only: request side, status, shape, headers.

Everything schema-shaped is asked of the spec (`validate_*`, `secret_paths`,
`response_schema`), and cross-field rules of the rules file: this module only
decides which question to ask and how to word the verdict.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from contract.cassette import Interaction
from contract.checker.classify import Uri
from contract.checker.model import Violation

_MISSING = object()
# response headers the checks read; `Seen.header` folds only names of these lengths
_WANTED = ("azure-asyncoperation", "location", "content-type", "retry-after")
_WANTED_LENGTHS = frozenset(len(n) for n in _WANTED)


@dataclass
class Seen:
    """One interaction as the checks see it: parsed once, shared by every check."""

    cassette: str
    index: int
    interaction: Interaction
    uri: Uri
    method: str
    status: int
    operation: Any  # contract.specs.Operation
    params: dict[str, str]
    _req: Any = field(default=_MISSING, repr=False)
    _resp: Any = field(default=_MISSING, repr=False)
    resp_is_json: bool = False
    _headers: dict[str, str] | None = field(default=None, repr=False)
    _content: bytes | None = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        """First value of a response header the checks read (lower-case name), from a dict built once.
        Only names of a wanted length are case-folded: answers carry a score of headers we never read."""
        if self._headers is None:
            h: dict[str, str] = {}
            for k, vs in self.interaction.response.headers.items():
                if vs and len(k) in _WANTED_LENGTHS:
                    h.setdefault(k.lower(), vs[0])
            self._headers = h
        return self._headers.get(name)

    @property
    def content(self) -> bytes:
        """The response body as bytes (converted once)."""
        if self._content is None:
            self._content = self.interaction.response.content
        return self._content

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_body(self) -> Any:
        if self._req is _MISSING:
            self._req = _parse(self.interaction.request.content)[0]
        return self._req

    @property
    def response_body(self) -> Any:
        if self._resp is _MISSING:
            self._resp, self.resp_is_json = _parse(self.content)
        return self._resp

    def violation(self, rule: str, message: str, path: str | None = None) -> Violation:
        req = self.interaction.request
        return Violation(self.cassette, self.index, rule, self.operation_id, message, path,
                         req.method.upper(), req.uri, self.status)


def _parse(content: bytes) -> tuple[Any, bool]:
    """(parsed body or None, whether it was JSON). Empty bodies are (None, False)."""
    if not content or not content.strip():
        return None, False
    try:
        return json.loads(content), True
    except (ValueError, UnicodeDecodeError):
        return None, False


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
        # a secret can only be echoed if its name is in the raw bytes: skip the tree walk otherwise
        # (`in` on bytes is a C substring search; a regex alternation was slower than the walk)
        self._secret_hints = tuple(f'"{n}"'.encode() for n in sorted(getattr(spec, "secret_names", ()) or ()))

    def run(self, s: Seen, current_model: Callable[[], dict[str, Any] | None]) -> list[Violation]:
        out: list[Violation] = []
        if s.uri.monitor and s.operation_id == "OperationStatus_Get":
            # the monitor=true Location URL returns the action's result (often empty), not a status body
            return out
        self._request_side(s, current_model, out)
        self._status(s, out)
        self._shape(s, out)
        self._headers(s, out)
        return out

    # ---- request side --------------------------------------------------
    def _request_side(self, s: Seen, current_model: Callable[[], dict[str, Any] | None],
                      out: list[Violation]) -> str | None:
        """Request-side rules; returns the effective api-version the contract applies."""
        version = s.uri.api_version
        effective: str | None = None
        if version is None:
            if s.ok:
                out.append(s.violation("api-version-missing",
                                       "answered 2xx to a request without api-version (ARM: 400 MissingApiVersionParameter)"))
        else:
            try:
                effective = self.spec.resolve_api_version(version, s.operation_id).effective
            except self.unknown_version as exc:
                if s.ok:
                    out.append(s.violation("api-version-unknown", f"answered 2xx: {exc}"))
        if not s.ok or s.method not in ("PUT", "PATCH", "POST"):
            return effective
        content = s.interaction.request.content
        body = s.request_body
        if content.strip() and body is None:
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
            current = current_model() if s.method in ("PUT", "PATCH") else None
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
                for e in self.spec.validate_response(s.operation_id, s.status, body):
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

    def _shape(self, s: Seen, out: list[Violation]) -> None:
        if s.status >= 400 or s.status not in s.operation.statuses:
            return
        content = s.content
        documented = self._documents_body(s.operation_id, s.status)
        if not content.strip():
            if documented:
                out.append(s.violation("empty-body", f"{s.status} answer has an empty body; the contract documents one"))
            return
        body = s.response_body
        if not documented:
            out.append(s.violation("empty-body",
                                   f"{s.status} answer has a body ({len(content)} bytes); the contract documents none"))
            return
        if not s.resp_is_json:
            out.append(s.violation("response-schema", f"{s.status} answer body is not JSON"))
            return
        errors = self.spec.validate_response(s.operation_id, s.status, body)
        if errors:
            msg, path = _first(errors)
            out.append(s.violation("response-schema", msg, path))
        if self._secret_hints and not any(h in content for h in self._secret_hints):
            return
        for path in self.spec.secret_paths(body):
            out.append(s.violation("secret-echoed", f"the answer echoes writeOnly member {path.rsplit('.', 1)[-1]!r}", path))

    # ---- headers ---------------------------------------------------------
    def _headers(self, s: Seen, out: list[Violation]) -> None:
        if s.status in (201, 202) and s.operation.long_running:
            if not s.header("azure-asyncoperation") and not s.header("location"):
                out.append(s.violation("lro-headers",
                                       f"long-running {s.status} answer carries neither Azure-AsyncOperation nor Location"))
        if 400 <= s.status < 500 and s.status != 429 and s.header("retry-after") is not None:
            out.append(s.violation("retry-after-on-error",
                                   f"{s.status} answer carries Retry-After: {s.header('retry-after')}"))
        if s.content.strip():
            s.response_body  # noqa: B018 - parse once to learn whether it is JSON
            if s.resp_is_json:
                ctype = (s.header("content-type") or "").lower()
                if "json" not in ctype:
                    out.append(s.violation("json-content-type",
                                           f"JSON body served as {ctype or 'no content type'!r}"))


def _target_path(target: str | None) -> str | None:
    if not target:
        return None
    return target if target.startswith("$") else f"$.{target}"
