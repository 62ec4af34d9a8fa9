"""contract.rewrite: moving absolute URLs between bases, both directions."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.rewrite import CANONICAL_BASE, base_of, canonical_uri, rewrite_urls

LOCAL = "https://127.0.0.1:8443"
OP = "/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/1?api-version=2022-11-01"


def test_headers_keep_shape_and_names() -> None:
    headers = {"Azure-AsyncOperation": [CANONICAL_BASE + OP], "Location": [CANONICAL_BASE + OP + "&monitor=true"],
               "x-other": ["untouched"]}
    out = rewrite_urls(headers, CANONICAL_BASE, LOCAL)
    assert out == {"Azure-AsyncOperation": [LOCAL + OP], "Location": [LOCAL + OP + "&monitor=true"],
                   "x-other": ["untouched"]}
    assert rewrite_urls({"Location": CANONICAL_BASE + OP}, CANONICAL_BASE, LOCAL) == {"Location": LOCAL + OP}


def test_bodies_text_bytes_and_json_escaped_slashes() -> None:
    body = '{"nextLink": "https://management.azure.com/subscriptions/s/x?$skiptoken=1"}'
    assert rewrite_urls(body, CANONICAL_BASE, LOCAL) == '{"nextLink": "https://127.0.0.1:8443/subscriptions/s/x?$skiptoken=1"}'
    assert rewrite_urls(body.encode(), CANONICAL_BASE, LOCAL) == rewrite_urls(body, CANONICAL_BASE, LOCAL).encode()
    escaped = r'{"nextLink": "https:\/\/management.azure.com\/subscriptions"}'
    assert rewrite_urls(escaped, CANONICAL_BASE, LOCAL) == r'{"nextLink": "https:\/\/127.0.0.1:8443\/subscriptions"}'


def test_host_case_and_default_port_but_not_other_hosts() -> None:
    text = "https://Management.Azure.com:443/a https://management.azure.com.evil.com/b " \
           "https://management.azure.com:8443/c http://management.azure.com/d https://xmanagement.azure.com/e"
    out = rewrite_urls(text, CANONICAL_BASE, LOCAL)
    assert out == f"{LOCAL}/a https://management.azure.com.evil.com/b https://management.azure.com:8443/c " \
                  "http://management.azure.com/d https://xmanagement.azure.com/e"


def test_back_to_canonical_needs_the_exact_port() -> None:
    text = f"{LOCAL}/a https://127.0.0.1:9999/b"
    assert rewrite_urls(text, LOCAL, CANONICAL_BASE) == f"{CANONICAL_BASE}/a https://127.0.0.1:9999/b"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["/subscriptions/x", "?a=1&b=2", " text ", '"', "\\/", "management.azure"]),
                max_size=8))
def test_round_trip(pieces: list[str]) -> None:
    text = "".join(p if i % 2 else CANONICAL_BASE + p for i, p in enumerate(pieces))
    there = rewrite_urls(text, CANONICAL_BASE, LOCAL)
    assert rewrite_urls(there, LOCAL, CANONICAL_BASE) == text


def test_base_of_and_canonical_uri() -> None:
    assert base_of("HTTPS://Management.Azure.com/subscriptions?x=1") == CANONICAL_BASE
    assert canonical_uri(f"{LOCAL}{OP}") == CANONICAL_BASE + OP
    assert canonical_uri("http://localhost:1234/") == CANONICAL_BASE + "/"
