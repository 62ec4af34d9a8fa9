"""The fast YAML path (yaml-rs) must agree with vcrpy's PyYAML on everything we read and write."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import serializers
from contract.cassette import cassette_from_data, load_cassette, loads_cassette

RECORDINGS = sorted((Path(__file__).parent / "data" / "recordings").glob("*.yaml"))


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_fast_and_pyyaml_give_the_same_interactions_for_every_corpus_cassette(path: Path) -> None:
    text = path.read_text("utf-8")
    fast = serializers.fast_load(text)
    assert fast is not None, "the fast path must be taken for plain vcrpy output"
    reference = serializers.pyyaml_load(text)
    assert fast == reference
    assert cassette_from_data(fast).interactions == cassette_from_data(reference).interactions


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_our_writer_output_reads_the_same_in_pyyaml_and_fast(path: Path) -> None:
    data = serializers.pyyaml_load(path.read_text("utf-8"))
    text = serializers.serialize(data)
    assert serializers.pyyaml_load(text)["interactions"] == data["interactions"]
    fast = serializers.fast_load(text)
    if fast is not None:
        assert fast["interactions"] == data["interactions"]


# Strings that trip YAML 1.1 (PyYAML, vcrpy) vs YAML 1.2 (yaml-rs) apart, or need escaping.
TRAPS = ["yes", "No", "on", "OFF", "y", "~", "null", "true", "0o17", "017", "0x1F", "1e3", "1_000", "1:20",
         "2023-01-01", ".inf", ".NaN", "-", "- a", "? x", "a: b", "a #b", "#c", "'", '"', "", " ", "  lead",
         "trail ", "\t", "\r\n", "a\r\nb\r\n", "\x85", "l\u2028s", "p\u2029", "\ufeffbom", "\x7f", "\x00",
         "\x9f", "\ud7ff", "\ue000", "\ufffd", "😀", "!!binary", "!tag", "&anchor", "*alias", "<<", "%", "@",
         "`", "|", ">", "[a]", "{a: 1}", "gzip, deflate", "a,b", "application/json; charset=utf-8"]

text_st = st.one_of(st.sampled_from(TRAPS),
                    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
                    st.lists(st.sampled_from(TRAPS), max_size=4).map("".join))


def read_both(doc: str) -> tuple[object, object]:
    reference = yaml.load(doc, Loader=yaml.CSafeLoader)
    fast = serializers.fast_load(doc)
    return reference, (reference if fast is None else fast)


@pytest.mark.parametrize("value", TRAPS)
def test_each_trap_string_survives_both_parsers(value: str) -> None:
    reference, fast = read_both("k:\n- " + serializers.scalar(value) + "\n")
    assert reference == {"k": [value]} == fast


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(text_st, st.lists(text_st, max_size=3)), max_size=4), text_st, text_st)
def test_random_strings_survive_a_cassette_round_trip(headers: list, body: str, uri: str) -> None:
    item = {"request": {"body": body, "headers": {}, "method": "GET", "uri": uri or "u"},
            "response": {"body": {"string": body}, "headers": {}, "status": {"code": 200, "message": "OK"}}}
    for name, values in headers:
        item["request"]["headers"][name] = values
    data = {"version": 1, "interactions": [item]}
    text = serializers.serialize(data)
    reference, fast = read_both(text)
    assert reference == data
    assert fast == data
    assert loads_cassette(text).interactions == cassette_from_data(data).interactions


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=64))
def test_binary_bodies_survive(body: bytes) -> None:
    data = {"version": 1, "interactions": [
        {"request": {"body": body, "headers": {}, "method": "POST", "uri": "u"},
         "response": {"body": {"string": body}, "headers": {}, "status": {"code": 200, "message": ""}}}]}
    text = serializers.serialize(data)
    assert serializers.pyyaml_load(text) == data
    assert loads_cassette(text).interactions[0].request.body == body


def test_yaml_1_1_plain_scalars_are_read_the_way_vcrpy_reads_them() -> None:
    """A hand-written cassette with plain `0o17` / `1e3`: yaml-rs would type them as numbers."""
    doc = ("version: 1\ninteractions:\n- request:\n    body: null\n    headers:\n      X-Odd:\n      - 0o17\n"
           "      - 1e3\n    method: GET\n    uri: u\n  response:\n    body:\n      string: ok\n"
           "    headers: {}\n    status:\n      code: 200\n      message: OK\n")
    assert serializers.pyyaml_load(doc)["interactions"][0]["request"]["headers"]["X-Odd"] == ["0o17", "1e3"]
    cassette = loads_cassette(doc)
    assert cassette.interactions[0].request.headers == {"X-Odd": ["0o17", "1e3"]}


def test_tags_take_the_pyyaml_path(tmp_path: Path) -> None:
    doc = ("version: 1\ninteractions:\n- request: {body: !!binary aGk=, headers: {}, method: GET, uri: u}\n"
           "  response: {body: {string: !!python/str x}, headers: {}, status: {code: 200, message: OK}}\n")
    assert serializers.fast_load(doc) is None
    p = tmp_path / "t.yaml"
    p.write_text(doc)
    i = load_cassette(p).interactions[0]
    assert i.request.body == b"hi" and i.response.body == "x"


def test_format_for() -> None:
    assert serializers.format_for("a/b.JSON") == "json"
    assert serializers.format_for("a/b.yml") == "yaml"
