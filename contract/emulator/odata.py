"""ARM's `$filter` for the generic resource lists (`/subscriptions/{s}/resources`, `.../resourceGroups/{g}/resources`).

The grammar is the one Resources_List documents (resources.json 2022-09-01): `eq` / `ne` on `resourceType`,
`name`, `location`, `resourceGroup`, `tagName`, `tagValue`; `substringof('v', name|resourceGroup)`;
clauses joined by `and` / `or`, `and` binding tighter; `tagName eq 'k' and tagValue eq 'v'` means one tag.
Anything else raises `FilterError`, which ARM answers 400 InvalidFilterInQueryString ("Invalid $filter '...'
specified in the query string.", seen in Azure/azure-sdk-for-net#18748): a list answered unfiltered would
hand clients resources they did not ask for.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Resource = dict[str, Any]  # an ARM resource view: id, name, type, location, tags
Predicate = Callable[[Resource], bool]

_COMPARE = re.compile(r"^(?P<prop>\w+)\s+(?P<op>eq|ne)\s+'(?P<value>(?:[^']|'')*)'$", re.IGNORECASE)
_SUBSTRING = re.compile(r"^substringof\(\s*'(?P<value>(?:[^']|'')*)'\s*,\s*(?P<prop>\w+)\s*\)$", re.IGNORECASE)
_PROPERTIES = ("resourcetype", "name", "location", "resourcegroup", "tagname", "tagvalue")
_SPLIT = re.compile(r"\s+(and|or)\s+(?=(?:[^']*'[^']*')*[^']*$)", re.IGNORECASE)  # outside quotes


class FilterError(ValueError):
    """A `$filter` the emulator cannot apply."""


def resource_group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[index + 1]
    return ""


def _field(resource: Resource, prop: str) -> str:
    if prop == "resourcetype":
        return str(resource.get("type", ""))
    if prop == "resourcegroup":
        return resource_group_of(str(resource.get("id", "")))
    return str(resource.get(prop, ""))


def _clause(text: str) -> tuple[str, str, str]:
    """(property, operator, value) of one clause; operator is eq, ne or substringof."""
    match = _COMPARE.match(text.strip())
    if match:
        prop, op = match["prop"].lower(), match["op"].lower()
    else:
        match = _SUBSTRING.match(text.strip())
        if not match:
            raise FilterError(text)
        prop, op = match["prop"].lower(), "substringof"
        if prop not in ("name", "resourcegroup"):
            raise FilterError(text)
    if prop not in _PROPERTIES:
        raise FilterError(text)
    return prop, op, match["value"].replace("''", "'")


def _conjunction(clauses: list[tuple[str, str, str]]) -> Predicate:
    tag_names = [v for p, o, v in clauses if p == "tagname" and o == "eq"]
    tag_values = [v for p, o, v in clauses if p == "tagvalue" and o == "eq"]
    if len(tag_names) > 1 or len(tag_values) > 1 or (tag_values and not tag_names):
        raise FilterError("tagValue needs exactly one tagName beside it")
    others = [c for c in clauses if c[0] not in ("tagname", "tagvalue")]

    def test(resource: Resource) -> bool:
        for prop, op, value in others:
            actual = _field(resource, prop).lower()
            if op == "eq" and actual != value.lower():
                return False
            if op == "ne" and actual == value.lower():
                return False
            if op == "substringof" and value.lower() not in actual:
                return False
        if tag_names:
            tags = resource.get("tags") or {}
            found = {k.lower(): v for k, v in tags.items()} if isinstance(tags, dict) else {}
            if tag_names[0].lower() not in found:
                return False
            if tag_values and str(found[tag_names[0].lower()]) != tag_values[0]:
                return False
        return True

    return test


def parse_filter(text: str | None) -> Predicate:
    """A predicate over resource views for `text` (None or blank: everything passes)."""
    if text is None or not text.strip():
        return lambda resource: True
    parts = _SPLIT.split(text.strip())
    groups: list[list[tuple[str, str, str]]] = [[_clause(parts[0])]]
    for joiner, clause in zip(parts[1::2], parts[2::2]):
        if joiner.lower() == "or":
            groups.append([])
        groups[-1].append(_clause(clause))
    tests = [_conjunction(group) for group in groups]
    return lambda resource: any(test(resource) for test in tests)
