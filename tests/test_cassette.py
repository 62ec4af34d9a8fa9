"""Cassettes: lossless against vcrpy's own reading, playable by plain vcrpy, atomic, appendable."""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest
import requests
import vcr
import yaml
from aiohttp import web
from vcr.serializers import jsonserializer, yamlserializer

from contract.cassette import (
    Cassette,
    CassetteAppender,
    CassetteError,
    Interaction,
    Request,
    Response,
    dumps_cassette,
    iter_cassette_paths,
    load_appended,
    load_cassette,
    save_cassette,
)
from contract.servers import BackgroundServer

RECORDINGS = sorted((Path(__file__).parent / "data" / "recordings").glob("*.yaml"))


def vcrpy_read(path: Path) -> tuple[list, list]:
    """What vcrpy itself makes of a file (its persister's deserialize)."""
    from vcr.serialize import deserialize

    serializer = jsonserializer if path.suffix == ".json" else yamlserializer
    requests_, responses, *_ = deserialize(path.read_text("utf-8"), serializer)
    return requests_, responses


def assert_same_as_vcrpy(ours: Cassette, path: Path) -> None:
    vreqs, vresps = vcrpy_read(path)
    assert len(ours.interactions) == len(vreqs)
    for i, (vreq, vresp) in enumerate(zip(vreqs, vresps, strict=True)):
        got = ours.interactions[i]
        assert got.request.method == vreq.method, i
        assert got.request.uri == vreq.uri, i
        vbody = vreq.body
        assert got.request.content == (vbody or b""), i
        assert got.response.status == vresp["status"]["code"], i
        assert got.response.reason == vresp["status"]["message"], i
        assert got.response.content == (vresp["body"]["string"] or b""), i
        assert got.response.headers == vresp["headers"], i
    # vcrpy keeps only the last value of a request header; we keep the lists as stored
    raw = yaml.load(path.read_text("utf-8"), Loader=yamlserializer._CassetteLoader) \
        if path.suffix != ".json" else json.loads(path.read_text("utf-8"))
    assert [x["request"]["headers"] for x in raw["interactions"]] == [x.request.headers for x in ours.interactions]


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_every_corpus_recording_loads_exactly_as_vcrpy_reads_it(path: Path) -> None:
    cassette = load_cassette(path)
    assert cassette.interactions, "corpus cassettes are not empty"
    assert cassette.path == str(path)
    assert_same_as_vcrpy(cassette, path)


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.stem)
def test_round_trip_through_our_writer_is_lossless_for_us_and_vcrpy(path: Path, tmp_path: Path) -> None:
    original = load_cassette(path)
    out = save_cassette(original, tmp_path / "copy.yaml")
    again = load_cassette(out)
    assert again.interactions == original.interactions
    assert_same_as_vcrpy(again, out)
    # and JSON, vcrpy's other serializer
    jout = save_cassette(original, tmp_path / "copy.json")
    assert load_cassette(jout).interactions == original.interactions
    assert_same_as_vcrpy(load_cassette(jout), jout)


def test_the_quirks_the_corpus_readme_lists_survive(tmp_path: Path) -> None:
    both = raw_both = 0
    for path in RECORDINGS:
        for i in load_cassette(path).interactions:
            both += {"content-length", "transfer-encoding"} <= {k.lower() for k in i.response.headers}
        for raw in yaml.load(path.read_text(), Loader=yaml.CSafeLoader)["interactions"]:
            raw_both += {"content-length", "transfer-encoding"} <= {k.lower() for k in raw["response"]["headers"]}
    # 'content-length' with 'transfer-encoding: chunked' is kept as stored (replay decides what to serve)
    assert both == raw_both > 100
    modify = load_cassette(RECORDINGS[3])  # test_vmss_create_and_modify
    crlf = [i for i in modify.interactions if "\r\n" in (i.response.body or "")]
    assert crlf, "bodies with CRLF pretty-printing are kept byte-exact"
    saved = save_cassette(modify, tmp_path / "m.yaml")
    assert [i.response.content for i in load_cassette(saved).interactions] == \
        [i.response.content for i in modify.interactions]


