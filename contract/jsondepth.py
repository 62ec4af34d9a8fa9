"""Hostile JSON nesting, refused before anything walks it.

JSON nested deeper than MAX_JSON_DEPTH gets 400 InvalidRequestContent from every server and a
CassetteError on load. 64 is Json.NET's default MaxDepth (ARM is .NET), far above any ARM model
(< 20 levels) and far below what Python's recursion limit lets the parser, the validators and
the emitters survive. No imports beyond the standard library: the cassette loader uses it.
"""
from __future__ import annotations

import json
import re
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
    """json.loads that refuses hostile nesting with a ValueError (never a RecursionError), and reads what
    ARM's Json.NET reads beyond strict JSON (`as_strict_json`)."""
    if json_too_deep(text):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError:
        strict = as_strict_json(text)
        if strict is None:
            raise
        try:
            return json.loads(strict)
        except (json.JSONDecodeError, RecursionError):
            pass
        raise


_NAME = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)\s*:")


def as_strict_json(text: str | bytes) -> str | None:
    """The strict JSON of a body ARM's Json.NET reader accepts although it is not JSON: comments (`//`,
    `/* */`) and unquoted property names. Real clients send such bodies: `az deployment group create` and
    `az deployment group what-if` splice the template file's text (JSONC, comments allowed) into the request
    as `..., template:{...}}}` (azure-cli's JsonCTemplatePolicy), and ARM deploys it. None when there is
    nothing of the kind to rewrite (the body is simply broken)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    if "/" not in text and ":" not in text:
        return None
    out: list[str] = []
    i, n, last, changed = 0, len(text), "", False
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i, last = j + 1, '"'
            continue
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i, changed = (n if j < 0 else j), True
            continue
        if c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                return None
            i, changed = j + 2, True
            continue
        if last in ("{", ",") and (c.isalpha() or c in "_$"):
            m = _NAME.match(text, i)
            if m is not None:
                out.append(f'"{m.group(1)}"')
                i, last, changed = m.end(1), '"', True
                continue
        if not c.isspace():
            last = c
        out.append(c)
        i += 1
    return "".join(out) if changed else None
