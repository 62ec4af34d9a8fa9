"""Checks that need one interaction only: request side, status, shape, headers.

Everything schema-shaped is asked of the spec (`validate_*`, `secret_paths`,
`response_schema`), and cross-field rules of the rules file: this module only
decides which question to ask and how to word the verdict.
"""
from __future__ import annotations

import json
import os
import re
from collections import deque
from functools import lru_cache
from itertools import combinations
from typing import Any, Callable, NamedTuple

from contract.cassette import Interaction
from contract.checker.classify import Place
from contract.checker.deployments import secret_names_echoed
from contract.checker.model import Violation
from contract.facts import load_facts
from contract.jsondepth import as_strict_json

_MISSING = object()
# response headers the checks read; `Seen.header` folds only names of these lengths
_WANTED = ("azure-asyncoperation", "location", "content-type", "retry-after")
_WANTED_LENGTHS = frozenset(len(n) for n in _WANTED)


class Seen:
    """One interaction as the checks see it: parsed once, shared by every check.

    What depends only on the request line (operation, api-version, path) comes from its `Place`,
    worked out once per cassette. Bodies are read as the cassette stores them (usually `str`).
    """

    __slots__ = ("cassette", "index", "interaction", "place", "uri", "method", "status", "operation", "params",
                 "_req", "_resp", "_headers", "body", "bodies", "ok", "operation_id", "version", "monitor")

    def __init__(self, cassette: str, index: int, interaction: Interaction, place: Place, status: int,
                 bodies: Bodies | None = None) -> None:
        self.cassette, self.index, self.interaction, self.place = cassette, index, interaction, place
        self.uri, self.method, self.status = place.uri, place.method, status
        self.operation, self.params, self.operation_id = place.operation, place.params, place.operation_id
        self.version, self.monitor = place.version, place.monitor
        self._req: Any = _MISSING
        self._resp: Body | None = None
        self._headers: dict[str, str] | None = None
        self.body: str | bytes | None = interaction.response.body  # as stored
        self.bodies = bodies
        self.ok = 200 <= status < 300

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


# The answers are most of the checker's parsing: pydantic-core's JSON reader (jiter, Rust) builds the same Python
# values as json.loads about 1.6x faster on the corpus. Optional (installed with pydantic, not a declared
# dependency): without it, or for any text it refuses, json.loads parses as before, so verdicts are the same.
try:
    from pydantic_core import from_json as _fast_loads
except ImportError:  # pragma: no cover - depends on the environment
    _fast_loads = None

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
            if _fast_loads is not None:
                try:
                    return _fast_loads(body), True
                except ValueError:
                    pass  # whatever it refuses (a lone surrogate escape...), json.loads decides
            return json.loads(body), True
        return json.loads(body), True  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError):
        pass
    strict = as_strict_json(body)  # what ARM's Json.NET also reads: comments, unquoted names (az's template splice)
    if strict is not None:
        try:
            return json.loads(strict), True
        except ValueError:
            pass
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
    """A response body parsed once, and the verdicts that depend on nothing but it and the
    operation/status it answered (schema errors, CloudError shape, echoed secrets), kept per
    (operationId, status). The parsed value is shared by every interaction that got the same text:
    read it, never write it."""

    __slots__ = ("text", "blank", "value", "is_json", "verdicts", "secrets")

    def __init__(self, text: str | bytes | None) -> None:
        self.text = text
        self.blank = blank(text)
        self.value, self.is_json = (None, False) if self.blank else _parse(text)
        self.verdicts: dict[tuple[str, int, str | None], list[tuple[str, str, str | None]]] = {}  # -> (rule, message, path)
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
        self._none = Body(None)  # every missing/empty body

    def get(self, text: str | bytes | None) -> Body:
        if not text:
            return self._none
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
    """What the checks of an answer need that depends only on its request line and status."""

    key: tuple[str, int, str | None]  # (operationId, status, effective api-version): which verdicts of a body apply
    error: bool  # 4xx/5xx: the CloudError shape
    declared: bool  # a status the operation declares
    documented: bool  # ... with a documented body
    lro: bool  # long-running 201/202: polling headers required
    retry: bool  # 4xx other than 429: Retry-After not allowed
    write: bool  # PUT/PATCH/POST: the request body is checked when answered 2xx
    effective: str | None  # the api-version whose contract applies (None: missing or unknown)
    version_problem: tuple[str, str] | None  # (rule, message) when answered 2xx


