"""Small get/set/delete helpers on parsed bodies, addressed by the concrete JSON paths of `contract.jsonpath`."""
from __future__ import annotations

import copy
import re
from typing import Any

from contract.jsonpath import Keys, format_keys, keys

json_path = format_keys  # ('properties', 'nics', 0) -> '$.properties.nics[0]'
parse_path = keys  # the inverse; also takes ARM targets without '$' ('properties.sku')


def norm(path: str) -> str:
    """A JSON path in one comparable spelling: no '$', indexes as '.N', lower case."""
    return re.sub(r"\[(\d+)\]", r".\1", path.lstrip("$").lstrip(".")).lower()


def get(doc: Any, keys: Keys) -> Any:
    for k in keys:
        doc = doc[k]
    return doc


def has(doc: Any, keys: Keys) -> bool:
    try:
        get(doc, keys)
        return True
    except (KeyError, IndexError, TypeError):
        return False


def put(doc: Any, keys: Keys, value: Any) -> None:
    """Set a value, creating the objects on the way."""
    for k in keys[:-1]:
        if isinstance(doc, dict):
            doc = doc.setdefault(k, {})
        else:
            doc = doc[k]
    doc[keys[-1]] = value


def delete(doc: Any, keys: Keys) -> None:
    parent = get(doc, keys[:-1])
    del parent[keys[-1]]


def with_(body: Any, keys: Keys, value: Any) -> Any:
    """A copy of `body` with `value` put at `keys`."""
    out = copy.deepcopy(body)
    put(out, keys, value)
    return out


def find_key(doc: Any, name: str, keys: Keys = ()) -> Keys | None:
    """The path of the first member called `name` (depth first)."""
    if isinstance(doc, dict):
        if name in doc:
            return keys + (name,)
        for k, v in doc.items():
            found = find_key(v, name, keys + (k,))
            if found is not None:
                return found
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found = find_key(v, name, keys + (i,))
            if found is not None:
                return found
    return None
