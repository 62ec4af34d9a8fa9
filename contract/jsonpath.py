"""The JSON paths vmss-contract speaks, in one module (every other module parses none of its own).

Two kinds:
- rule paths, `a.b[*].c`: members and every-element steps (`select`, `getter`, `walker`);
- concrete paths, `$.properties.nics[0]['odd name']`: one value each, as schema errors and secret
  findings report them (`keys`, `format_keys`, `delete`).

Rules name what they read this way (`properties.virtualMachineProfile.osProfile.adminUsername`,
`...networkInterfaceConfigurations[*].properties.primary`); `getter`/`walker` turn a path into a
function once, when a rule is compiled, because the checker runs the rules on every write it sees.
A `null` member counts as missing everywhere.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterator

__all__ = ["delete", "format_keys", "getter", "keys", "parse_path", "plain_path", "select", "select_list",
           "walker"]

_TOKEN = re.compile(r"([^.\[\]]+)|\[\*\]")


@lru_cache(maxsize=256)
def parse_path(path: str) -> tuple[str | None, ...]:
    """'a.b[*].c' -> ('a', 'b', None, 'c'); None stands for every array element."""
    return tuple(m.group(1) if m.group(1) is not None else None for m in _TOKEN.finditer(path))


@lru_cache(maxsize=256)
def plain_path(path: str) -> tuple[str, ...] | None:
    """The member chain of a path without `[*]` (it reaches at most one value), else None."""
    tokens = parse_path(path)
    return None if None in tokens else tokens  # type: ignore[return-value]


def _walk(node: Any, tokens: tuple[str | None, ...], i: int, at: str, out: list[tuple[str, Any]]) -> None:
    """Collect what tokens[i:] reach from `node` (a plain loop: the rules run on every write the checker sees)."""
    n = len(tokens)
    while i < n:
        head = tokens[i]
        i += 1
        if head is None:
            if isinstance(node, list):
                for k, item in enumerate(node):
                    _walk(item, tokens, i, f"{at}[{k}]", out)
            return
        if not isinstance(node, dict):
            return
        node = node.get(head)
        if node is None:
            return
        at = f"{at}.{head}" if at else head
    out.append((at, node))


def select(doc: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every (concrete path, value) that `path` reaches in `doc`; missing members yield nothing."""
    return iter(select_list(doc, path))


def select_list(doc: Any, path: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    _walk(doc, parse_path(path), 0, "", out)
    return out


def getter(path: str) -> Callable[[Any], Any]:
    """The first value `path` reaches in a document, or None: its tokens parsed once, when a rule is compiled."""
    tokens = parse_path(path)
    if None in tokens:
        walk = walker(path)

        def first(doc: Any) -> Any:
            found = walk(doc)
            return found[0] if found else None
        return first
    plain: tuple[str, ...] = tokens  # type: ignore[assignment]

    def get(node: Any) -> Any:
        for head in plain:
            if not isinstance(node, dict):
                return None
            node = node.get(head)
            if node is None:
                return None
        return node
    return get


def walker(path: str) -> Callable[[Any], list[Any]]:
    """The values `select` reaches, without their paths: one closure per `[*]`, each walking the member
    chain that follows it in every element (elements lacking a member drop out)."""
    tokens = parse_path(path)
    chains: list[tuple[str, ...]] = [()]
    for t in tokens:
        if t is None:
            chains.append(())
        else:
            chains[-1] += (t,)
    first, rest = chains[0], chains[1:]

    def spread(i: int) -> Callable[[list[Any], list[Any]], None] | None:
        if i == len(rest):
            return None
        chain, inner = rest[i], spread(i + 1)

        def each(items: list[Any], out: list[Any]) -> None:
            for item in items:
                for head in chain:
                    if not isinstance(item, dict):
                        break
                    item = item.get(head)
                    if item is None:
                        break
                else:
                    if inner is None:
                        out.append(item)
                    elif isinstance(item, list):
                        inner(item, out)
        return each
    top = spread(0)

    def walk(doc: Any) -> list[Any]:
        node = doc
        for head in first:
            if not isinstance(node, dict):
                return []
            node = node.get(head)
            if node is None:
                return []
        if top is None:
            return [node]
        out: list[Any] = []
        if isinstance(node, list):
            top(node, out)
        return out
    return walk


# ----------------------------------------------------------------------------- concrete paths

Keys = tuple[str | int, ...]
_KEY = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]|([^.\[\]]+)")


@lru_cache(maxsize=1024)
def keys(path: str | None) -> Keys:
    """'$.properties.nics[0]' -> ('properties', 'nics', 0); also ARM targets without '$' ('properties.sku')."""
    if not path:
        return ()
    body = path[1:] if path.startswith("$") else path
    out: list[str | int] = []
    for member, index, single, double, bare in _KEY.findall(body):
        out.append(int(index) if index else (member or single or double or bare))
    return tuple(out)


def format_keys(parts: Any) -> str:
    """('properties', 'nics', 0) -> '$.properties.nics[0]' (the spelling schema errors use)."""
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def delete(document: Any, path: str) -> None:
    """Remove the value at a concrete path like `$.properties.items[0].secret` (missing: no-op)."""
    if not path.startswith("$"):
        return
    steps = keys(path)
    if not steps:
        return
    node = document
    for step in steps[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return
    last = steps[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)
