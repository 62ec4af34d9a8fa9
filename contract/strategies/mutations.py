"""Schema mutations: every single-keyword way to break a valid body where it sits in its schema."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from contract.strategies.paths import Keys, delete, get, json_path, put
from contract.strategies.schema import SchemaView, schema_type

_WRONG_TYPE: dict[str, Any] = {
    "string": 12345, "integer": "not-a-number", "number": "not-a-number",
    "boolean": "yes", "object": ["not", "an", "object"], "array": {"not": "an array"},
}

Mutation = tuple[str, Keys, str, Callable[[Any], Any]]  # keyword, error path, description, apply


def schema_mutations(view: SchemaView, schema: dict[str, Any], value: Any, keys: Keys, out: list[Mutation]) -> None:
    """Every single-keyword way to break `value` where it sits in `schema` (appended to `out`)."""
    schema = view.resolve(schema)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            # Mutate as the first branch would see it; the spec then says whether the
            # error lands on exactly that keyword (verification drops it otherwise).
            schema_mutations(view, view.branches(schema, key)[0], value, keys, out)
            return
    kind = schema_type(schema)
    if keys and kind in _WRONG_TYPE and not isinstance(schema.get("type"), list):
        bad = _WRONG_TYPE[kind]
        out.append(("type", keys, f"{json_path(keys)} sent as {type(bad).__name__} instead of {kind}",
                    lambda doc, k=keys, b=bad: put(doc, k, copy.deepcopy(b))))
    if "enum" in schema and isinstance(value, str):
        bad_enum = "Not" + value + "Value"
        out.append(("enum", keys, f"{json_path(keys)}={bad_enum!r} is not one of {schema['enum']}",
                    lambda doc, k=keys, b=bad_enum: put(doc, k, b)))
    if isinstance(value, str):
        if "maxLength" in schema:
            n = schema["maxLength"] + 1
            long = (value + "a" * n)[:n]
            out.append(("maxLength", keys, f"{json_path(keys)} of {n} characters (max {n - 1})",
                        lambda doc, k=keys, b=long: put(doc, k, b)))
        if schema.get("minLength", 0) >= 1:
            out.append(("minLength", keys, f"{json_path(keys)} empty (min {schema['minLength']})",
                        lambda doc, k=keys: put(doc, k, "")))
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema:
            low = int(schema["minimum"]) - 1
            out.append(("minimum", keys, f"{json_path(keys)}={low} below minimum {schema['minimum']}",
                        lambda doc, k=keys, b=low: put(doc, k, b)))
        if "maximum" in schema:
            high = int(schema["maximum"]) + 1
            out.append(("maximum", keys, f"{json_path(keys)}={high} above maximum {schema['maximum']}",
                        lambda doc, k=keys, b=high: put(doc, k, b)))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or ():
            if name in value:
                out.append(("required", keys, f"required {json_path(keys + (name,))} missing",
                            lambda doc, k=keys + (name,): delete(doc, k)))
        if schema.get("additionalProperties") is False and props:
            out.append(("additionalProperties", keys, f"unknown member 'unexpectedProperty' in {json_path(keys)}",
                        lambda doc, k=keys: put(doc, k + ("unexpectedProperty",), "x")))
        for name, sub in value.items():
            if name in props:
                schema_mutations(view, props[name], sub, keys + (name,), out)
    elif isinstance(value, list):
        if "maxItems" in schema and value:
            n = schema["maxItems"] + 1
            out.append(("maxItems", keys, f"{json_path(keys)} with {n} items (max {n - 1})",
                        lambda doc, k=keys, n=n: put(doc, k, [copy.deepcopy(get(doc, k)[0]) for _ in range(n)])))
        if schema.get("minItems", 0) >= 1:
            out.append(("minItems", keys, f"{json_path(keys)} empty (min {schema['minItems']})",
                        lambda doc, k=keys: put(doc, k, [])))
        items = schema.get("items")
        if isinstance(items, dict):
            for i, sub in enumerate(value[:2]):
                schema_mutations(view, items, sub, keys + (i,), out)
