"""The checker's body parsing and secret look-up, made faster, still give exactly what json.loads and the
tree walk give (so no verdict changes): every corpus body, and the edge cases where the fast reader differs."""
from __future__ import annotations

import json

import pytest

from contract.cassette import load_cassette
from contract.checker.interaction import _parse
from contract.specs import load_spec

from .conftest import RECORDINGS


def _bodies() -> list[str]:
    out = []
    for path in sorted(RECORDINGS.glob("*.yaml")):
        for i in load_cassette(path).interactions:
            out.extend(b for b in (i.request.body, i.response.body) if isinstance(b, str) and b.strip())
    return out


def test_parse_gives_what_json_loads_gives() -> None:
    bodies = _bodies()
    assert len(bodies) > 300
    for body in bodies:
        value, is_json = _parse(body)
        assert is_json and value == json.loads(body) and json.dumps(value) == json.dumps(json.loads(body))
    # where Rust's reader and json.loads part ways, json.loads decides
    assert _parse('{"a": "\\ud800"}') == ({"a": "\ud800"}, True)
    assert _parse('{"a": 1, "a": 2}') == ({"a": 2}, True)
    for broken in ('{"a": 1,}', '{"a": "x\x01"}', "[1, 2", '{"a": 1} x'):
        assert _parse(broken) == (None, False)


@pytest.mark.parametrize("body", [
    {"z": {"adminPassword": "a", "b": [{"customData": "x"}, {"protectedSettings": {"k": 1}}]},
     "a": {"runAsPassword": "p"}, "adminPassword": None, "q.r": {"x y": [{"adminPassword": "s"}]}},
    {"properties": {"parameters": {"adminPassword": {"type": "SecureString"}}}},
    {"nothing": [1, {"secret": "no"}]},
])
def test_secret_paths_match_the_tree_walk(body: dict) -> None:
    spec = load_spec()
    names = spec.secret_names
    found: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in names and v is not None:
                    found.append(f"{path}.{k}")
                elif isinstance(v, (dict, list)):
                    walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    walk(v, f"{path}[{i}]")

    walk(body, "$")
    assert spec.secret_paths(body) == found
