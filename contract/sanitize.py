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
the sanitizer twice is harmless. The all-zero GUID is left alone. E-mail addresses and user
principal names become `user-<hmac>@example.invalid` the same way.

Fail closed: after the named rules, a final scan (`FINAL_RULES`, `scan_text`) looks at every
string about to be stored for what still looks like a secret whatever member it sits in:
PEM private keys, `AccountKey=`/`SharedAccessKey=`, 88-character storage keys, JWTs, SAS
signatures and OAuth form secrets in plain, %-encoded and double-encoded forms. What it finds
is redacted and logged with the rule's id (`Sanitizer.fired` counts them).
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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from contract import jsonpath
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
    "protectedsettingsfromkeyvault", "userdata", "privatekey", "private_key", "sharedkey",
    "storageaccountkey", "accountkey", "sharedaccesskey", "sasurl", "sasuri",
})
# Members whose value is one secret (remembered at any length and scrubbed where echoed);
# the other secret members are containers (protectedSettings...) whose leaves are remembered
# only when they look like secrets, so a resource name inside them stays replayable elsewhere.
PASSWORD_FIELDS = frozenset({
    "adminpassword", "password", "runaspassword", "clientsecret", "client_secret", "secret",
    "accesstoken", "access_token", "refreshtoken", "refresh_token", "primarykey", "secondarykey",
    "privatekey", "private_key", "sharedkey", "storageaccountkey", "accountkey", "sharedaccesskey",
    "sastoken",
})
_SECRET_KEY_NAME = re.compile(r"(?i)(pass|secret|key|token|sig|sas|cred|connection|cert|pwd)(?!.*(name|id|uri|url)$)")
_NAME_LIKE = re.compile(r"[A-Za-z0-9._-]*")
SECURE_TYPES = frozenset({"securestring", "secureobject"})
# A deployment's or template's parameter is an object of these members. One named like a secret
# (`adminPassword`) keeps its declaration (`type`, `metadata`, lengths, a Key Vault `reference`) and
# loses only its values: ARM answers a secure parameter as `{"type": "SecureString"}`, and a
# template declares it `{"type": "secureString"}`; scrubbing the type made the cassette say what
# Azure never said (and a template with a parameter of type "Sanitized" is invalid).
PARAMETER_MEMBERS = frozenset({"type", "value", "defaultvalue", "allowedvalues", "metadata", "reference",
                               "minlength", "maxlength", "minvalue", "maxvalue", "nullable"})
PARAMETER_VALUES = frozenset({"value", "defaultvalue", "allowedvalues"})


