"""`vmss-contract diff`: drift between two recordings at the contract level, not byte for byte."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from contract.cassette import Cassette, load_cassette, save_cassette
from contract.cli import main
from contract.diff import diff
from contract.pipeline import run_pipeline


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same journey recorded twice from fresh emulators: every id, timestamp and etag differs."""
    base = tmp_path_factory.mktemp("diff")
    first = run_pipeline(base / "a", examples=0).phases[0].cassette
    second = run_pipeline(base / "b", examples=0).phases[0].cassette
    assert first.read_bytes() != second.read_bytes()
    return first, second


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", *args])
    return result.exit_code, result.output


def test_two_recordings_of_the_same_journey_show_no_drift(two_runs: tuple[Path, Path]) -> None:
    first, second = two_runs
    drift = diff(str(first), str(second))
    assert drift.same, [c.as_dict() for c in drift.changes]
    code, out = _cli(str(first), str(first))
    assert code == 0 and "no drift" in out


def _drifted(source: Path, target: Path) -> Path:
    """The journey as if Azure changed: an action answers 200 instead of 202, a member is renamed."""
    cassette = load_cassette(source)
    changed = copy.deepcopy(cassette.interactions)
    for interaction in changed:
        request, response = interaction.request, interaction.response
        if request.method == "POST" and "/restart?" in request.uri and response.status == 202:
            response.status, response.reason = 200, "OK"
        body = response.json()
        if request.method == "GET" and isinstance(body, dict) and "upgradePolicy" in (body.get("properties") or {}):
            policy = body["properties"]["upgradePolicy"]
            policy["upgradeMode"] = policy.pop("mode")
            response.body = json.dumps(body)
            response.headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    save_cassette(Cassette(changed, target, cassette.metadata), target)
    return target


def test_a_renamed_member_and_a_changed_action_status_are_reported(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = two_runs
    drifted = _drifted(second, tmp_path / "drifted.yaml")
    drift = diff(str(first), str(drifted))
    kinds = {(c.operation, c.kind, c.path) for c in drift.changes}
    assert ("VirtualMachineScaleSets_Restart", "status", None) in kinds
    assert ("VirtualMachineScaleSets_Get", "member-removed", "$.properties.upgradePolicy.mode") in kinds
    assert ("VirtualMachineScaleSets_Get", "member-added", "$.properties.upgradePolicy.upgradeMode") in kinds
    assert not any(c.api_version for c in drift.changes)
    code, out = _cli(str(first), str(drifted))
    assert code == 1
    assert "answered 202 before, 200 now" in out and "$.properties.upgradePolicy.upgradeMode" in out
    code, out = _cli(str(first), str(drifted), "--format", "json")
    assert code == 1 and json.loads(out)["same"] is False
    code, out = _cli(str(first), str(drifted), "--format", "junit")
    failed = [c.get("name") for c in ET.fromstring(out.split("\n", 1)[1]).iter("testcase") if c.find("failure") is not None]
    assert "VirtualMachineScaleSets_Restart" in failed


def test_differences_at_another_api_version_are_said_to_be_its(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = two_runs
    cassette = load_cassette(_drifted(second, tmp_path / "drifted.yaml"))
    for interaction in cassette.interactions:
        interaction.request.uri = interaction.request.uri.replace("api-version=2024-07-01", "api-version=2024-11-01")
    save_cassette(cassette, tmp_path / "newer.yaml")
    drift = diff(str(first), str(tmp_path / "newer.yaml"))
    restart = [c for c in drift.changes if c.operation == "VirtualMachineScaleSets_Restart"]
    assert restart and all(c.api_version for c in restart)
    code, out = _cli(str(first), str(tmp_path / "newer.yaml"))
    assert code == 1 and "api-version 2024-07-01 -> 2024-11-01: these differences may be the api-version's" in out


def test_bad_input_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert _cli(str(tmp_path / "missing.yaml"), str(empty))[0] == 2
    code, out = _cli(str(empty), str(empty))
    assert code == 2 and "holds no interactions" in out
    (tmp_path / "broken.yaml").write_text("interactions: [")
    code, out = _cli(str(tmp_path / "broken.yaml"), str(empty))
    assert code == 2 and out.startswith("Error:")
