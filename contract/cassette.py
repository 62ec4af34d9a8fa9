"""Interactions and cassettes in vcrpy's on-disk format (`version: 1`).

The data model below is the contract every other module codes against.
Bodies are kept exactly as the file holds them (`str`, `bytes` or `None`) so a
load/save round trip is lossless; `.content` gives bytes for whoever needs them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Headers = dict[str, list[str]]  # vcrpy layout: name (original casing) -> values, in order
Body = str | bytes | None


def _as_bytes(body: Body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    return body.encode("utf-8")


def header_values(headers: Headers, name: str) -> list[str]:
    """All values of a header, matched case-insensitively as HTTP does."""
    wanted = name.lower()
    return [v for k, vs in headers.items() if k.lower() == wanted for v in vs]


def header_value(headers: Headers, name: str) -> str | None:
    """The first value of a header, or None."""
    values = header_values(headers, name)
    return values[0] if values else None


@dataclass
class Request:
    method: str
    uri: str
    body: Body = None
    headers: Headers = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return _as_bytes(self.body)

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def json(self) -> Any:
        """The body parsed as JSON, or None when empty or not JSON."""
        return _parse_json(self.content)


@dataclass
class Response:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=dict)
    body: Body = None

    @property
    def content(self) -> bytes:
        return _as_bytes(self.body)

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def json(self) -> Any:
        return _parse_json(self.content)


@dataclass
class Interaction:
    request: Request
    response: Response


@dataclass
class Cassette:
    """An ordered list of interactions plus metadata vcrpy ignores."""

    interactions: list[Interaction] = field(default_factory=list)
    path: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _parse_json(content: bytes) -> Any:
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
