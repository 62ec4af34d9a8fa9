"""Scrub secrets and pseudonymise identities before an interaction touches disk.

What goes (replaced by `Sanitized`, shape kept so the spec still validates):
Authorization/cookie-style headers, writeOnly members of the spec and the known ARM secrets
(adminPassword, customData, protectedSettings, protectedParameters, runAsPassword, anything
under `secrets`), SAS signatures (`sig=`) in any URL, bearer tokens and JWTs anywhere, and
whatever the user's rules name (header names, JSON paths, regexes).

What is pseudonymised: subscription, tenant, object/principal/client ids and ARM request ids.
A fake id is an HMAC of the real one under a per-project salt, shaped as a GUID, so the same
real id maps to the same fake one in URIs, headers and bodies and across sessions, while the
fake reveals nothing about the real id. Fakes carry a 32-bit tag (also an HMAC) so applying
the sanitizer twice is harmless. The all-zero GUID is left alone.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets as _secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from contract.cassette import Body, Headers, Interaction, Request, Response

log = logging.getLogger("vmss_contract.sanitize")

SANITIZED = "Sanitized"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
SALT_ENV = "VMSS_CONTRACT_SALT"
PROJECT_SALT_FILE = Path(".vmss-contract") / "salt"

# Headers that carry credentials: never recorded.
REMOVE_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-ms-authorization-auxiliary",
    "ocp-apim-subscription-key", "x-api-key", "x-functions-key", "x-ms-encryption-key",
})
# Headers whose GUIDs identify a caller or a request: pseudonymised.
ID_HEADERS = frozenset({
    "x-ms-client-request-id", "x-ms-correlation-request-id", "x-ms-request-id",
    "x-ms-routing-request-id", "x-ms-arm-service-request-id", "x-ms-client-tenant-id",
    "x-ms-home-tenant-id", "x-ms-client-principal-id", "x-ms-client-object-id",
    "x-ms-client-app-id", "x-ms-tenant-id", "x-ms-client-principal-name",
})
# Known secret members (the spec's writeOnly set is added when it loads).
SECRET_FIELDS = frozenset({
    "adminpassword", "customdata", "protectedsettings", "protectedparameters", "runaspassword",
    "password", "clientsecret", "client_secret", "secret", "secrets", "accesstoken", "access_token",
    "refreshtoken", "refresh_token", "primarykey", "secondarykey", "connectionstring", "sastoken",
    "protectedsettingsfromkeyvault", "userdata",
})
# JSON members whose GUIDs are identities (learned, then replaced wherever they occur).
ID_FIELDS = frozenset({
    "subscriptionid", "tenantid", "hometenantid", "objectid", "principalid", "clientid",
    "applicationid", "appid", "oid", "tid", "managedbytenantid",
})

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID_RE = re.compile(_GUID)
# Searching from the first dash lets `re` skip ahead with a literal: ~30x faster than GUID_RE.
_GUID_TAIL = re.compile(r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = frozenset("0123456789abcdefABCDEF")
_SUBSCRIPTION_AFTER = re.compile(rf"(?:/|%2[fF])({_GUID})")
_TENANT_URL_RE = re.compile(rf"(?i)(?:login\.microsoftonline\.com|sts\.windows\.net|login\.windows\.net)"
                            rf"(?:/|\\/)({_GUID})")
_SIG_RE = re.compile(r"(?i)((?:[?&]|\\u0026|%26)sig(?:=|%3D))[^&\s\"'\\<>]+")
# A token after "Bearer", but not the auth-params of a WWW-Authenticate challenge.
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+|%20)"
                        r"(?!(?:authorization_uri|authorization|realm|error|error_description|resource|"
                        r"resource_id|scope|claims)\s*=)[A-Za-z0-9\-._~+/]{8,}=*")
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_FORM_KEYS = ("client_secret=", "password=", "refresh_token=", "access_token=", "assertion=")
_FORM_SECRET_RE = re.compile(
    r"(?i)\b(client_secret|password|refresh_token|access_token|client_assertion|assertion)=[^&\s\"']+")


def iter_guids(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of every GUID-shaped run in `text` (what GUID_RE.finditer finds, faster)."""
    last = 0
    for m in _GUID_TAIL.finditer(text):
        start = m.start() - 8
        if start < last or not all(c in _HEX for c in text[start:m.start()]):
            continue
        last = m.end()
        yield start, last