def sample() -> Cassette:
    binary = bytes(range(256))
    return Cassette([
        Interaction(Request("GET", "https://management.azure.com/subscriptions/s/x?api-version=2024-07-01",
                            None, {"Accept": ["application/json"], "X-Twice": ["a", "b"]}),
                    Response(200, "OK", {"Content-Type": ["application/json"]}, '{"name": "vmss1", "n": "yes"}')),
        Interaction(Request("PUT", "https://management.azure.com/subscriptions/s/y?api-version=2024-07-01",
                            '{"sku": {"capacity": 2}}', {}),
                    Response(201, "Created", {"content-type": ["application/octet-stream"]}, binary)),
        Interaction(Request("DELETE", "https://management.azure.com/subscriptions/s/y?api-version=2024-07-01"),
                    Response(204, "No Content", {}, None)),
    ], metadata={"recorded_at": "2026-11-23T14:00:00Z", "tool": "vmss-contract"})


def test_binary_bodies_headers_lists_and_metadata_round_trip(tmp_path: Path) -> None:
    c = sample()
    path = save_cassette(c, tmp_path / "s.yaml")
    back = load_cassette(path)
    assert back.interactions == c.interactions
    assert isinstance(back.interactions[1].response.body, bytes)
    assert back.metadata == c.metadata
    # vcrpy reads the same bytes and keeps our metadata (its own `metadata` key)
    from vcr.serialize import deserialize
    reqs, resps, meta = deserialize(path.read_text(), yamlserializer)
    assert resps[1]["body"]["string"] == bytes(range(256))
    assert meta == c.metadata
    assert path.read_text().startswith("version: 1\n")


def test_json_cannot_hold_binary_and_says_so_without_touching_the_file(tmp_path: Path) -> None:
    target = tmp_path / "s.json"
    target.write_text("previous")
    with pytest.raises(CassetteError, match="s.json"):
        save_cassette(sample(), target)
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temp file left behind


@pytest.mark.parametrize(("text", "needle"), [
    ("version: 1\ninteractions:\n- request: [\n", "line 4"),
    ("version: 1\ninteractions:\n- request: {method: GET, uri: u}\n  response: {status: {code: 200}}\n"
     "- request: {method: GET}\n  response: {status: {code: 200}}\n", "interaction 1: request has no 'uri'"),
    ("version: 1\ninteractions:\n- request: {method: GET, uri: u}\n  response: {status: {code: abc}}\n",
     "interaction 0: response status code 'abc'"),
    ("version: 2\ninteractions: []\n", "unsupported cassette version 2"),
    ("- request: {}\n", "pre-1.0 vcrpy cassette"),
    ("version: 1\ninteractions: 5\n", "'interactions' must be a list"),
    ("version: 1\ninteractions:\n- request: {method: GET, uri: u, headers: [a]}\n  response: {status: 200}\n",
     "interaction 0: request headers must be a mapping"),
])
def test_malformed_cassettes_get_a_clear_error_naming_file_and_place(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CassetteError) as info:
        load_cassette(path)
    message = str(info.value)
    assert str(path) in message and needle in message
    assert "Traceback" not in message and "yaml." not in message


def test_not_utf8_missing_and_bad_json(tmp_path: Path) -> None:
    bad = tmp_path / "latin.yaml"
    bad.write_bytes(b"version: 1\ninteractions:\n- \xff\n")
    with pytest.raises(CassetteError, match="line 3.*not UTF-8"):
        load_cassette(bad)
    with pytest.raises(CassetteError, match="no such cassette"):
        load_cassette(tmp_path / "missing.yaml")
    j = tmp_path / "bad.json"
    j.write_text('{"version": 1,\n "interactions": [\n}')
    with pytest.raises(CassetteError, match="bad.json, line 3"):
        load_cassette(j)


def test_empty_file_is_an_empty_cassette_as_vcrpy_treats_it(tmp_path: Path) -> None:
    p = tmp_path / "e.yaml"
    p.write_text("")
    assert load_cassette(p).interactions == []
    save_cassette(Cassette([]), p)
    assert load_cassette(p).interactions == []
    assert yaml.safe_load(p.read_text()) == {"version": 1, "interactions": []}


