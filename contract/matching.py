"""Request identity: when two requests are "the same" for replay and for the recorder.

ARM treats paths case-insensitively and query parameters as a set, and a JSON body
is its meaning, not its bytes. The host is not part of a request's identity, so a
cassette recorded from Azure and one recorded from the emulator are interchangeable.
Headers are never matched: they are volatile (dates, request ids, user agents).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from contract.cassette import Request

JSON_BODY_TAG = "json"
RAW_BODY_TAG = "raw"
_MISSING = object()


class RequestKey(NamedTuple):
    """Hashable identity of a request; equal keys replay the same recorded answers."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: tuple[str, str | bytes] | None


def normalize_path(path: str) -> str:
    """Case-folded, percent-decoded path without a trailing slash (ARM paths ignore case)."""
    path = unquote(path).lower()
    while "//" in path:
        path = path.replace("//", "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path or "/"


def normalize_query(query: str) -> tuple[tuple[str, str], ...]:
    """Order-insensitive query: (lower-cased name, value) pairs, sorted; repeated names kept."""
    if not query:
        return ()
    return tuple(sorted((name.lower(), value) for name, value in parse_qsl(query, keep_blank_values=True)))


def canonical_body(content: bytes | str | None) -> tuple[str, str | bytes] | None:
    """A JSON body by meaning (key order and whitespace ignored); anything else byte for byte."""
    if not content:
        return None
    if isinstance(content, str):
        content = content.encode("utf-8")
    if not content.strip():
        return None
    try:
        parsed = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return (RAW_BODY_TAG, content)
    return (JSON_BODY_TAG, json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def request_key(method: str, uri: str, body: bytes | str | None = None) -> RequestKey:
    """Identity of a request given its method, URI (absolute or path + query) and body."""
    parts = urlsplit(uri)
    return RequestKey(method.upper(), normalize_path(parts.path), normalize_query(parts.query),
                      canonical_body(body))


def key_of(request: Request) -> RequestKey:
    return request_key(request.method, request.uri, request.body)


# --------------------------------------------------------------------------- why a request missed

@dataclass(frozen=True)
class Candidate:
    """A recorded request offered for comparison, with a label saying where it lives."""

    request: Request
    label: str = ""


def differences(sent: Request, recorded: Request, limit: int = 5) -> list[str]:
    """Human-readable differences between a sent and a recorded request (host ignored)."""
    a, b = key_of(sent), key_of(recorded)
    out: list[str] = []
    if a.method != b.method:
        out.append(f"method {a.method}, recorded {b.method}")
    out.extend(_path_differences(a.path, b.path))
    out.extend(_query_differences(a.query, b.query))
    out.extend(_body_differences(a.body, b.body, sent, recorded))
    if len(out) > limit:
        out = out[:limit] + [f"... and {len(out) - limit} more"]
    return out


def distance(sent: Request, recorded: Request) -> float:
    """How far apart two requests are; the closest recorded ones explain a miss best."""
    a, b = key_of(sent), key_of(recorded)
    score = 0.0
    if a.method != b.method:
        score += 4
    sa, sb = a.path.split("/"), b.path.split("/")
    score += 3 * abs(len(sa) - len(sb)) + 3 * sum(x != y for x, y in zip(sa, sb))
    qa, qb = dict(a.query), dict(b.query)
    score += 2 * len(set(qa) ^ set(qb)) + sum(qa[k] != qb[k] for k in set(qa) & set(qb))
    if a.body != b.body:
        score += min(len(_body_differences(a.body, b.body, sent, recorded)), 5) * 0.5 or 0.5
    return score


def explain_miss(request: Request, candidates: Iterable[Request | Candidate], closest: int = 3) -> str:
    """Why `request` matched nothing: the closest recorded requests and how each differs."""
    pool = [c if isinstance(c, Candidate) else Candidate(c) for c in candidates]
    head = f"No recorded interaction matches {request.method.upper()} {_path_qs(request.uri)}."
    if not pool:
        return head + " The cassette holds no interactions."
    # Identical keys are one candidate: they differ from the request in the same way.
    seen: dict[RequestKey, Candidate] = {}
    for cand in pool:
        seen.setdefault(key_of(cand.request), cand)
    ranked = sorted(seen.values(), key=lambda c: distance(request, c.request))[:closest]
    lines = [head, "Closest recorded requests:"]
    for n, cand in enumerate(ranked, 1):
        where = f" [{cand.label}]" if cand.label else ""
        lines.append(f"  {n}. {cand.request.method.upper()} {_path_qs(cand.request.uri)}{where}")
        diffs = differences(request, cand.request) or ["identical, but every recorded answer was already served"]
        lines.extend(f"     - {d}" for d in diffs)
    return "\n".join(lines)


def _path_qs(uri: str) -> str:
    parts = urlsplit(uri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _path_differences(a: str, b: str) -> list[str]:
    if a == b:
        return []
    sa, sb = a.strip("/").split("/"), b.strip("/").split("/")
    out = [f"path segment {i + 1}: {x!r}, recorded {y!r}" for i, (x, y) in enumerate(zip(sa, sb)) if x != y]
    if len(sa) != len(sb):
        extra = sa[len(sb):] if len(sa) > len(sb) else sb[len(sa):]
        who = "sent" if len(sa) > len(sb) else "recorded"
        out.append(f"path has {abs(len(sa) - len(sb))} more segment(s) in the {who} request: "
                   f"/{'/'.join(extra)}")
    return out


def _query_differences(a: Sequence[tuple[str, str]], b: Sequence[tuple[str, str]]) -> list[str]:
    qa, qb = _multi(a), _multi(b)
    out: list[str] = []
    for name in sorted(set(qa) | set(qb)):
        va, vb = qa.get(name), qb.get(name)
        if va == vb:
            continue
        if va is None:
            out.append(f"query {name} missing (recorded {_one(vb)})")
        elif vb is None:
            out.append(f"query {name}={_one(va)} not in the recording")
        else:
            out.append(f"query {name}: {_one(va)}, recorded {_one(vb)}")
    return out


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _one(values: list[str] | None) -> str:
    if not values:
        return "''"
    return repr(values[0]) if len(values) == 1 else repr(values)


def _body_differences(a: Any, b: Any, sent: Request, recorded: Request) -> list[str]:
    if a == b:
        return []
    if a is None:
        return ["body empty, recorded one has content"]
    if b is None:
        return ["body has content, recorded one is empty"]
    if a[0] == JSON_BODY_TAG and b[0] == JSON_BODY_TAG:
        return json_differences(sent.json(), recorded.json())
    if a[0] != b[0]:
        which = "sent" if a[0] == RAW_BODY_TAG else "recorded"
        return [f"body: the {which} one is not JSON"]
    return [f"body is not JSON (nor is the recorded one) and the bytes differ "
            f"({len(a[1])} sent, {len(b[1])} recorded)"]


def json_differences(a: Any, b: Any, path: str = "$", limit: int = 20) -> list[str]:
    """JSON paths where `a` (sent) and `b` (recorded) disagree, e.g. `$.sku.capacity: 3, recorded 2`."""
    out: list[str] = []
    _json_diff(a, b, path, out, limit)
    return out


def _json_diff(a: Any, b: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"
            va, vb = a.get(key, _MISSING), b.get(key, _MISSING)
            if va is _MISSING:
                out.append(f"body {sub} missing (recorded {_short(vb)})")
            elif vb is _MISSING:
                out.append(f"body {sub}={_short(va)} not in the recording")
            else:
                _json_diff(va, vb, sub, out, limit)
            if len(out) >= limit:
                return
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"body {path}: {len(a)} items, recorded {len(b)}")
            return
        for i, (va, vb) in enumerate(zip(a, b)):
            _json_diff(va, vb, f"{path}[{i}]", out, limit)
        return
    if a == b and type(a) is type(b):
        return
    out.append(f"body {path}: {_short(a)}, recorded {_short(b)}")


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."