def sub_guids(text: str, fn: Callable[[str], str]) -> str:
    """Replace every GUID in `text` by fn(guid)."""
    out: list[str] = []
    last = 0
    for start, end in iter_guids(text):
        out.append(text[last:start])
        out.append(fn(text[start:end]))
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


# --------------------------------------------------------------------------- configuration

@dataclass
class SanitizerConfig:
    """What to scrub beyond the defaults; loaded from a YAML/JSON file or a mapping.

    ```yaml
    salt_file: .vmss-contract/salt      # or `salt: ...`; default: $VMSS_CONTRACT_SALT,
                                        # ./.vmss-contract/salt if present, else a per-user salt
    remove_headers: [X-My-Token]        # dropped from requests and responses
    secret_fields: [storageKey]         # JSON members (any depth, any case) -> "Sanitized"
    json_paths: ["$.properties.settings.apiKey", "$..sasUrl"]
    regexes:                            # applied to URIs, header values and bodies
      - {pattern: "AccountKey=[^;]+", replacement: "AccountKey=Sanitized"}
    pseudonymise_ids: true
    ```
    """

    salt: bytes | None = None
    remove_headers: frozenset[str] = frozenset()
    secret_fields: frozenset[str] = frozenset()
    json_paths: tuple[str, ...] = ()
    regexes: tuple[tuple[re.Pattern[str], str], ...] = ()
    pseudonymise_ids: bool = True
    use_spec: bool = True

    @classmethod
    def load(cls, source: SanitizerConfig | Mapping[str, Any] | str | os.PathLike[str] | None) -> SanitizerConfig:
        if source is None:
            return cls()
        if isinstance(source, SanitizerConfig):
            return source
        base = Path.cwd()
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            try:
                data = yaml.safe_load(path.read_text("utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise ValueError(f"sanitizer config {path}: {exc}") from None
            base = path.parent
        else:
            data = source
        if not isinstance(data, Mapping):
            raise ValueError("sanitizer config must be a mapping")
        data = data.get("sanitize", data)
        known = {"salt", "salt_file", "remove_headers", "secret_fields", "json_paths", "regexes",
                 "pseudonymise_ids", "use_spec"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"sanitizer config: unknown keys {sorted(unknown)} (known: {sorted(known)})")
        salt: bytes | None = None
        if data.get("salt"):
            salt = str(data["salt"]).encode()
        elif data.get("salt_file"):
            salt = _read_salt(base / str(data["salt_file"]), create=True)
        regexes = []
        for n, rule in enumerate(data.get("regexes") or []):
            if isinstance(rule, str):
                rule = {"pattern": rule}
            try:
                regexes.append((re.compile(rule["pattern"]), str(rule.get("replacement", SANITIZED))))
            except (KeyError, TypeError, re.error) as exc:
                raise ValueError(f"sanitizer config: regexes[{n}] is not a valid rule: {exc}") from None
        paths = tuple(str(p) for p in data.get("json_paths") or ())
        for p in paths:
            _parse_json_path(p)  # fail at start, not mid-recording
        return cls(
            salt=salt,
            remove_headers=frozenset(str(h).lower() for h in data.get("remove_headers") or ()),
            secret_fields=frozenset(str(f).lower() for f in data.get("secret_fields") or ()),
            json_paths=paths,
            regexes=tuple(regexes),
            pseudonymise_ids=bool(data.get("pseudonymise_ids", True)),
            use_spec=bool(data.get("use_spec", True)),
        )


def _read_salt(path: Path, create: bool) -> bytes | None:
    try:
        value = path.read_bytes().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    value = _secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its salt
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(value + b"\n")
    log.info("created pseudonymisation salt %s (keep it to get the same fake ids next time)", path)
    return value


def project_salt() -> bytes:
    """$VMSS_CONTRACT_SALT, else `.vmss-contract/salt` in this folder or the nearest parent
    that has one (commit it, or set the variable in CI, to share fake ids across a team),
    else a per-user salt created once (the same fakes across sessions on this machine)."""
    env = os.environ.get(SALT_ENV)
    if env:
        return env.encode()
    here = Path.cwd()
    for folder in (here, *here.parents):
        local = _read_salt(folder / PROJECT_SALT_FILE, create=False)
        if local:
            return local
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return _read_salt(cache / "vmss-contract" / "salt", create=True) or b""


# --------------------------------------------------------------------------- JSON paths

_PATH_TOKEN = re.compile(r"\.\.([A-Za-z_$][\w$-]*|\*)|\.([A-Za-z_$][\w$-]*|\*)|\[(\d+|\*)\]|\[['\"]([^'\"]+)['\"]\]")


def _parse_json_path(path: str) -> list[tuple[str, str]]:
    """`$.a.b[0]['c d'][*]..e` -> [(kind, name)], kind in child/index/any/deep."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path {path!r} must start with '$'")
    out: list[tuple[str, str]] = []
    pos = 1
    while pos < len(path):
        m = _PATH_TOKEN.match(path, pos)
        if not m:
            raise ValueError(f"JSON path {path!r}: cannot read from {path[pos:]!r}")
        deep, child, index, quoted = m.groups()
        if deep is not None:
            out.append(("deep", deep))
        elif child is not None:
            out.append(("any", "") if child == "*" else ("child", child))
        elif index is not None:
            out.append(("any", "") if index == "*" else ("index", index))
        else:
            out.append(("child", quoted))
        pos = m.end()
    return out


def _apply_path(node: Any, steps: list[tuple[str, str]], fn: Callable[[Any], Any]) -> None:
    """Replace every value `steps` selects in `node` by fn(value), in place."""
    if not steps:
        return
    kind, name = steps[0]
    rest = steps[1:]

    def visit(container: Any, key: Any) -> None:
        if rest:
            _apply_path(container[key], rest, fn)
        else:
            container[key] = fn(container[key])

    if kind == "child" and isinstance(node, dict) and name in node:
        visit(node, name)
    elif kind == "index" and isinstance(node, list) and int(name) < len(node):
        visit(node, int(name))
    elif kind == "any":
        keys = list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
        for k in keys:
            visit(node, k)
    elif kind == "deep":
        stack = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                for k in list(cur):
                    if name == "*" or k == name:
                        visit(cur, k)
                    if isinstance(cur.get(k), (dict, list)):
                        stack.append(cur[k])
            elif isinstance(cur, list):
                stack.extend(v for v in cur if isinstance(v, (dict, list)))


def _scrub_value(value: Any) -> Any:
    """Every scalar leaf becomes `Sanitized` (numbers 0); objects and lists keep their shape."""
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return 0
    return SANITIZED


# --------------------------------------------------------------------------- the sanitizer

@dataclass
class _Body:
    """A body being sanitized: its text and, for JSON, the parsed document."""

    text: str | None
    raw: Body
    doc: Any = None
    is_json: bool = False
    changed: bool = False
    unparsed: bool = False  # looked like JSON but did not parse (broken or hostile nesting)
    leaves: list[str] = field(default_factory=list)  # secret string values found by the JSON walk


class Sanitizer:
    """`Sanitizer(config).interaction(i)` for the recorder, `.request(r)` for replay's matching."""

    def __init__(self, config: SanitizerConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
                 *, spec: Any = None) -> None:
        self.config = SanitizerConfig.load(config)
        self._salt = self.config.salt if self.config.salt is not None else project_salt()
        self._key = hmac.new(self._salt, b"vmss-contract fake id", hashlib.sha256).digest()
        self._known: set[str] = set()  # real identity GUIDs (lower case) seen so far
        self._fakes: dict[str, str] = {}
        self._checked: dict[str, bool] = {}  # is_fake answers (an HMAC each)
        names = set(SECRET_FIELDS) | set(self.config.secret_fields)
        if self.config.use_spec:
            names |= {n.lower() for n in _spec_secret_names(spec)}
        self.secret_fields = frozenset(names)
        self.remove_headers = REMOVE_HEADERS | self.config.remove_headers
        self._secret_set: set[str] = set()
        self._secret_values: list[str] = []
        # `\"adminPassword\": \"...\"`: a secret member inside JSON that is itself in a string
        alternatives = "|".join(re.escape(n) for n in sorted(self.secret_fields))
        self._escaped_secret_re = re.compile(
            rf'(?i)(\\+"(?:{alternatives})\\+"\s*:\s*\\+")((?:[^"\\]|\\(?!"))*?)(\\+")') if alternatives else None
        # `"adminPassword": "..."` in JSON that does not parse (string values only)
        self._raw_secret_re = re.compile(
            rf'(?i)("(?:{alternatives})"\s*:\s*")(?:[^"\\]|\\.)*"') if alternatives else None
        self._paths = [_parse_json_path(p) for p in self.config.json_paths]
        self._walk_names = tuple(f'"{n}"' for n in sorted(self.secret_fields | ID_FIELDS))

    # ---- ids --------------------------------------------------------------
    def _tag(self, head: str) -> str:
        return hmac.new(self._key, head.encode(), hashlib.sha256).hexdigest()[:8]

    def is_fake(self, guid: str) -> bool:
        """True when `guid` is a fake this salt produced (so it is never faked twice)."""
        low = guid.lower()
        known = self._checked.get(low)
        if known is None:
            compact = low.replace("-", "")
            known = len(compact) == 32 and compact[24:] == self._tag(compact[:24])
            if len(self._checked) >= 100_000:
                self._checked.clear()
            self._checked[low] = known
        return known

    def fake_id(self, real: str) -> str:
        """The stable fake GUID for a real one (the all-zero GUID and fakes map to themselves)."""
        low = real.lower()
        cached = self._fakes.get(low)
        if cached is not None:
            return cached
        if low == ZERO_GUID or self.is_fake(low):
            return real
        digest = hmac.new(self._key, low.encode(), hashlib.sha256).digest()
        head = uuid.UUID(bytes=digest[:16], version=4).hex[:24]
        fake = str(uuid.UUID(hex=head + self._tag(head)))
        if len(self._fakes) > 100_000:
            self._fakes.clear()
        self._fakes[low] = fake
        return fake

    def _learn(self, guid: str) -> None:
        low = guid.lower()
        if low != ZERO_GUID and low not in self._known and not self.is_fake(low):
            if len(self._known) >= 100_000:  # request ids accumulate over a long session
                self._known.clear()
            self._known.add(low)

    def _learn_text(self, text: str) -> None:
        low = text.lower()
        pos = low.find("subscriptions")
        while pos != -1:
            m = _SUBSCRIPTION_AFTER.match(text, pos + len("subscriptions"))
            if m and (low[pos - 1: pos] == "/" or low[pos - 3: pos] == "%2f"):
                self._learn(m.group(1))
            pos = low.find("subscriptions", pos + 1)
        if "microsoftonline" in low or "windows.net" in low:
            for m in _TENANT_URL_RE.finditer(text):
                self._learn(m.group(1))

    def _learn_doc(self, node: Any) -> None:
        stack = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                for k, v in cur.items():
                    if k.lower() in self.secret_fields and v is not None:
                        found: list[str] = []
                        _collect_strings(v, found)
                        for value in found:
                            self._remember_secret(value)
                        continue
                    if isinstance(v, str):
                        if k.lower() in ID_FIELDS:
                            for a, b in iter_guids(v):
                                self._learn(v[a:b])
                    elif isinstance(v, (dict, list)):
                        stack.append(v)
            elif isinstance(cur, list):
                stack.extend(v for v in cur if isinstance(v, (dict, list)))

    # ---- text rules -------------------------------------------------------
    def _known_sub(self, g: str) -> str:
        return self.fake_id(g) if g.lower() in self._known else g

    def scrub_text(self, text: str) -> str:
        """URL/token/id rules for any string: URIs, header values, bodies.

        Each regex runs only when a plain substring test says it can match: `in` scans
        a 12 MB body in milliseconds, a regex in half a second.
        """
        if not text:
            return text
        low = text.lower()
        if "sig=" in low or "sig%3d" in low:
            text = _SIG_RE.sub(lambda m: m.group(1) + SANITIZED, text)
        if "bearer" in low:
            text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{SANITIZED}", text)
        if "eyJ" in text:
            text = _JWT_RE.sub(SANITIZED, text)
        if "=" in text and any(k in low for k in _FORM_KEYS):
            text = _FORM_SECRET_RE.sub(lambda m: f"{m.group(1)}={SANITIZED}", text)
        if '\\"' in text and self._escaped_secret_re is not None:
            text = self._escaped_secret_re.sub(lambda m: m.group(1) + SANITIZED + m.group(3), text)
        if self._secret_values:
            for value in self._secret_values:
                if value in text:
                    text = text.replace(value, SANITIZED)
        if self.config.pseudonymise_ids and self._known and "-" in text:
            text = sub_guids(text, self._known_sub)
        for pattern, replacement in self.config.regexes:
            text = pattern.sub(replacement, text)
        return text

    def _remember_header_secret(self, name: str, value: str) -> None:
        if name in ("cookie", "set-cookie"):
            for part in value.split(";"):
                self._remember_secret(part.partition("=")[2].strip())
        else:
            scheme, _, token = value.strip().partition(" ")
            self._remember_secret(token.strip() if token and scheme.isalpha() else value.strip())

    def _remember_secret(self, value: str) -> None:
        """A secret value seen in a member is scrubbed wherever else it shows up (echoes,
        JSON nested in strings, later interactions). Short values would hit innocent text."""
        if len(value) < 6 or value == SANITIZED or value in self._secret_set:
            return
        if len(self._secret_set) >= 10_000:
            self._secret_set.clear()
        self._secret_set.add(value)
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]
        forms = {value, escaped} if '"' not in value and "\\" not in value else {escaped}
        self._secret_values = sorted(set(self._secret_values) | forms, key=len, reverse=True)

    # ---- headers ----------------------------------------------------------
    def _headers(self, headers: Headers) -> Headers:
        out: Headers = {}
        for name, values in headers.items():
            low = name.lower()
            if low in self.remove_headers:
                continue
            if low in ID_HEADERS and self.config.pseudonymise_ids:
                values = [sub_guids(v, self.fake_id) for v in values]
            out[name] = [self.scrub_text(v) for v in values]
        return out

    def _learn_headers(self, headers: Headers) -> None:
        for name, values in headers.items():
            low = name.lower()
            if low in self.remove_headers:  # what we drop is a secret wherever else it appears
                for v in values:
                    self._remember_header_secret(low, v)
                continue
            if not self.config.pseudonymise_ids:
                continue
            for v in values:
                if low in ID_HEADERS:  # also replaced where they leak into bodies and other headers
                    for a, b in iter_guids(v):
                        self._learn(v[a:b])
                self._learn_text(v)

    # ---- bodies -----------------------------------------------------------
    def _open_body(self, raw: Body, headers: Headers) -> _Body:
        if raw is None or raw == b"" or raw == "":
            return _Body(None, raw)
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return _Body(raw.decode("latin-1"), raw)  # binary: only the text rules apply
        else:
            text = raw
        body = _Body(text, raw)
        stripped = text.lstrip()
        if stripped[:1] in ("{", "[") and self._worth_parsing(text):
            try:
                body.doc = json.loads(text)
                body.is_json = True
            except (ValueError, RecursionError):
                body.unparsed = True  # secret members are then found by a regex instead
        return body

    def _scrub_structure(self, body: _Body) -> None:
        if body.is_json:
            try:
                self._scrub_doc(body)
            except RecursionError:
                body.is_json, body.unparsed, body.changed = False, True, False

    def _worth_parsing(self, text: str) -> bool:
        """Only JSON with a non-empty secret or identity member (or user paths) needs a walk;
        most ARM answers have none (`"secrets": []` is in every model), and skipping the
        parse and walk makes the common answer several times cheaper to sanitize."""
        if self._paths:
            return True
        low = text.lower()
        for quoted in self._walk_names:
            pos = low.find(quoted)
            while pos != -1:
                after = "".join(low[pos + len(quoted): pos + len(quoted) + 24].split())
                if not after.startswith((":[]", ":null", ":{}", ':""')):
                    return True
                pos = low.find(quoted, pos + 1)
        return False

    def _scrub_doc(self, body: _Body) -> None:
        """Secret members and user JSON paths -> `Sanitized` (shape kept)."""
        names = self.secret_fields

        def scrub(value: Any) -> Any:
            replaced = _scrub_value(value)
            if replaced != value:
                body.changed = True
                _collect_strings(value, body.leaves)
            return replaced

        stack = [body.doc]
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                for k in list(cur):
                    v = cur[k]
                    if k.lower() in names and v is not None:
                        cur[k] = scrub(v)
                    elif isinstance(v, (dict, list)):
                        stack.append(v)
            elif isinstance(cur, list):
                stack.extend(v for v in cur if isinstance(v, (dict, list)))
        for steps in self._paths:
            _apply_path(body.doc, steps, scrub)

    def _close_body(self, body: _Body) -> Body:
        if body.text is None:
            return body.raw
        text = body.text
        if body.changed:
            text = self._replace_leaves(text, body)
        if body.unparsed and self._raw_secret_re is not None:
            text = self._raw_secret_re.sub(lambda m: m.group(1) + SANITIZED + '"', text)
        text = self.scrub_text(text)
        if text == body.text:
            return body.raw
        if isinstance(body.raw, bytes):
            try:
                body.raw.decode("utf-8")
            except UnicodeDecodeError:
                return text.encode("latin-1", errors="replace")
            return text.encode("utf-8")
        return text

    def _replace_leaves(self, text: str, body: _Body) -> str:
        """Put `Sanitized` where the secrets were, keeping the rest of the text byte for byte;
        if a secret is not found verbatim (escaped differently), re-serialize the document."""
        for leaf in sorted(set(body.leaves), key=len, reverse=True):
            if leaf == SANITIZED:
                continue
            encoded = json.dumps(leaf)
            encoded_raw = json.dumps(leaf, ensure_ascii=False)
            if encoded in text:
                text = text.replace(encoded, f'"{SANITIZED}"')
            elif encoded_raw in text:
                text = text.replace(encoded_raw, f'"{SANITIZED}"')
            else:
                compact = "\n" not in body.text.strip() if body.text else True
                return json.dumps(body.doc, separators=(",", ":") if compact else None,
                                  indent=None if compact else 2, ensure_ascii=False)
        # Numbers scrubbed to 0 are not located in text: fall back when the documents differ.
        try:
            if json.loads(text) != body.doc:
                return json.dumps(body.doc, separators=(",", ":"), ensure_ascii=False)
        except ValueError:
            return json.dumps(body.doc, separators=(",", ":"), ensure_ascii=False)
        return text

    # ---- public API -------------------------------------------------------
    def request(self, r: Request) -> Request:
        """A request as it would be stored (replay applies this to match real-id requests)."""
        body = self._open_body(r.body, r.headers)
        self._learn_all(r.uri, r.headers, [body])
        return self._request(r, body)

    def response(self, r: Response) -> Response:
        body = self._open_body(r.body, r.headers)
        self._learn_all("", r.headers, [body])
        return self._response(r, body)

    def interaction(self, i: Interaction) -> Interaction:
        """The whole exchange, ids learned from both sides before anything is rewritten."""
        qb = self._open_body(i.request.body, i.request.headers)
        sb = self._open_body(i.response.body, i.response.headers)
        self._learn_all(i.request.uri, i.request.headers, [qb])
        self._learn_all("", i.response.headers, [sb])
        return Interaction(self._request(i.request, qb), self._response(i.response, sb))

    def _learn_all(self, uri: str, headers: Headers, bodies: Iterable[_Body]) -> None:
        ids = self.config.pseudonymise_ids
        if ids:
            self._learn_text(uri)
        self._learn_headers(headers)
        for b in bodies:
            if ids and b.text is not None:
                self._learn_text(b.text)
            if b.is_json:
                self._learn_doc(b.doc)

    def _request(self, r: Request, body: _Body) -> Request:
        self._scrub_structure(body)
        new_body = self._close_body(body)
        headers = _fix_length(self._headers(r.headers), r.body, new_body)
        return replace(r, uri=self.scrub_text(r.uri), body=new_body, headers=headers)

    def _response(self, r: Response, body: _Body) -> Response:
        self._scrub_structure(body)
        new_body = self._close_body(body)
        headers = _fix_length(self._headers(r.headers), r.body, new_body)
        return replace(r, reason=r.reason, body=new_body, headers=headers)


def _collect_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _collect_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _collect_strings(v, out)


def _fix_length(headers: Headers, old: Body, new: Body) -> Headers:
    """content-length follows the body after any rewrite (only where one was stored)."""
    if old is new:
        return headers
    size = str(len(new.encode("utf-8") if isinstance(new, str) else (new or b"")))
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = [size]
    return headers


def _spec_secret_names(spec: Any) -> frozenset[str]:
    if spec is None:
        try:
            from contract.specs import load_spec

            spec = load_spec()
        except Exception as exc:  # noqa: BLE001 - the built-in list still applies
            log.debug("spec not available for secret names: %s", exc)
            return frozenset()
    return frozenset(getattr(spec, "secret_names", ()) or ())