def test_save_is_atomic_under_sigkill(tmp_path: Path) -> None:
    """A writer killed mid-save leaves the previous cassette intact (never a torn file)."""
    target = tmp_path / "big.yaml"
    save_cassette(sample(), target)
    before = target.read_bytes()
    script = textwrap.dedent(f"""
        import sys
        from contract.cassette import load_cassette, save_cassette, Cassette
        src = load_cassette({str(RECORDINGS[3])!r})
        big = Cassette(src.interactions * 60)
        print("go", flush=True)
        while True:
            save_cassette(big, {str(target)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"go\n"
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    after = load_cassette(target)  # whichever version won, it is complete
    assert len(after.interactions) in (3, 56 * 60)
    if len(after.interactions) == 3:
        assert target.read_bytes() == before


def test_appender_every_prefix_loads_in_ours_and_vcrpy(tmp_path: Path) -> None:
    src = load_cassette(RECORDINGS[8]).interactions[:6] + sample().interactions
    path = tmp_path / "rec.yaml"
    appender = CassetteAppender(path, metadata={"tool": "vmss-contract"})
    assert not path.exists()  # nothing recorded yet: no file (vcrpy: "not recorded")
    sizes = []
    for n, interaction in enumerate(src, 1):
        appender.append(interaction)
        sizes.append(path.stat().st_size)
        assert load_cassette(path).interactions == src[:n]
        vreqs, _ = vcrpy_read(path)
        assert len(vreqs) == n
    appender.close()
    # O(1): each append only adds its own item; earlier bytes never change
    first = path.read_bytes()[: sizes[0]]
    assert path.read_bytes().startswith(first)
    assert load_cassette(path).metadata == {"tool": "vmss-contract"}


def test_appender_recovers_a_torn_tail_and_continues(tmp_path: Path) -> None:
    src = sample().interactions
    path = tmp_path / "rec.yaml"
    with CassetteAppender(path) as a:
        a.append(src[0])
        a.append(src[1])
    with open(path, "a") as fh:  # a crash in the middle of the third write
        fh.write("- request:\n    body: null\n    headers: {}\n    method: DEL")
    with pytest.raises(CassetteError):
        load_cassette(path)
    recovered = load_appended(path)
    assert recovered.interactions == src[:2]
    with CassetteAppender(path) as a:
        assert a.count == 2
        a.append(src[2])
    assert load_cassette(path).interactions == src


def test_appender_adopts_a_cassette_vcrpy_wrote(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    original = load_cassette(RECORDINGS[0])
    path.write_text(yamlserializer.serialize(json.loads(json.dumps(
        {"interactions": [x for x in yaml.safe_load(RECORDINGS[0].read_text())["interactions"]], "version": 1}))))
    with CassetteAppender(path) as a:
        assert a.count == len(original.interactions)
        a.append(sample().interactions[0])
    assert load_cassette(path).interactions == original.interactions + sample().interactions[:1]


def test_iter_cassette_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    for name in ("a/x.yaml", "a/y.json", "a/z.txt", "w.yml"):
        (tmp_path / name).write_text("")
    found = iter_cassette_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a/x.yaml", "a/y.json", "w.yml"]
    assert iter_cassette_paths(tmp_path / "w.yml") == [tmp_path / "w.yml"]


# ---- plain vcrpy plays what we write ---------------------------------------------

def playback_cassette(tmp_path: Path, fmt: str) -> tuple[Path, list[Interaction]]:
    wanted = []
    for i in load_cassette(RECORDINGS[8]).interactions:
        if i.request.uri.startswith("https://management.azure.com") and i.request.method == "GET" \
                and i.request.uri not in {w.request.uri for w in wanted}:
            wanted.append(i)
    wanted = wanted[:4]
    wanted.append(Interaction(
        Request("PUT", "https://management.azure.com/subscriptions/s/rg/x?api-version=2024-07-01",
                '{"a": 1}', {"Content-Type": ["application/json"]}),
        Response(201, "Created", {"Content-Type": ["application/json"], "x-multi": ["1", "2"]},
                 '{"created": true, "note": "caf\u00e9 \u2028"}')))
    path = save_cassette(Cassette(wanted, metadata={"tool": "vmss-contract"}), tmp_path / f"play.{fmt}")
    return path, wanted


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_plain_vcrpy_plays_our_cassette_to_requests(tmp_path: Path, fmt: str) -> None:
    path, wanted = playback_cassette(tmp_path, fmt)
    my_vcr = vcr.VCR(record_mode="none", serializer=fmt)
    with my_vcr.use_cassette(str(path)) as cass:
        for i in wanted:
            got = requests.request(i.request.method, i.request.uri, data=i.request.content or None)
            assert got.status_code == i.response.status
            assert got.content == i.response.content
        assert cass.all_played


def test_plain_vcrpy_plays_our_cassette_to_aiohttp(tmp_path: Path) -> None:
    path, wanted = playback_cassette(tmp_path, "yaml")

    async def play() -> list[tuple[int, bytes]]:
        out = []
        async with aiohttp.ClientSession() as session:
            for i in wanted:
                async with session.request(i.request.method, i.request.uri, data=i.request.content or None) as r:
                    out.append((r.status, await r.read()))
        return out

    with vcr.use_cassette(str(path), record_mode="none") as cass:
        got = asyncio.run(play())
        assert cass.all_played
    assert got == [(i.response.status, i.response.content) for i in wanted]


def test_we_load_what_plain_vcrpy_records(tmp_path: Path) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\xffraw" if "bin" in request.path else b"hi " + await request.read(),
                            headers={"X-Seen": request.method})

    def app() -> web.Application:
        a = web.Application()
        a.router.add_route("*", "/{tail:.*}", hello)
        return a

    path = tmp_path / "vcr.yaml"
    with BackgroundServer(app) as server:
        with vcr.use_cassette(str(path), record_mode="all"):
            requests.post(server.url + "/echo?x=1", data=b"payload")
            requests.get(server.url + "/bin")
    c = load_cassette(path)
    assert [(i.request.method, i.response.status) for i in c.interactions] == [("POST", 200), ("GET", 200)]
    assert c.interactions[0].request.content == b"payload"
    assert c.interactions[0].response.content == b"hi payload"
    assert c.interactions[1].response.content == b"\x00\xffraw"
    assert c.interactions[0].response.header("x-seen") == "POST"
    # our re-save stays playable by vcrpy
    save_cassette(c, path)
    with vcr.use_cassette(str(path), record_mode="none"):
        assert requests.get(server.url + "/bin").content == b"\x00\xffraw"


def test_dumps_is_deterministic_and_starts_with_version() -> None:
    text = dumps_cassette(sample())
    assert text == dumps_cassette(sample())
    assert text.splitlines()[0] == "version: 1"
    assert text.rstrip().splitlines()[-1].startswith("      message:")


@pytest.mark.parametrize(("name", "text"), [
    ("deep.yaml", "version: 1\ninteractions:\n- request: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("tagged.yaml", "version: 1\ninteractions:\n- request: !!binary aGk=\n  x: " + "[" * 100_000 + "]" * 100_000),
    ("deep.json", '{"version": 1, "interactions": [' + "[" * 100_000 + "]" * 100_000 + "]}"),
])
def test_hostile_nesting_is_an_error_not_a_crash(tmp_path: Path, name: str, text: str) -> None:
    """libyaml segfaults on ~100,000 nested brackets; such a file must never reach it."""
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CassetteError, match="nested too deeply"):
        load_cassette(path)


def test_appender_does_not_mistake_a_hand_edit_for_a_torn_item(tmp_path: Path) -> None:
    """A valid tail after the last item (here a key added by hand) is not truncated as if a crash
    had torn it: the file is rewritten once into the appendable layout, every interaction kept
    (unknown top-level keys are not kept, as vcrpy does not keep them either)."""
    src = sample().interactions
    path = tmp_path / "edited.yaml"
    with CassetteAppender(path) as a:
        a.append(src[0])
    with open(path, "a") as fh:
        fh.write("extra_note: kept\n")
    with CassetteAppender(path) as a:
        assert a.count == 1
        a.append(src[1])
    assert load_cassette(path).interactions == src[:2]
    assert vcrpy_read(path)[0][1].method == "PUT"
