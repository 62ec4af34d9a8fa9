"""The JSON paths vmss-contract speaks, in one module (every other module parses none of its own).

Two kinds:
- rule paths, `a.b[*].c`: members and every-element steps (`select`, `getter`, `walker`);
- concrete paths, `$.properties.nics[0]['odd name']`: one value each, as schema errors and secret
  findings report them (`keys`, `format_keys`, `delete`);
- selectors users write in sanitizer rules, `$..password`, `$.a[*].b` (`parse_selector`, `replace_selected`).

Rules name what they read this way (`properties.virtualMachineProfile.osProfile.adminUsername`,
`...networkInterfaceConfigurations[*].properties.primary`); `getter`/`walker` turn a path into a
function once, when a rule is compiled, because the checker runs the rules on every write it sees.
A `null` member counts as missing everywhere.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterator

__all__ = ["delete", "format_keys", "getter", "keys", "parse_path", "parse_selector", "plain_path", "replace_selected",
           "select", "select_list", "walker"]

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


# ----------------------------------------------------------------------------- selectors (sanitizer rules)

_SELECTOR_TOKEN = re.compile(r"\.\.([A-Za-z_$][\w$-]*|\*)|\.([A-Za-z_$][\w$-]*|\*)|\[(\d+|\*)\]|\[['\"]([^'\"]+)['\"]\]")


def parse_selector(path: str) -> list[tuple[str, str]]:
    """A user's selector `$.a.b[0]['c d'][*]..e` -> [(kind, name)], kind in child/index/any/deep (sanitizer rules)."""
    if not path.startswith("$"):
        raise ValueError(f"JSON path {path!r} must start with '$'")
    out: list[tuple[str, str]] = []
    pos = 1
    while pos < len(path):
        m = _SELECTOR_TOKEN.match(path, pos)
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


def replace_selected(node: Any, steps: list[tuple[str, str]], fn: Callable[[Any], Any]) -> None:
    """Replace every value `steps` selects in `node` by fn(value), in place."""
    if not steps:
        return
    kind, name = steps[0]
    rest = steps[1:]

    def visit(container: Any, key: Any) -> None:
        if rest:
            replace_selected(container[key], rest, fn)
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
