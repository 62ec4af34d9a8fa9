"""Reading the request schema: `$ref`, `allOf`, `oneOf`/`anyOf` branches, types, and leaves.

This is the only module that imports hypothesis-jsonschema (pinned with hypothesis, see
DEVELOPERS.md): it draws the leaves we have no realistic value for (patterns, formats).
Swapping that library touches this file alone.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st


def schema_type(schema: dict[str, Any]) -> str | None:
    """The one JSON type a (sub)schema describes ('null' aside), guessed from its members if unsaid."""
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    if t is None:
        if "properties" in schema or "required" in schema:
            return "object"
        if "items" in schema:
            return "array"
    return t


def merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema["allOf"]:
        part = merge_all_of(part) if "allOf" in part else part
        for key, value in part.items():
            if key == "properties":
                out["properties"] = {**out.get("properties", {}), **value}
            elif key == "required":
                out["required"] = sorted({*out.get("required", []), *value})
            else:
                out.setdefault(key, value)
    return out


class SchemaView:
    """One request schema with `$ref`s followed and `allOf`s merged, each place worked out once.

    Caches are keyed by the id of a schema node (the spec's schemas never change), and keep
    the node alive so an id is never reused.
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self._resolved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._merged: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`schema` with $ref followed and allOf merged (cached)."""
        key = id(schema)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = (schema, self._resolve(schema))
        return found[1]

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            node: Any = self.root
            for part in ref.lstrip("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            schema = {**node, **{k: v for k, v in schema.items() if k != "$ref"}}
        if "allOf" in schema:
            schema = merge_all_of(schema)
        return schema

    def branches(self, schema: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """The non-null branches of a oneOf/anyOf, each merged with its siblings (built once)."""
        found = self._merged.get(id(schema))
        if found is None:
            base = {k: v for k, v in schema.items() if k != key}
            merged = [{**base, **self.resolve(b)} for b in schema[key] if self.resolve(b).get("type") != "null"]
            found = self._merged[id(schema)] = (schema, merged)
        return found[1]


_LEAF_KEYS = ("type", "pattern", "format", "minLength", "maxLength")


def leaf_strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """hypothesis-jsonschema for a string leaf with a pattern or format (only those keywords count)."""
    leaf = {k: schema[k] for k in _LEAF_KEYS if k in schema}
    return _from_schema(json.dumps(leaf, sort_keys=True))


@lru_cache(maxsize=512)
def _from_schema(key: str) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    return from_schema(json.loads(key))