_MAX_REQUEST_FINDINGS = 20  # per request body: enough to see each refused member, bounded for junk bodies


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
        # (operationId, status, api-version) -> what the checks of such an answer need; bounded (versions come from traffic)
        self._plans: dict[tuple[str, int, str | None], _Plan] = {}
        # a secret can only be echoed if its name is in the raw text: skip the tree walk otherwise
        # (`in` is a C substring search; a regex alternation was slower than the walk)
        self._secret_hints = secret_hints(frozenset(getattr(spec, "secret_names", ()) or ()))
        self._secret_byte_hints = tuple(h.encode() for h in self._secret_hints)
        # (api-version, operationId) -> effective version, or the UnknownApiVersion it raised
        self._versions: dict[tuple[str, str], str | Exception] = {}
        self._facts = load_facts()  # the provisioning states (specs/rules.yaml facts), shared with the emulator
        self._states: dict[str, frozenset[str]] = {}  # operationId -> the provisioning states it may answer

    def run(self, s: Seen, current_model: Callable[[str], dict[str, Any] | None]) -> list[Violation]:
        """Every single-interaction check, in a fixed order: request side, status, shape, headers.
        `current_model(path)` is the last model the state machines saw of the resource at `path`."""
        out: list[Violation] = []
        if s.monitor and s.operation_id == "OperationStatus_Get":
            # the monitor=true Location URL returns the action's result (often empty), not a status body
            return out
        plan = self._plans.get((s.operation_id, s.status, s.version)) or self._plan(s)
        if s.ok:
            if plan.version_problem is not None:
                out.append(s.violation(*plan.version_problem))
            if plan.write:
                self._request_body(s, plan.effective, current_model, out)
        body = s._resp
        if body is None:
            body = s.parsed
        verdict = body.verdicts.get(plan.key)
        if verdict is None:
            verdict = body.verdicts[plan.key] = self._verdict(s, plan, body)
        for rule, message, path in verdict:
            out.append(s.violation(rule, message, path))
        if plan.lro and not s.header("azure-asyncoperation") and not s.header("location") \
                and not (s.status == 201 and self._finished(body)):
            out.append(s.violation("lro-headers",
                                   f"long-running {s.status} answer carries neither Azure-AsyncOperation nor Location"))
        if plan.retry and s.header("retry-after") is not None:
            out.append(s.violation("retry-after-on-error", f"{s.status} answer carries Retry-After: {s.header('retry-after')}"))
        if body.is_json:
            ctype = (s.header("content-type") or "").lower()
            if "json" not in ctype:
                out.append(s.violation("json-content-type", f"JSON body served as {ctype or 'no content type'!r}"))
        return out

    def _finished(self, body: Body) -> bool:
        """A 201 the provider completed before answering: the created resource is in a terminal
        provisioningState (ARM's 'Track asynchronous Azure operations': a 201 does not by itself mean the
        operation is asynchronous; a terminal provisioningState means it finished). Such an answer needs
        no Azure-AsyncOperation; a 202 always does. Whether 201 is documented is the status check's."""
        value = body.value if body.is_json else None
        props = value.get("properties") if isinstance(value, dict) else None
        state = props.get("provisioningState") if isinstance(props, dict) else None
        return isinstance(state, str) and self._facts.is_terminal(state)

    def _plan(self, s: Seen) -> _Plan:
        """What the checks of an answer of this operation, status and api-version need: worked out once."""
        status, op, op_id = s.status, s.operation, s.operation_id
        declared = status in op.statuses
        version, effective, problem = s.version, None, None
        if version is None:
            problem = ("api-version-missing",
                       "answered 2xx to a request without api-version (ARM: 400 MissingApiVersionParameter)")
        else:
            resolved = self._versions.get((version, op_id)) or self._effective(version, op_id)
            if isinstance(resolved, str):
                effective = resolved
            else:
                problem = ("api-version-unknown", f"answered 2xx: {resolved}")
        plan = _Plan(key=(op_id, status, effective), error=status >= 400, declared=declared,
                     documented=status < 400 and declared and self._documents_body(op_id, status),
                     lro=status in (201, 202) and bool(op.long_running),
                     retry=400 <= status < 500 and status != 429,
                     write=s.method in ("PUT", "PATCH", "POST"), effective=effective, version_problem=problem)
        if len(self._plans) > 4096:
            self._plans.clear()
        self._plans[(op_id, status, version)] = plan
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

    def _verdict(self, s: Seen, plan: _Plan, body: Body) -> list[tuple[str, str, str | None]]:
        """Status and shape findings, which depend only on the body and (operation, status):
        judged once per distinct body, re-told for every interaction that got it."""
        out: list[tuple[str, str, str | None]] = []
        if plan.error or not plan.declared:
            self._status(s, body, out)
        else:
            self._shape(s, plan.documented, body, out, plan.effective)
        return out

    # ---- request side --------------------------------------------------
    def _request_body(self, s: Seen, effective: str | None, current_model: Callable[[str], dict[str, Any] | None],
                      out: list[Violation]) -> None:
        """The body of a write answered 2xx: JSON, valid against the request schema, breaking no rule."""
        body = s.request_body
        if body is None and not blank(s.interaction.request.body):
            out.append(s.violation("invalid-request-accepted",
                                   "answered 2xx to a request body that is not JSON (ARM: 400 InvalidRequestContent)"))
            return
        if body is None and not getattr(s.operation, "request_body_required", s.method in ("PUT", "PATCH")):
            return
        errors = self.spec.validate_request(s.operation_id, body, effective)
        if errors:
            # one finding per JSON path (its first message): a recorded mismatch at one path
            # (metadata.checker.known) must not hide a second refusal elsewhere in the same body
            by_path: dict[str | None, list[Any]] = {}
            for e in errors:
                by_path.setdefault(e.path, []).append(e)
            for path, at in list(by_path.items())[:_MAX_REQUEST_FINDINGS]:
                msg, _ = _first(at)
                out.append(s.violation("invalid-request-accepted",
                                       f"answered 2xx to a request the schema refuses: {msg}", path))
            return
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

    # ---- status ----------------------------------------------------------
    def _status(self, s: Seen, parsed: Body, out: list[tuple[str, str, str | None]]) -> None:
        if s.status < 400:
            if s.status not in s.operation.statuses:
                declared = ", ".join(str(c) for c in s.operation.statuses) or "none"
                out.append(("undeclared-status", f"status {s.status} is not declared (declared: {declared})", None))
            return
        if s.method == "HEAD":
            return  # a HEAD answer has no body (RFC 9110 9.3.2): CheckExistence's 404 is the whole answer
        body = parsed.value
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
            out.append(("error-shape", f"{s.status} answer: {msg}{more}", path))

    # ---- shape -----------------------------------------------------------
    def _documents_body(self, op_id: str, status: int) -> bool:
        key = (op_id, status)
        if key not in self._has_body:
            self._has_body[key] = self.spec.response_schema(op_id, status) is not None
        return self._has_body[key]

    def _shape(self, s: Seen, documented: bool, parsed: Body, out: list[tuple[str, str, str | None]],
               effective: str | None = None) -> None:
        """A declared non-error status: a body exactly where documented, valid, echoing no secret."""
        if parsed.blank:
            if documented and not self.spec.response_body_optional(s.operation_id, s.status):
                out.append(("empty-body", f"{s.status} answer has an empty body; the contract documents one", None))
            return
        if not documented:
            out.append(("empty-body",
                        f"{s.status} answer has a body ({len(s.content)} bytes); the contract documents none", None))
            return
        if not parsed.is_json:
            out.append(("response-schema", f"{s.status} answer body is not JSON", None))
            return
        body = parsed.value
        errors, drift = self.spec.check_response(s.operation_id, s.status, body, effective)
        if errors:
            msg, path = _first(errors)
            out.append(("response-schema", msg, path))
        if drift:
            out.extend(_drift(drift, effective))
        allowed = self._states.get(s.operation_id)
        if allowed is None:
            allowed = self._states[s.operation_id] = self._facts.provisioning | self._facts.extras.get(
                s.operation_id, frozenset())
        if not _states_clean(parsed.text, allowed):
            for path, state in _provisioning_states(body):
                if isinstance(state, str) and not self._facts.is_provisioning_state(state, s.operation_id):
                    out.append(("provisioning-state", f"provisioningState {state!r} is not one of ARM's states "
                                f"({', '.join(self._facts.raw['provisioning-states']['values'])})", path))
        secrets = parsed.secrets
        if secrets is None:
            if self._secret_hints and not mentions(parsed.text, self._secret_hints, self._secret_byte_hints):
                secrets = []
            else:
                secrets = self.spec.secret_paths(body)
            parsed.secrets = secrets
        for path in secret_names_echoed(s.operation_id, secrets) if secrets else ():
            out.append(("secret-echoed", f"the answer echoes writeOnly member {path.rsplit('.', 1)[-1]!r}", path))


