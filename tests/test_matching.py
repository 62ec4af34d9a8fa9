"""contract.matching: request identity and miss explanations."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.cassette import Request
from contract.matching import (
    Candidate,
    canonical_body,
    differences,
    explain_miss,
    json_differences,
    key_of,
    normalize_path,
    normalize_query,
    request_key,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
VMSS = f"{SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"


def req(method: str, uri: str, body: str | bytes | None = None) -> Request:
    return Request(method, uri, body, {})


def test_host_is_ignored() -> None:
    a = req("GET", f"https://management.azure.com{VMSS}?api-version=2022-11-01")
    b = req("GET", f"https://127.0.0.1:8443{VMSS}?api-version=2022-11-01")
    c = req("GET", f"{VMSS}?api-version=2022-11-01")
    assert key_of(a) == key_of(b) == key_of(c)


def test_path_is_case_folded_and_trailing_slash_tolerated() -> None:
    a = request_key("get", f"{SUB}/resourcegroups/RG1/providers/microsoft.compute/VirtualMachineScaleSets/vmss1/")
    b = request_key("GET", VMSS)
    assert a == b
    assert normalize_path("/a%2Fb//C/") == "/a/b/c"


def test_query_order_and_name_case_do_not_matter_but_values_do() -> None:
    assert normalize_query("b=2&API-VERSION=2022-11-01&a=1") == normalize_query("a=1&api-version=2022-11-01&b=2")
    assert normalize_query("api-version=2022-11-01") != normalize_query("api-version=2024-07-01")
    assert normalize_query("x=") == (("x", ""),)
    assert request_key("GET", "/p?a=1") != request_key("GET", "/p")


def test_json_bodies_match_by_meaning() -> None:
    assert canonical_body('{"b": [1, 2], "a": {"y": 1, "x": 2}}') == canonical_body(b'{"a":{"x":2,"y":1},"b":[1,2]}')
    assert canonical_body('{"b": [2, 1]}') != canonical_body('{"b": [1, 2]}')  # arrays keep order
    assert canonical_body(b"") is None and canonical_body(None) is None and canonical_body("  ") is None
    assert canonical_body(b"not json") == ("raw", b"not json")


def test_method_is_part_of_identity() -> None:
    assert request_key("GET", VMSS) != request_key("DELETE", VMSS)


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(max_size=8) | st.booleans(),
                       max_size=6))
def test_json_key_order_never_matters(body: dict) -> None:
    import json

    forward = json.dumps(body)
    backward = json.dumps(dict(reversed(list(body.items()))), indent=2)
    assert request_key("PUT", VMSS, forward) == request_key("PUT", VMSS, backward)


# ------------------------------------------------------------------ explaining a miss

def test_differences_name_what_differs() -> None:
    sent = req("PUT", f"{VMSS}?api-version=2026-04-01",
               '{"location": "westus", "sku": {"capacity": 3}, "tags": {"a": "b"}}')
    recorded = req("PUT", f"https://management.azure.com{VMSS}?api-version=2022-11-01",
                   '{"location": "westus", "sku": {"capacity": 2}, "zones": ["1"]}')
    diffs = differences(sent, recorded)
    assert "query api-version: '2026-04-01', recorded '2022-11-01'" in diffs
    assert "body $.sku.capacity: 3, recorded 2" in diffs
    assert 'body $.tags={"a": "b"} not in the recording' in diffs
    assert 'body $.zones missing (recorded ["1"])' in diffs


def test_differences_method_path_and_query_keys() -> None:
    sent = req("POST", f"{VMSS}/restart?api-version=1&x=1")
    recorded = req("POST", f"{VMSS}/start?api-version=1&y=2")
    diffs = differences(sent, recorded)
    assert any(d.startswith("path segment 9: 'restart', recorded 'start'") for d in diffs), diffs
    assert "query x='1' not in the recording" in diffs
    assert "query y missing (recorded '2')" in diffs
    assert differences(req("GET", VMSS), req("DELETE", VMSS)) == ["method GET, recorded DELETE"]


def test_explain_miss_ranks_closest_first_with_labels() -> None:
    sent = req("GET", f"{VMSS}?api-version=2026-04-01")
    candidates = [
        Candidate(req("DELETE", f"{SUB}/resourceGroups/other?api-version=2022-09-01"), "a.yaml #0"),
        Candidate(req("GET", f"{VMSS}?api-version=2022-11-01"), "a.yaml #3"),
        Candidate(req("GET", f"{VMSS}/instanceView?api-version=2022-11-01"), "a.yaml #4"),
    ]
    text = explain_miss(sent, candidates, closest=2)
    assert text.startswith(f"No recorded interaction matches GET {VMSS}?api-version=2026-04-01.")
    lines = text.splitlines()
    first = lines.index(f"  1. GET {VMSS}?api-version=2022-11-01 [a.yaml #3]")
    assert "query api-version: '2026-04-01', recorded '2022-11-01'" in lines[first + 1]
    assert "a.yaml #0" not in text  # only the 2 closest


def test_explain_miss_without_candidates_and_with_plain_requests() -> None:
    assert "holds no interactions" in explain_miss(req("GET", VMSS), [])
    assert "1. GET" in explain_miss(req("GET", VMSS + "?a=1"), [req("GET", VMSS)])


def test_json_differences_lists_and_limits() -> None:
    assert json_differences([1, 2], [1, 2, 3]) == ["body $: 2 items, recorded 3"]
    assert json_differences({"a": [{"b": 1}]}, {"a": [{"b": 2}]}) == ["body $.a[0].b: 1, recorded 2"]
    assert json_differences({"x-y": 1}, {}) == ['body $["x-y"]=1 not in the recording']
    many = json_differences({str(i): i for i in range(50)}, {}, limit=7)
    assert len(many) == 7
    assert json_differences({"a": 1}, {"a": True}) == ["body $.a: 1, recorded true"]
