"""Hostile JSON nesting, refused before anything walks it.

JSON nested deeper than MAX_JSON_DEPTH gets 400 InvalidRequestContent from every server and a
CassetteError on load. 64 is Json.NET's default MaxDepth (ARM is .NET), far above any ARM model
(< 20 levels) and far below what Python's recursion limit lets the parser, the validators and
the emitters survive. No imports beyond the standard library: the cassette loader uses it.
"""
from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 64

_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"\x01\x01\x02\x02")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `data`, read as JSON, nests arrays/objects deeper than `limit`.

    All C-speed passes (no per-character Python): two `count`s settle the usual document
    (fewer brackets than the limit); otherwise strings are cut out (escapes first, then split
    on quotes), the brackets kept, and innermost pairs peeled off once per level.
    """
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= limit:
            return False
        data = data.encode("utf-8", "surrogatepass")
    elif data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped backslashes, then escaped quotes
    if b'"' in data:
        data = b"".join(data.split(b'"')[0::2])  # what lies outside strings
    brackets = data.translate(_OPEN_CLOSE, _NOT_BRACKETS)
    for _ in range(limit):
        peeled = brackets.replace(b"\x01\x02", b"")
        if len(peeled) == len(brackets):
            return False  # nothing left to peel (empty, or unbalanced: the parser will say so)
        brackets = peeled
    return b"\x01\x02" in brackets


def parse_json(text: str | bytes) -> Any:
    """json.loads that refuses hostile nesting with a ValueError (never a RecursionError)."""
    if json_too_deep(text):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
