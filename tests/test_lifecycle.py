"""The lifecycle machine against the real emulator over TLS, recorded once and replayed
offline by the real replay server; and the machine catching an endpoint that lies."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from contract.cassette import load_cassette
from contract.emulator import create_app as emulator_app
from contract.lifecycle import ContractBroken, record_lifecycle, replay_lifecycle
from contract.servers import BackgroundServer


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tls")


@pytest.fixture()
def emulator(tls_dir: Path) -> Iterator[BackgroundServer]:
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True, tls_dir=tls_dir) as server:
        yield server


def _requests(path: Path) -> list[tuple[str, str, str | None]]:
    return [(i.request.method, i.request.uri, i.request.body if isinstance(i.request.body, str) else None)
            for i in load_cassette(path).interactions]


def test_record_then_replay_offline_with_another_seed(tls_dir: Path, tmp_path: Path) -> None:
    cassette = tmp_path / "lifecycle.yaml"
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True, tls_dir=tls_dir) as live:
        recorded = record_lifecycle(live.url, ca_path=str(live.ca_path), seed=11, examples=2, steps=15, cassette=cassette)
    assert recorded.ok, recorded.violations
    methods = {i.request.method for i in recorded.interactions}
    assert {"PUT", "GET"} <= methods and len(recorded.interactions) > 20

    # On disk: the canonical host, no secret the client sent.
    text = cassette.read_text()
    assert "127.0.0.1" not in text and "https://management.azure.com/subscriptions/" in text
    for interaction in recorded.interactions:
        body = interaction.request.json()
        password = (((body or {}).get("properties") or {}).get("virtualMachineProfile") or {}).get("osProfile", {}).get("adminPassword") \
            if isinstance(body, dict) else None
        if password:
            assert password not in text

    # Another seed generates other traffic, so replay cannot lean on the generator...
    other = tmp_path / "other.yaml"
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True, tls_dir=tls_dir) as live:
        record_lifecycle(live.url, ca_path=str(live.ca_path), seed=12, examples=2, steps=15, cassette=other)
    assert _requests(other) != _requests(cassette)

    # ...and replay, with the emulator gone, re-sends the cassette's own requests.
    from contract import replay

    with BackgroundServer(lambda: replay.create_app([str(cassette)]), tls=True, tls_dir=tls_dir) as offline:
        replayed = replay_lifecycle(offline.url, cassette, ca_path=str(offline.ca_path))
    assert replayed.ok, (replayed.mismatches, replayed.violations)
    assert [i.response.status for i in replayed.interactions] == [i.response.status for i in recorded.interactions]


def test_replay_reports_answers_that_differ_from_the_recording(emulator: BackgroundServer, tmp_path: Path,
                                                                tls_dir: Path) -> None:
    cassette = tmp_path / "lc.yaml"
    record_lifecycle(emulator.url, ca_path=str(emulator.ca_path), seed=13, steps=8, cassette=cassette)
    # A fresh emulator answers the recorded requests as recorded; tamper one recorded
    # status so the live answer differs, and the difference must be reported.
    recorded = load_cassette(cassette)
    creates = [i for i in recorded.interactions if i.request.method == "PUT" and i.response.status == 201]
    assert creates
    creates[0].response.status = 200
    from contract.cassette import save_cassette

    save_cassette(recorded, cassette)
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True, tls_dir=tls_dir) as fresh:
        result = replay_lifecycle(fresh.url, cassette, ca_path=str(fresh.ca_path))
    assert not result.ok
    assert any("recorded 200, replayed 201" in m for m in result.mismatches)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _lying_emulator() -> web.Application:
    """The emulator behind a middleware that answers every PATCH 202 (ARM-FACTS: PATCH is 200 only)."""
    app = emulator_app(lro_polls=1)

    @web.middleware
    async def patch_202(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.method == "PATCH" and response.status == 200 and isinstance(response, web.Response):
            return web.Response(status=202, body=response.body, headers={
                k: v for k, v in response.headers.items() if k.lower() not in ("content-length",)})
        return response

    app.middlewares.append(patch_202)
    return app


def test_the_machine_catches_an_endpoint_that_breaks_the_contract(tls_dir: Path) -> None:
    with BackgroundServer(_lying_emulator, tls=True, tls_dir=tls_dir) as liar:
        with pytest.raises(ContractBroken) as caught:
            record_lifecycle(liar.url, ca_path=str(liar.ca_path), seed=11, examples=3, steps=20)
    assert "202" in str(caught.value)


def test_replay_needs_no_generator(tmp_path: Path, emulator: BackgroundServer) -> None:
    """A cassette's requests are the explicit examples: replay sends exactly them, polls aside."""
    cassette = tmp_path / "lc.yaml"
    recorded = record_lifecycle(emulator.url, ca_path=str(emulator.ca_path), seed=14, steps=10, cassette=cassette)
    from contract import replay

    with BackgroundServer(lambda: replay.create_app([str(cassette)]), tls=True, tls_dir=tmp_path / "tls") as offline:
        replayed = replay_lifecycle(offline.url, cassette, ca_path=str(offline.ca_path))
    sent = [(i.request.method, i.request.uri.split("?")[0].split("/subscriptions/", 1)[1], json.loads(i.request.body) if i.request.body else None)
            for i in replayed.interactions]
    on_disk = [(i.request.method, i.request.uri.split("?")[0].split("/subscriptions/", 1)[1], i.request.json())
               for i in load_cassette(cassette).interactions]
    assert sent == on_disk
    assert replayed.steps < len(recorded.interactions)  # polls were not re-sent as steps


def test_recorded_through_the_proxy_replays_offline(tls_dir: Path, tmp_path: Path) -> None:
    """Record once through the real recording proxy (emulator upstream), replay forever."""
    from contract import proxy, replay

    cassette = tmp_path / "proxied.yaml"
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True, tls_dir=tls_dir) as upstream:
        with BackgroundServer(lambda: proxy.create_app(str(cassette), upstream.url, upstream_ca=str(upstream.ca_path),
                                                       record_mode="all"), tls=True, tls_dir=tls_dir) as recorder:
            recorded = record_lifecycle(recorder.url, ca_path=str(recorder.ca_path), seed=15, examples=2, steps=12)
    assert recorded.ok, recorded.violations
    assert len(load_cassette(cassette).interactions) == len(recorded.interactions)
    with BackgroundServer(lambda: replay.create_app([str(cassette)]), tls=True, tls_dir=tls_dir) as offline:
        replayed = replay_lifecycle(offline.url, cassette, ca_path=str(offline.ca_path))
    assert replayed.ok, (replayed.mismatches, replayed.violations)
    assert len(replayed.interactions) == len(recorded.interactions)
