"""Move absolute URLs from one base to another in headers and bodies.

ARM answers carry absolute URLs (Azure-AsyncOperation, Location, nextLink, ids of
operation results). Replay points them at itself so clients poll it; the recorder
points them at itself for the client and at the canonical host on disk. Both
directions are the same operation: `rewrite_urls(value, from_base, to_base)`.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

CANONICAL_BASE = "https://management.azure.com"
# Headers whose value is a URL a client follows.
URL_HEADERS = frozenset({"azure-asyncoperation", "location", "operation-location", "content-location"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

T = TypeVar("T", str, bytes, Mapping)  # type: ignore[type-arg]


def base_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-cased, without the path."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def canonical_uri(uri: str, base: str = CANONICAL_BASE) -> str:
    """The same URI under `base` (scheme and host replaced, path and query kept)."""
    parts, target = urlsplit(uri), urlsplit(base)
    return urlunsplit((target.scheme, target.netloc, parts.path or "/", parts.query, parts.fragment))


@functools.lru_cache(maxsize=64)
def _pattern(from_base: str) -> tuple[re.Pattern[str], re.Pattern[bytes]]:
    parts = urlsplit(from_base if "://" in from_base else f"https://{from_base}")
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    default = _DEFAULT_PORTS.get(scheme)
    if port is None or port == default:
        port_re = f"(?::{default})?" if default else ""
    else:
        port_re = f":{port}"
    # `/` may appear JSON-escaped (`https:\/\/`); the host must end where the base ends
    # (management.azure.com must not match management.azure.com.evil or :8443).
    text = rf"{re.escape(scheme)}:(?P<slashes>//|\\/\\/){re.escape(host)}{port_re}(?![\w.\-]|:\d)"
    return re.compile(text, re.IGNORECASE), re.compile(text.encode(), re.IGNORECASE)


def rewrite_text(text: str, from_base: str, to_base: str) -> str:
    pattern = _pattern(from_base)[0]
    to = to_base.rstrip("/")
    escaped = to.replace("/", "\\/")
    return pattern.sub(lambda m: escaped if m.group("slashes") != "//" else to, text)


def rewrite_bytes(data: bytes, from_base: str, to_base: str) -> bytes:
    pattern = _pattern(from_base)[1]
    to = to_base.rstrip("/").encode()
    escaped = to.replace(b"/", b"\\/")
    return pattern.sub(lambda m: escaped if m.group("slashes") != b"//" else to, data)


def rewrite_headers(headers: Mapping[str, object], from_base: str, to_base: str) -> dict[str, object]:
    """Rewrite every header value (str or list of str), keeping names and shape."""
    out: dict[str, object] = {}
    for name, value in headers.items():
        if isinstance(value, str):
            out[name] = rewrite_text(value, from_base, to_base)
        elif isinstance(value, list):
            out[name] = [rewrite_text(v, from_base, to_base) if isinstance(v, str) else v for v in value]
        else:
            out[name] = value
    return out


def rewrite_urls(value: T, from_base: str, to_base: str) -> T:
    """Rewrite absolute URLs under `from_base` to `to_base` in a text, bytes or a headers mapping."""
    if isinstance(value, str):
        return rewrite_text(value, from_base, to_base)  # type: ignore[return-value]
    if isinstance(value, (bytes, bytearray)):
        return rewrite_bytes(bytes(value), from_base, to_base)  # type: ignore[return-value]
    if isinstance(value, Mapping):
        return rewrite_headers(value, from_base, to_base)  # type: ignore[return-value]
    raise TypeError(f"cannot rewrite URLs in {type(value).__name__}")
