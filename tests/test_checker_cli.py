"""`vmss-contract check` as a user runs it: exit codes 0/1/2, formats, --output."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner

from contract.cassette import load_cassette, save_cassette
from contract.cli import main

REC = Path(__file__).parent / "data" / "recordings"
EXAMPLES = Path(__file__).parent / "data" / "examples"


def _broken_cassette(tmp_path: Path) -> Path:
    c = load_cassette(REC / "test_vmss_create_and_modify.yaml")
    poll = c.interactions[25]  # the monitor=true Location read after manualupgrade
    poll.response.status = 500
    poll.response.body = '{"error": {"code": "InternalServerError", "message": "boom"}}'
    out = tmp_path / "cassettes" / "broken.yaml"
    out.parent.mkdir()
    save_cassette(c, out)
    return out


def test_corpus_exits_0_in_a_real_process() -> None:
    exe = shutil.which("vmss-contract", path=str(Path(sys.executable).parent)) or "vmss-contract"
    done = subprocess.run([exe, "check", str(REC)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 cassette(s), 400 interaction(s)" in done.stdout and "no violations" in done.stdout


def test_violations_exit_1_and_show_the_interaction(tmp_path: Path) -> None:
    path = _broken_cassette(tmp_path)
    result = CliRunner().invoke(main, ["check", str(path.parent)], terminal_width=300)
    assert result.exit_code == 1, result.output
    assert "lro-poll-status" in result.output and "500" in result.output and "GET" in result.output
    assert "broken.yaml" in result.output


def test_json_to_output_file(tmp_path: Path) -> None:
    path = _broken_cassette(tmp_path)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["check", str(path), str(REC / "test_vmss_nics.yaml"),
                                       "--format", "json", "--output", str(out)])
    assert result.exit_code == 1
    assert "report.json" in result.output  # the one-line summary names the file
    doc = json.loads(out.read_text())
    assert doc["cassettes"] == 2
    assert [(v["rule"], v["interaction"]) for v in doc["violations"]] == [("lro-poll-status", 25)]
    assert doc["violations"][0]["operation"] == "OperationStatus_Get"


def test_junit_format(tmp_path: Path) -> None:
    out = tmp_path / "junit.xml"
    result = CliRunner().invoke(main, ["check", str(REC), "--format", "junit", "-o", str(out)])
    assert result.exit_code == 0
    root = ET.parse(out).getroot()
    assert len(root.findall("testsuite")) == 13 and root.findall(".//failure") == []


def test_examples_option() -> None:
    result = CliRunner().invoke(main, ["check", "--examples", str(EXAMPLES), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["checked"] >= 70 and doc["violations"] == []


def test_bad_input_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions:\n- request: [\n")
    r = runner.invoke(main, ["check", str(bad)])
    assert r.exit_code == 2 and "bad.yaml" in r.output
    r = runner.invoke(main, ["check", str(tmp_path / "missing.yaml")])
    assert r.exit_code == 2 and "does not exist" in r.output
    r = runner.invoke(main, ["check", "--format", "xml", str(REC)])
    assert r.exit_code == 2
    r = runner.invoke(main, ["check"])
    assert r.exit_code == 2 and "at least one" in r.output
    r = runner.invoke(main, ["check", str(EXAMPLES)])  # examples are not cassettes: say so, do not "pass"
    assert r.exit_code == 2 and "not a vcrpy cassette" in r.output and "--examples" in r.output
    empty = tmp_path / "empty"
    empty.mkdir()
    r = runner.invoke(main, ["check", str(empty)])
    assert r.exit_code == 2 and "no cassettes" in r.output


def test_list_rules() -> None:
    r = CliRunner().invoke(main, ["check", "--list-rules"])
    assert r.exit_code == 0
    assert "invalid-request-accepted" in r.output and "single-placement-group-one-way" in r.output