def _parameter_shaped(value: Any) -> bool:
    """An ARM parameter object (`{"type": ..., "value": ...}`, `{"value": ...}`, `{"type": "secureString"}`)."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and k.lower() in PARAMETER_MEMBERS for k in value)
# Headers that carry a user's name (UPN / e-mail): pseudonymised whole.
NAME_HEADERS = frozenset({"x-ms-client-principal-name", "x-ms-client-user-principal-name", "x-ms-user-name",
                          "x-ms-client-upn", "x-ms-client-principal-email"})
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
# `/{tenant}/oauth2/...`, `/tenants/{tenant}`: a tenant id in a URL before any body named it
_TENANT_PATH_RE = re.compile(rf"(?i)(?:/|%2F)({_GUID})(?:/|%2F)(?:oauth2|v2\.0|\.well-known|saml2|wsfed|"
                             rf"federationmetadata|kerberos|discovery)|/tenants/({_GUID})")
_EMAIL_RE = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
FAKE_EMAIL_DOMAIN = "example.invalid"
_TENANT_URL_RE = re.compile(rf"(?i)(?:login\.microsoftonline\.com|sts\.windows\.net|login\.windows\.net)"
                            rf"(?:/|\\/)({_GUID})")
# A URL separator or `=` in plain, %-encoded or double-encoded (%25...) form, and a value that
# ends at the next (possibly encoded) separator.
_SEP = r"(?:[?&;]|\\u0026|%(?:25)*(?:26|3[fF]))"
_EQ = r"(?:=|%(?:25)*3[dD])"
_VALUE = r"(?:(?!%(?:25)*26)[^&\s\"'\\<>])+"
_SIG_RE = re.compile(rf"(?i)({_SEP}sig{_EQ}){_VALUE}")
# A token after "Bearer", but not the auth-params of a WWW-Authenticate challenge.
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+|%20)"
                        r"(?!(?:authorization_uri|authorization|realm|error|error_description|resource|"
                        r"resource_id|scope|claims)\s*=)[A-Za-z0-9\-._~+/]{8,}=*")
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_U = r"(?:_|%(?:25)*5[fF])"  # `_`, %5F, %255F
# `name=` in plain, %-encoded and double-encoded form: what a form secret needs to be present
_FORM_HINTS = tuple(f"{name}{eq}" for name in ("secret", "password", "token", "assertion")
                    for eq in ("=", "%3d", "%253d"))
_FORM_SECRET_RE = re.compile(
    rf"(?i)(?<![A-Za-z0-9])(client{_U}secret|password|refresh{_U}token|access{_U}token|id{_U}token|"
    rf"client{_U}assertion|assertion)({_EQ}){_VALUE}")
_PEM_RE = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[^\"-]|-(?!----END))*(?:-----END[A-Z0-9 ]*PRIVATE KEY-----)?")
_CONN_KEY_RE = re.compile(
    rf"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|SharedSecret|"
    rf"PrimaryKey|SecondaryKey|AccessKey)({_EQ})[^;\"'\s<>\\]+")
# A storage account key: 64 random bytes in base64, 88 characters ending `==`, on its own.
_STORAGE_KEY_RE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])")


def _has_any(low: str, hints: tuple[str, ...]) -> bool:
    """Any of `hints` in `low` (a plain loop: cheaper than any() over a generator)."""
    for hint in hints:
        if hint in low:
            return True
    return False


@dataclass(frozen=True)
class ScanRule:
    """One pattern of the final scan: `hint` is a cheap substring test that must pass first."""

    id: str
    hint: Callable[[str, str], bool]  # (text, text.lower()) -> worth running the regex
    pattern: re.Pattern[str]
    replace: Callable[[re.Match[str]], str]


def _keep_prefix(m: re.Match[str]) -> str:
    return "".join(g for g in m.groups() if g) + SANITIZED


FINAL_RULES: tuple[ScanRule, ...] = (
    ScanRule("pem-private-key", lambda t, low: "PRIVATE KEY-----" in t, _PEM_RE, lambda m: SANITIZED),
    ScanRule("connection-string-key",
             lambda t, low: "key=" in low or "key%" in low or "signature=" in low or "signature%" in low
             or "secret=" in low, _CONN_KEY_RE, _keep_prefix),
    ScanRule("storage-account-key", lambda t, low: "==" in t, _STORAGE_KEY_RE, lambda m: SANITIZED),
    ScanRule("jwt", lambda t, low: "eyJ" in t, _JWT_RE, lambda m: SANITIZED),
    ScanRule("sas-signature", lambda t, low: "sig=" in low or "sig%" in low, _SIG_RE, _keep_prefix),
    ScanRule("bearer-token", lambda t, low: "bearer" in low, _BEARER_RE,
             lambda m: f"{m.group(1)}{m.group(2)}{SANITIZED}"),
    ScanRule("oauth-form-secret",
             lambda t, low: _has_any(low, _FORM_HINTS),
             _FORM_SECRET_RE, _keep_prefix),
)


# Every final-scan hint as plain substrings of the lower-cased text: most strings (header values,
# ordinary ARM models) pass after a few `in` tests, which scan at memory speed (a regex
# alternation here cost ~20x more).
_ANY_HINT = ("private key-----", "key=", "key%", "signature", "secret=", "==", "eyj", "sig=", "sig%", "bearer",
             *_FORM_HINTS)
# Every hint above holds one of these: text without any of them (most ARM JSON) skips the rest.
_GATE = ("=", "%", "-----", "eyj", "bearer")


def scan_text(text: str, rules: Iterable[ScanRule] = FINAL_RULES) -> tuple[str, list[str]]:
    """`text` with every final-scan match redacted, and the ids of the rules that fired."""
    fired: list[str] = []
    if not text:
        return text, fired
    low = text.lower()
    if rules is FINAL_RULES and not (_has_any(low, _GATE) and _has_any(low, _ANY_HINT)):
        return text, fired
    for rule in rules:
        if rule.hint(text, low):
            new = rule.pattern.sub(rule.replace, text)
            if new != text:
                fired.append(rule.id)
                text, low = new, new.lower()
    return text, fired


# ---- compressed bodies ----------------------------------------------------------

def decode_content(data: bytes, encoding: str) -> bytes:
    """The body under a Content-Encoding (gzip, deflate, br, identity; chains allowed).
    Raises ValueError when it cannot be decoded (unknown coding, corrupt data, no brotli)."""
    import zlib

    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        try:
            if coding in ("gzip", "x-gzip"):
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                try:
                    data = zlib.decompress(data)
                except zlib.error:  # raw deflate, as some servers send
                    data = zlib.decompress(data, -zlib.MAX_WBITS)
            elif coding == "br":
                try:
                    import brotli
                except ImportError:
                    raise ValueError("br body but the brotli package is not installed") from None
                data = brotli.decompress(data)
            elif coding != "identity":
                raise ValueError(f"unknown content coding {coding!r}")
        except (zlib.error, OSError) as exc:
            raise ValueError(f"corrupt {coding} body: {exc}") from None
        except Exception as exc:  # brotli.error
            if isinstance(exc, ValueError):
                raise
            raise ValueError(f"corrupt {coding} body: {exc}") from None
    return data


def decoded_message(body: Body, headers: Headers) -> tuple[Body, Headers]:
    """A stored body without its Content-Encoding (decoded, header dropped), so the rules can
    read it. One that cannot be decoded is dropped (fail closed: unscanned bytes never reach disk)."""
    coding = next((v for k, vs in headers.items() if k.lower() == "content-encoding" for v in vs), None)
    if coding is None:
        return body, headers
    rest = {k: v for k, v in headers.items() if k.lower() != "content-encoding"}
    if body is None or body == b"" or body == "":
        return body, rest
    raw = body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")
    try:
        data = decode_content(raw, coding)
    except ValueError as exc:
        log.warning("final scan: dropped a body that could not be decoded to scan (%s)", exc)
        rest["x-vmss-contract-dropped-body"] = [str(exc)[:200]]
        return None, rest
    try:
        return data.decode("utf-8"), rest
    except UnicodeDecodeError:
        return data, rest


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
            jsonpath.parse_selector(p)  # fail at start, not mid-recording
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
        self._paths = [jsonpath.parse_selector(p) for p in self.config.json_paths]
        self._walk_names = tuple(f'"{n}"' for n in sorted(self.secret_fields | ID_FIELDS | {"parameters", "keyname"}))
        self._short_secrets: set[str] = set()  # passwords under 6 characters: whole tokens only
        self._short_re: re.Pattern[str] | None = None
        self._secure_params: set[str] = set()  # deployment parameters declared secureString/Object
        self.fired: Counter[str] = Counter()  # final-scan rule id -> redactions (what the names missed)

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
        if "oauth2" in low or "/tenants/" in low or "well-known" in low or "/v2.0" in low:
            for m in _TENANT_PATH_RE.finditer(text):
                self._learn(m.group(1) or m.group(2))

    def _learn_doc(self, node: Any) -> None:
        stack = [node]
        parameter_maps: set[int] = set()  # ids of the `parameters` objects met on the way down
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                if "keyName" in cur and isinstance(cur.get("value"), str):  # listKeys: keys[].value
                    self._remember_secret(cur["value"], any_length=True)
                params = cur.get("parameters")
                if isinstance(params, dict) and self._secure_params:
                    for name, param in params.items():
                        if name.lower() in self._secure_params and isinstance(param, dict):
                            for member in ("value", "defaultValue"):
                                found: list[str] = []
                                _collect_strings(param.get(member), found)
                                for value in found:
                                    self._remember_secret(value, any_length=True)
                in_parameters = id(cur) in parameter_maps
                if isinstance(params, dict):
                    parameter_maps.add(id(params))
                for k, v in cur.items():
                    low_k = k.lower()
                    if low_k in self.secret_fields and v is not None:
                        if in_parameters and _parameter_shaped(v):  # only its values are secret
                            found = []
                            for member, held in v.items():
                                if member.lower() in PARAMETER_VALUES:
                                    _collect_strings(held, found)
                            for value in found:
                                self._remember_secret(value, any_length=low_k in PASSWORD_FIELDS)
                            continue
                        if low_k in PASSWORD_FIELDS or isinstance(v, str):
                            found = []
                            _collect_strings(v, found)
                            for value in found:
                                self._remember_secret(value, any_length=low_k in PASSWORD_FIELDS)
                        else:
                            for key, value in _collect_leaves(v):
                                if _looks_secret(key, value):
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

    def _learn_secure_params(self, node: Any) -> None:
        """Names of deployment parameters typed secureString/secureObject (in a template's
        `parameters` or ARM's echo of them), so their values go whatever they are called."""
        stack = [node]
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                params = cur.get("parameters")
                if isinstance(params, dict):
                    for name, param in params.items():
                        if isinstance(param, dict) and str(param.get("type", "")).lower() in SECURE_TYPES:
                            self._secure_params.add(name.lower())
                stack.extend(v for v in cur.values() if isinstance(v, (dict, list)))
            elif isinstance(cur, list):
                stack.extend(v for v in cur if isinstance(v, (dict, list)))

    def fake_email(self, address: str) -> str:
        """A stable fake for an e-mail address or user principal name (fakes map to themselves)."""
        if address.lower().endswith("@" + FAKE_EMAIL_DOMAIN):
            return address
        digest = hmac.new(self._key, b"upn:" + address.lower().encode(), hashlib.sha256).hexdigest()[:12]
        return f"user-{digest}@{FAKE_EMAIL_DOMAIN}"

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
        if "sig=" in low or "sig%" in low:
            text = _SIG_RE.sub(lambda m: m.group(1) + SANITIZED, text)
        if "bearer" in low:
            text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{SANITIZED}", text)
        if "eyJ" in text:
            text = _JWT_RE.sub(SANITIZED, text)
        if _has_any(low, _FORM_HINTS):
            text = _FORM_SECRET_RE.sub(_keep_prefix, text)
        if '\\"' in text and self._escaped_secret_re is not None:
            text = self._escaped_secret_re.sub(lambda m: m.group(1) + SANITIZED + m.group(3), text)
        if self._secret_values:
            for value in self._secret_values:
                if value in text:
                    text = text.replace(value, SANITIZED)
        if self.config.pseudonymise_ids:
            if self._known and "-" in text:
                text = sub_guids(text, self._known_sub)
            if "@" in text:
                text = _EMAIL_RE.sub(lambda m: self.fake_email(m.group(0)), text)
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

    def _remember_secret(self, value: str, any_length: bool = False) -> None:
        """A secret value seen in a member is scrubbed wherever else it shows up (echoes,
        JSON nested in strings, later interactions). A password shorter than 6 characters
        (`any_length`) is scrubbed only as a whole token in bodies and header values: as a
        substring it would hit innocent text and URIs."""
        if not value or value == SANITIZED or value in self._secret_set:
            return
        if len(value) < 6:
            if any_length and value not in self._short_secrets and not value.isspace():
                if len(self._short_secrets) >= 10_000:
                    self._short_secrets.clear()
                self._short_secrets.add(value)
                alternatives = "|".join(re.escape(v) for v in sorted(self._short_secrets, key=len, reverse=True))
                self._short_re = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
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
            if low in NAME_HEADERS and self.config.pseudonymise_ids:
                values = [self.fake_email(v.strip()) if v.strip() else v for v in values]
            elif low in ID_HEADERS and self.config.pseudonymise_ids:
                values = [sub_guids(v, self.fake_id) for v in values]
            out[name] = [self._final(self._scrub_short(self.scrub_text(v)), f"header {name}") for v in values]
        return out

    def _scrub_short(self, text: str) -> str:
        if self._short_re is not None and text:
            text = self._short_re.sub(SANITIZED, text)
        return text

    def _final(self, text: str, where: str) -> str:
        """The final scan: redact what still looks like a secret and say which rule fired."""
        text, fired = scan_text(text)
        for rule in fired:
            self.fired[rule] += 1
            log.warning("final scan: rule %s redacted a secret the named rules missed (%s)", rule, where)
        return text

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
                body.doc = _parse_limited(text)
                body.is_json = True
            except ValueError:
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
        if '\\"' in text:  # JSON echoed inside a JSON string: `\"adminPassword\": ...`
            return any(f'\\{quoted[:-1]}\\"' in low for quoted in self._walk_names)
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

        # JSON inside a string value (an echo): only when the text can hold one
        nested = body.text is not None and ('"{' in body.text or '"[' in body.text)
        stack = [body.doc]
        parameter_maps: set[int] = set()  # ids of the `parameters` objects met on the way down
        while stack:
            cur = stack.pop()
            if isinstance(cur, dict):
                if "keyName" in cur and isinstance(cur.get("value"), str):  # listKeys: keys[].value
                    cur["value"] = scrub(cur["value"])
                params = cur.get("parameters")
                if isinstance(params, dict) and self._secure_params:
                    for pname, param in params.items():
                        if pname.lower() in self._secure_params and isinstance(param, dict):
                            for member in ("value", "defaultValue"):
                                if param.get(member) is not None:
                                    param[member] = scrub(param[member])
                in_parameters = id(cur) in parameter_maps
                if isinstance(params, dict):
                    parameter_maps.add(id(params))
                for k in list(cur):
                    v = cur[k]
                    if k.lower() in names and v is not None:
                        if in_parameters and _parameter_shaped(v):  # its declaration stays, its values go
                            for member, held in v.items():
                                if member.lower() in PARAMETER_VALUES and held is not None:
                                    v[member] = scrub(held)
                        else:
                            cur[k] = scrub(v)
                    elif isinstance(v, (dict, list)):
                        stack.append(v)
                    elif nested and isinstance(v, str) and v[:1] in ("{", "["):
                        cur[k] = self._scrub_nested(v, body)
            elif isinstance(cur, list):
                if not nested:
                    stack.extend(v for v in cur if isinstance(v, (dict, list)))
                    continue
                for n, v in enumerate(cur):
                    if isinstance(v, (dict, list)):
                        stack.append(v)
                    elif isinstance(v, str) and v[:1] in ("{", "["):
                        cur[n] = self._scrub_nested(v, body)
        for steps in self._paths:
            jsonpath.replace_selected(body.doc, steps, scrub)

    def _scrub_nested(self, text: str, outer: _Body) -> str:
        """A JSON document inside a string (an echo, an error quoting the request): its secret
        members go too, structurally, so nothing in it has to be remembered by value."""
        if not self._worth_parsing(text):
            return text
        try:
            inner = _Body(text, text, doc=_parse_limited(text), is_json=True)
        except ValueError:
            return text
        self._learn_secure_params(inner.doc)
        self._learn_doc(inner.doc)
        self._scrub_doc(inner)
        if not inner.changed:
            return text
        outer.changed = True
        outer.leaves.extend(inner.leaves)
        return json.dumps(inner.doc, ensure_ascii=False)

    def _close_body(self, body: _Body) -> Body:
        if body.text is None:
            return body.raw
        text = body.text
        if body.changed:
            text = self._replace_leaves(text, body)
        if body.unparsed and self._raw_secret_re is not None:
            text = self._raw_secret_re.sub(lambda m: m.group(1) + SANITIZED + '"', text)
        text = self._final(self._scrub_short(self.scrub_text(text)), "body")
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
        r = _decoded(r)
        body = self._open_body(r.body, r.headers)
        self._learn_secure(body)
        self._learn_all(r.uri, r.headers, [body])
        return self._request(r, body)

    def response(self, r: Response) -> Response:
        r = _decoded(r)
        body = self._open_body(r.body, r.headers)
        self._learn_secure(body)
        self._learn_all("", r.headers, [body])
        return self._response(r, body)

    def interaction(self, i: Interaction) -> Interaction:
        """The whole exchange, ids and secrets learned from both sides before anything is
        rewritten (ARM's answer to a deployment names its secure parameters' types)."""
        request, response = _decoded(i.request), _decoded(i.response)
        qb = self._open_body(request.body, request.headers)
        sb = self._open_body(response.body, response.headers)
        self._learn_secure(qb)
        self._learn_secure(sb)
        self._learn_all(request.uri, request.headers, [qb])
        self._learn_all("", response.headers, [sb])
        return Interaction(self._request(request, qb), self._response(response, sb))

    def _learn_secure(self, body: _Body) -> None:
        if body.is_json and body.text is not None and "secure" in body.text.lower():
            self._learn_secure_params(body.doc)

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
        return replace(r, uri=self._final(self.scrub_text(r.uri), "uri"), body=new_body, headers=headers)

    def _response(self, r: Response, body: _Body) -> Response:
        self._scrub_structure(body)
        new_body = self._close_body(body)
        headers = _fix_length(self._headers(r.headers), r.body, new_body)
        return replace(r, reason=r.reason, body=new_body, headers=headers)


def _parse_limited(text: str) -> Any:
    from contract.jsondepth import parse_json

    return parse_json(text)


def _decoded(message: Any) -> Any:
    body, headers = decoded_message(message.body, message.headers)
    if headers is message.headers:
        return message
    return replace(message, body=body, headers=headers)


def _collect_leaves(value: Any, key: str = "") -> Iterable[tuple[str, str]]:
    """(member name, string) for every string leaf; list items inherit their list's name."""
    stack = [(key, value)]
    while stack:
        name, cur = stack.pop()
        if isinstance(cur, str):
            yield name, cur
        elif isinstance(cur, dict):
            stack.extend(cur.items())
        elif isinstance(cur, list):
            stack.extend((name, v) for v in cur)


def _looks_secret(key: str, value: str) -> bool:
    """Inside a protected container: is this leaf worth scrubbing wherever it appears?
    Yes for secret-named members, free text (commands, connection strings) and long tokens;
    no for a plain name (a storage account, a file), which other places legitimately carry."""
    if len(value) < 6:
        return False
    if _SECRET_KEY_NAME.search(key):
        return True
    if len(value) >= 32 or not _NAME_LIKE.fullmatch(value):
        return True
    # password-like: upper, lower and digits mixed (ARM names are mostly lower-case words)
    return len(value) >= 12 and any(c.isupper() for c in value) and any(c.islower() for c in value) \
        and any(c.isdigit() for c in value)


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


# --------------------------------------------------------------------------- existing cassettes

@dataclass
class ScrubReport:
    """What `scrub_cassette` changed in one file."""

    path: Path
    interactions: int
    changed: dict[int, list[str]]  # interaction index -> parts changed ("request.uri", "response.body"...)
    rules: Counter[str]  # final-scan rules that fired (secrets the named rules missed)
    written: bool

    def summary(self) -> str:
        if not self.changed:
            return f"{self.path}: clean ({self.interactions} interactions, nothing to change)"
        lines = [f"{self.path}: {len(self.changed)} of {self.interactions} interactions changed"
                 f"{'' if self.written else ' (dry run, not written)'}"]
        for n, parts in self.changed.items():
            lines.append(f"  interaction {n}: {', '.join(parts)}")
        if self.rules:
            lines.append("  final-scan rules fired: " + ", ".join(f"{r} x{c}" for r, c in sorted(self.rules.items())))
        return "\n".join(lines)


def scrub_cassette(path: str | os.PathLike[str], sanitizer: Sanitizer | None = None,
                   dry_run: bool = False) -> ScrubReport:
    """Re-sanitize a cassette in place with the current rules: atomically (temp file + rename),
    under the cassette's writer lock (so never under a running recorder). Two passes: ids and
    secrets revealed late in the file are scrubbed from the interactions before them too."""
    from contract.cassette import Cassette, CassetteLock, load_cassette, save_cassette

    p = Path(path)
    with CassetteLock(p):
        cassette = load_cassette(p)
        s = sanitizer or Sanitizer()
        for i in cassette.interactions:  # learn everything first
            s.interaction(i)
        before = Counter(s.fired)
        clean = [s.interaction(i) for i in cassette.interactions]
        changed: dict[int, list[str]] = {}
        for n, (old, new) in enumerate(zip(cassette.interactions, clean)):
            parts = [f"{side}.{part}" for side in ("request", "response")
                     for part in ("uri", "headers", "body")
                     if getattr(getattr(old, side), part, None) != getattr(getattr(new, side), part, None)]
            if parts:
                changed[n] = parts
        written = bool(changed) and not dry_run
        if written:
            save_cassette(Cassette(clean, str(p), cassette.metadata), p)
    return ScrubReport(p, len(clean), changed, s.fired - before, written)
