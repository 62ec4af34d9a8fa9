"""report.html: a self-contained page; checked as data and as a person sees it in headless Chromium."""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from contract.cassette import load_cassette
from contract.checker.model import Report, Violation
from contract.report_html import coverage_matrix, render_html, scale_set_timelines
from support import requires

RECORDINGS = Path(__file__).parent / "data" / "recordings"
CREATE_AND_MODIFY = RECORDINGS / "test_vmss_create_and_modify.yaml"
UPDATE_POLICY = RECORDINGS / "test_vmss_update_policy.yaml"
NICS = RECORDINGS / "test_vmss_nics.yaml"


class _Page(HTMLParser):
    """Collects what the assertions look at: ids, external references, cell classes, text."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.external: list[str] = []
        self.cells: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        for key in ("src", "href"):
            if a.get(key) and not str(a[key]).startswith("#"):  # in-page anchors are fine
                self.external.append(f"{tag} {key}={a[key]}")
        if tag == "td":
            self._cell = a.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None and data.strip():
            self.cells.append((self._cell, data.strip()))


def _report(violations: list[Violation] | None = None) -> Report:
    coverage = {
        "VirtualMachineScaleSets_Get": {"declared": [200], "seen": {"200": 7, "404": 1}},
        "VirtualMachineScaleSets_CreateOrUpdate": {"declared": [200, 201], "seen": {"200": 2}},
        "VirtualMachineScaleSets_Reimage": {"declared": [200, 202], "seen": {}},
    }
    return Report(cassettes=1, interactions=40, checked=30, outside_contract=10,
                  violations=violations or [], coverage=coverage)


def test_page_is_self_contained_and_has_every_section() -> None:
    html = render_html(_report(), [CREATE_AND_MODIFY])
    page = _Page()
    page.feed(html)
    assert page.external == [], "the report must not fetch anything"
    assert {"summary", "violations", "coverage", "coverage-summary", "timelines", "gaps-only"} <= page.ids
    assert "contract holds" in html


def test_coverage_matrix_marks_exercised_gaps_and_errors() -> None:
    html = render_html(_report(), [])
    page = _Page()
    page.feed(html)
    cells = set(page.cells)
    assert ("hit", "7") in cells  # Get 200 seen 7 times
    assert ("err", "1") in cells  # Get 404: an error answer, not a contract gap
    assert ("gap", "not exercised") in cells  # CreateOrUpdate 201, Reimage 200/202
    columns, seen, declared = coverage_matrix(_report().coverage)
    assert columns == ["200", "201", "202", "404"]
    assert seen["VirtualMachineScaleSets_Get"]["200"] == 7
    assert declared["VirtualMachineScaleSets_Reimage"] == {"200", "202"}


def test_violation_shows_its_interaction_and_escapes_what_it_quotes() -> None:
    cassette = load_cassette(CREATE_AND_MODIFY)
    index = next(i for i, x in enumerate(cassette.interactions)
                 if x.request.method == "PUT" and "virtualmachinescalesets/" in x.request.uri.lower())
    violation = Violation(cassette=str(CREATE_AND_MODIFY), interaction=index, rule="secret-echoed",
                          operation="VirtualMachineScaleSets_CreateOrUpdate",
                          message="adminPassword <script>alert(1)</script> echoed",
                          path="$.properties.virtualMachineProfile.osProfile.adminPassword")
    html = render_html(_report([violation]), [CREATE_AND_MODIFY])
    assert "1 violation" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    block = re.search(r'<details class="violation" id="violation-1".*?</details>', html, re.S)
    assert block is not None
    text = block.group(0)
    assert "secret-echoed" in text and "$.properties.virtualMachineProfile.osProfile.adminPassword" in text
    assert "PUT" in text and cassette.interactions[index].request.uri.split("?")[0] in text
    assert "Response 200" in text  # the interaction's answer is shown, not just named


def test_timelines_follow_provisioning_state_capacity_and_model() -> None:
    timelines = {t.name: t for t in scale_set_timelines([load_cassette(UPDATE_POLICY)])}
    assert timelines, "the recording touches a scale set"
    states = [p.provisioning_state for t in timelines.values() for p in t.points if p.provisioning_state]
    assert "Updating" in states and states[-1] in ("Succeeded", "(not found)")
    nics = scale_set_timelines([load_cassette(NICS)])
    applied = [p.latest_model_applied for t in nics for p in t.points if p.latest_model_applied]
    assert applied and all(re.fullmatch(r"\d+/\d+ VMs", a) for a in applied)
    modified = scale_set_timelines([load_cassette(CREATE_AND_MODIFY)])
    caps = [p.capacity for t in modified for p in t.points if p.capacity is not None]
    assert caps and all(isinstance(c, int) and c >= 0 for c in caps), "capacity is read from sku.capacity"
    requests = [p for t in modified for p in t.points if not p.what.startswith("(poll")]
    assert requests[-1].method == "DELETE"
    polls = [p for t in modified for p in t.points if p.what.startswith("(poll of POST")]
    assert polls and {p.operation for p in polls if p.operation} <= {"InProgress", "Succeeded", "Failed", "Canceled"}
    assert any(p.operation == "Succeeded" for p in polls), "the LRO polls belong to the scale set that started them"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@requires(_chromium() is not None, "Debian's chromium (apt-get install -y chromium)")
def test_a_person_sees_the_report_in_headless_chromium(tmp_path: Path) -> None:
    cassette = load_cassette(CREATE_AND_MODIFY)
    violation = Violation(cassette=str(CREATE_AND_MODIFY), interaction=3, rule="undeclared-status",
                          operation="VirtualMachineScaleSets_Get", message="answered 299, not a declared status",
                          method=cassette.interactions[3].request.method, uri=cassette.interactions[3].request.uri,
                          status=299)
    page = tmp_path / "report.html"
    page.write_text(render_html(_report([violation]), [CREATE_AND_MODIFY]), encoding="utf-8")
    profile = tmp_path / "profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}"]
    done = subprocess.run([_chromium(), *flags, "--dump-dom", page.as_uri()],  # type: ignore[list-item]
                          capture_output=True, text=True, timeout=120)
    dom = done.stdout
    assert 'data-rendered="1"' in dom, f"the page's script did not run: {done.stderr[-2000:]}"
    # The script counted the documented (operation, status) cells: Get 200 and CreateOrUpdate 200 of 5.
    assert re.search(r"2 of 5 documented \(operation, status\) pairs exercised \(40%\)", dom)
    assert "undeclared-status" in dom and "answered 299" in dom
    assert "provisioningState" in dom and "<svg" in dom
    shot = tmp_path / "report.png"
    subprocess.run([_chromium(), *flags, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],  # type: ignore[list-item]
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000  # a rendered page, not a blank one


def test_summary_counts_violations_by_rule_and_lists_each_cassette() -> None:
    from contract import check

    report = check([str(UPDATE_POLICY), str(NICS)])
    report.violations = [
        Violation(cassette=str(NICS), interaction=1, rule="secret-echoed", operation=None, message="m"),
        Violation(cassette=str(NICS), interaction=2, rule="secret-echoed", operation=None, message="m"),
        Violation(cassette=str(NICS), interaction=3, rule="lro-headers", operation=None, message="m"),
    ]
    html = render_html(report, [UPDATE_POLICY, NICS])
    by_rule = re.search(r'<ul id="by-rule">(.*?)</ul>', html, re.S)
    assert by_rule and "secret-echoed</span> &times; 2" in by_rule.group(1) and "lro-headers</span> &times; 1" in by_rule.group(1)
    table = re.search(r'<table id="per-cassette">.*?</table>', html, re.S)
    assert table and UPDATE_POLICY.name in table.group(0) and NICS.name in table.group(0)


def test_the_offending_json_path_is_highlighted_in_the_interaction() -> None:
    cassette = load_cassette(UPDATE_POLICY)
    index = next(i for i, x in enumerate(cassette.interactions)
                 if x.request.method == "PUT" and "virtualmachinescalesets/" in x.request.uri.lower())
    violation = Violation(cassette=str(UPDATE_POLICY), interaction=index, rule="provisioning-state-transition",
                          operation="VirtualMachineScaleSets_CreateOrUpdate", message="m",
                          path="$.properties.provisioningState")
    html = render_html(_report([violation]), [UPDATE_POLICY])
    marks = re.findall(r"<mark>(.*?)</mark>", html)
    assert marks and all("&quot;provisioningState&quot;:" in m for m in marks)


def test_the_report_shows_parity_only_when_a_parity_result_is_given() -> None:
    report = _report([])
    plain = render_html(report, [])
    assert 'id="parity"' not in plain and 'href="#parity"' not in plain
    parity = {"scale_set": {"operations": 2, "status_agreement": 0.5, "similarity": 0.75},
              "overall": {"operations": 3, "status_agreement": 2 / 3, "similarity": 0.8},
              "by_operation": {"VirtualMachineScaleSets_Get": {"operations": 2, "status_agreement": 0.5,
                                                               "similarity": 0.75}},
              "cassettes": [{"path": "rec.yaml", "operations": [
                  {"index": 4, "method": "GET", "operation": "VirtualMachineScaleSets_Get", "recorded_status": 200,
                   "emulated_status": 404, "similarity": 0.5, "missing": ["$.properties.<b>"], "extra": [],
                   "error": "NotFound", "status_agrees": False}]}]}
    html = render_html(report, [], parity=parity)
    assert 'href="#parity"' in html
    section = re.search(r'<section id="parity">.*?</section>', html, re.S)
    assert section and "50.0% / 75.0%" in section.group(0) and "200 &rarr; 404 NotFound" in section.group(0)
    assert "$.properties.&lt;b&gt;" in section.group(0)  # recorded member names are escaped


@requires(_chromium() is not None, "Debian's chromium (apt-get install -y chromium)")
def test_a_real_parity_run_shows_in_the_html_report(tmp_path: Path) -> None:
    """`vmss-contract parity REC --format json -o parity.json`, then `vmss-contract check REC --format html --parity
    parity.json`: the page (as Chromium renders it) shows the run's own figures. parity writes data, check renders it."""
    import json

    from click.testing import CliRunner

    from contract.cli import main

    data = tmp_path / "parity.json"
    run = CliRunner().invoke(main, ["parity", str(CREATE_AND_MODIFY), "--format", "json", "-o", str(data)])
    assert run.exit_code == 0, run.output
    parity = json.loads(data.read_text())
    scale_set = parity["scale_set"]
    assert scale_set["operations"] >= 10
    page = tmp_path / "report.html"
    made = CliRunner().invoke(main, ["check", str(CREATE_AND_MODIFY), "--format", "html", "--parity", str(data),
                                     "-o", str(page)])
    assert made.exit_code == 0, made.output
    profile = tmp_path / "profile"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}"]
    dom = subprocess.run([_chromium(), *flags, "--dump-dom", page.as_uri()],  # type: ignore[list-item]
                         capture_output=True, text=True, timeout=120).stdout
    assert 'data-rendered="1"' in dom
    figure = re.search(r'<div id="parity-scale-set"><b>([\d.]+)% / ([\d.]+)%</b>scale-set operations: (\d+)', dom)
    assert figure, "the parity figures are on the page"
    assert (float(figure.group(1)), float(figure.group(2)), int(figure.group(3))) == (
        round(100 * scale_set["status_agreement"], 1), round(100 * scale_set["similarity"], 1), scale_set["operations"])
    table = re.search(r'<table id="parity-by-operation">.*?</table>', dom, re.S)
    assert table and all(name in table.group(0) for name in parity["by_operation"])
    assert "test_vmss_create_and_modify.yaml" in dom
    refused = CliRunner().invoke(main, ["check", str(CREATE_AND_MODIFY), "--parity", str(page)])
    assert refused.exit_code == 2  # --parity wants --format html
