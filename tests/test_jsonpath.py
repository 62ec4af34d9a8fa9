"""contract/jsonpath.py: the one parser of JSON paths (rule paths and concrete paths)."""
from __future__ import annotations

import pytest

from contract.jsonpath import delete, format_keys, keys, parse_selector, replace_selected, select_list


@pytest.mark.parametrize("path, expected", [
    ("$.properties.nics[0].name", ("properties", "nics", 0, "name")),
    ("properties.sku", ("properties", "sku")),  # an ARM error target has no '$'
    ("$['odd name'].x", ("odd name", "x")),
    ('$["double"][12]', ("double", 12)),
    ("$", ()),
    (None, ()),
])
def test_concrete_paths_parse_to_keys(path: str | None, expected: tuple[object, ...]) -> None:
    assert keys(path) == expected


def test_format_keys_is_the_inverse_of_keys_for_plain_members() -> None:
    for path in ("$.a.b[0].c", "$.properties.virtualMachineProfile.osProfile.adminPassword", "$[3]"):
        assert format_keys(keys(path)) == path


def test_delete_removes_only_the_named_member_and_ignores_missing_paths() -> None:
    doc = {"a": {"items": [{"secret": "s", "keep": 1}, {"secret": "t"}]}}
    delete(doc, "$.a.items[0].secret")
    delete(doc, "$.a.items[5].secret")  # no such element: nothing happens
    delete(doc, "$.nothing.here")
    delete(doc, "not-a-path")
    assert doc == {"a": {"items": [{"keep": 1}, {"secret": "t"}]}}


def test_rule_paths_select_every_element() -> None:
    doc = {"nics": [{"primary": True}, {"primary": False}, {}]}
    assert select_list(doc, "nics[*].primary") == [("nics[0].primary", True), ("nics[1].primary", False)]


def test_selectors_reach_deep_any_and_indexed_members_and_refuse_what_they_cannot_read() -> None:
    doc = {"a": [{"password": "p1", "n": {"password": "p2"}}, {"other": 1}], "password": "p0"}
    replace_selected(doc, parse_selector("$..password"), lambda _: "X")
    assert doc == {"a": [{"password": "X", "n": {"password": "X"}}, {"other": 1}], "password": "X"}
    replace_selected(doc, parse_selector("$.a[*].other"), lambda v: v + 1)
    replace_selected(doc, parse_selector("$['a'][0].n"), lambda _: None)
    assert doc["a"] == [{"password": "X", "n": None}, {"other": 2}]
    for bad in ("a.b", "$.a[", "$ a"):
        with pytest.raises(ValueError, match="JSON path"):
            parse_selector(bad)
