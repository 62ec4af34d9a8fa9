"""`vmss-contract fuzz` and its library entry point against the real emulator over TLS."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from contract.cli import main
from contract.emulator import create_app as emulator_app
from contract.lifecycle import DEFAULT_OPERATIONS, fuzz
from contract.servers import BackgroundServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True,
                          tls_dir=tmp_path_factory.mktemp("tls")) as server:
        yield server


def test_every_operation_against_the_emulator(emulator: BackgroundServer, tmp_path: Path) -> None:
    summary = fuzz(emulator.url, ca_path=str(emulator.ca_path), examples=4, seed=3)
    assert [o.operation_id for o in summary.operations] == list(DEFAULT_OPERATIONS)
    for op in summary.operations:
        assert op.failures == [], op
        assert (op.valid_sent, op.valid_accepted) == (4, 4)
        assert (op.invalid_sent, op.invalid_rejected) == (4, 4)
        assert op.unchanged_checked == op.unchanged_ok == 4
    assert summary.ok
    saved = summary.save(tmp_path / "fuzz.yaml")
    text = saved.read_text()
    assert "127.0.0.1" not in text
    for interaction in summary.interactions:  # generated secrets never reach the file
        body = interaction.request.json()
        password = (((body or {}).get("properties") or {}).get("virtualMachineProfile") or {}).get("osProfile", {}).get(
            "adminPassword") if isinstance(body, dict) else None
        if password:
            assert password not in text


def test_same_seed_same_payloads(emulator: BackgroundServer) -> None:
    def bodies(seed: int) -> list[str | bytes | None]:
        s = fuzz(emulator.url, ca_path=str(emulator.ca_path), operations=["VirtualMachineScaleSets_CreateOrUpdate"],
                 examples=2, seed=seed, invalid=False)
        return [i.request.body for i in s.interactions if i.request.method == "PUT" and "/virtualMachineScaleSets/" in i.request.uri]

    assert bodies(21) == bodies(21)
    assert bodies(21) != bodies(22)


def test_cli_summary_and_exit_code(emulator: BackgroundServer, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "fuzz", "--target", emulator.url, "--ca", str(emulator.ca_path), "--operation",
        "VirtualMachineScaleSets_CreateOrUpdate", "--operation", "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate",
        "--examples", "2", "--seed", "5", "--cassette", str(tmp_path / "f.yaml")])
    assert result.exit_code == 0, result.output
    assert "VirtualMachineScaleSets_CreateOrUpdate" in result.output
    assert "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate" in result.output
    assert "all valid payloads accepted, all invalid refused" in result.output
    assert (tmp_path / "f.yaml").exists()


def test_cli_unknown_operation_is_bad_input(emulator: BackgroundServer) -> None:
    result = CliRunner().invoke(main, ["fuzz", "--target", emulator.url, "--operation", "Nope"])
    assert result.exit_code == 2
    assert "cannot fuzz 'Nope'" in result.output


def _lenient_emulator() -> web.Application:
    """The emulator behind a middleware that waves every 400 through as 200: a broken API."""
    app = emulator_app(lro_polls=1)

    @web.middleware
    async def accept_everything(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.status == 400:
            return web.json_response({}, status=200)
        return response

    app.middlewares.append(accept_everything)
    return app


def test_cli_exits_1_when_invalid_payloads_are_accepted(tmp_path: Path) -> None:
    with BackgroundServer(_lenient_emulator, tls=True, tls_dir=tmp_path / "tls") as lenient:
        result = CliRunner().invoke(main, [
            "fuzz", "--target", lenient.url, "--ca", str(lenient.ca_path),
            "--operation", "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate", "--examples", "3", "--seed", "1"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "expected 400" in result.output


def test_cli_unreachable_target_is_bad_input() -> None:
    result = CliRunner().invoke(main, ["fuzz", "--target", "https://127.0.0.1:9", "--examples", "1",
                                       "--operation", "VirtualMachineScaleSets_CreateOrUpdate"])
    assert result.exit_code == 2
    assert "cannot reach https://127.0.0.1:9" in result.output
    assert "connection refused" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("target", ["notaurl", "ftp://127.0.0.1:21", "https://"])
def test_cli_a_target_that_is_not_a_url_is_bad_input(target: str) -> None:
    result = CliRunner().invoke(main, ["fuzz", "--target", target, "--examples", "1"])
    assert result.exit_code == 2 and result.output.startswith("Error: --target must be an http(s) URL"), result.output


def test_cli_a_target_that_cannot_create_the_base_scale_set_is_bad_input(tmp_path: Path) -> None:
    """A replay server without that recording answers every create with a miss: say so, no traceback."""
    from contract import replay

    recording = Path(__file__).parent / "data" / "recordings" / "test_vmss_update_policy.yaml"
    with BackgroundServer(lambda: replay.create_app([str(recording)]), tls=True, tls_dir=tmp_path) as server:
        result = CliRunner().invoke(main, ["fuzz", "--target", server.url, "--ca", str(server.ca_path),
                                           "--examples", "1", "--operation", "VirtualMachineScaleSets_Update"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {server.url} could not create the virtual network"), result.output
    assert "replay server answers only what it recorded" in result.output


def test_the_other_instance_list_actions(emulator: BackgroundServer) -> None:
    from contract.lifecycle import PLANS

    others = [op for op in PLANS if op not in DEFAULT_OPERATIONS]
    assert "VirtualMachineScaleSets_PowerOff" in others and "VirtualMachineScaleSets_DeleteInstances" in others
    summary = fuzz(emulator.url, ca_path=str(emulator.ca_path), operations=others, examples=2, seed=9)
    assert summary.ok, [(o.operation_id, o.failures) for o in summary.operations if not o.ok]
    assert all(o.invalid_rejected == 2 and o.valid_accepted == 2 for o in summary.operations)


def test_a_fuzz_run_saved_as_a_cassette_replays_offline(emulator: BackgroundServer, tmp_path: Path) -> None:
    """Record once: the saved fuzz traffic replays through the replay server, answer for answer."""
    from contract import replay
    from contract.lifecycle import replay_lifecycle

    summary = fuzz(emulator.url, ca_path=str(emulator.ca_path), examples=2, seed=31,
                   operations=["VirtualMachineScaleSets_CreateOrUpdate", "VirtualMachineScaleSets_Update"])
    cassette = summary.save(tmp_path / "fuzz.yaml")
    with BackgroundServer(lambda: replay.create_app([str(cassette)]), tls=True, tls_dir=tmp_path / "tls") as offline:
        replayed = replay_lifecycle(offline.url, cassette, ca_path=str(offline.ca_path))
    assert replayed.ok, (replayed.mismatches[:3], replayed.violations[:3])
    assert [i.response.status for i in replayed.interactions] == [i.response.status for i in summary.interactions]