_STATE_MEMBER = re.compile(r'"provisioningState"\s*:\s*("?)([A-Za-z]*)')
_STATE_MEMBER_BYTES = re.compile(rb'"provisioningState"\s*:\s*("?)([A-Za-z]*)')


def _states_clean(text: str | bytes | None, allowed: frozenset[str]) -> bool:
    """True when every `provisioningState` member in the stored answer is a plain string in `allowed`
    (case ignored): one C regex scan of the text, no tree walk. A member it cannot read that way (a
    non-string, an escape) makes it say False, and `_provisioning_states` walks the parsed body exactly."""
    if not text:
        return True
    if isinstance(text, str):
        for quote, value in _STATE_MEMBER.findall(text):
            if not quote or value.casefold() not in allowed:
                return False
        return True
    for quote, value in _STATE_MEMBER_BYTES.findall(text):
        if not quote or value.decode().casefold() not in allowed:
            return False
    return True


def _provisioning_states(node: Any, path: str = "$") -> list[tuple[str, Any]]:
    """(JSON path, value) of every `provisioningState` member in an answer: the resource's own, each listed
    resource's, its extensions' (instance-view status *codes* like ProvisioningState/succeeded are values, not members)."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "provisioningState":
                found.append((f"{path}.{k}", v))
            elif isinstance(v, (dict, list)):
                found.extend(_provisioning_states(v, f"{path}.{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, (dict, list)):
                found.extend(_provisioning_states(v, f"{path}[{i}]"))
    return found


_INDEX = re.compile(r"\[\d+\]")


def _drift(found: list[Any], version: str | None) -> list[tuple[str, str, str | None]]:
    """One `drift` finding per undocumented member, counted once per shape of path (a list of 50 VMs that
    all carry the same new member is one finding, `$.value[0].x`, saying how many more there are)."""
    seen: dict[str, list[Any]] = {}
    for e in found:
        seen.setdefault(_INDEX.sub("[*]", e.path), []).append(e)
    under = f" at api-version {version}" if version else ""
    out = []
    for same in seen.values():
        e = same[0]
        name = e.path.rsplit(".", 1)[-1]
        more = f" (and {len(same) - 1} more like it)" if len(same) > 1 else ""
        out.append(("drift", f"answer member {name!r} is not documented by any schema{under}{more}", e.path))
    return out


def _target_path(target: str | None) -> str | None:
    if not target:
        return None
    return target if target.startswith("$") else f"$.{target}"
