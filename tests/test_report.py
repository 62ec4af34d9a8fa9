"""Renderings of a checker report: the JSON shape issue 4 fixes, rich text, JUnit XML."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from contract import check, report as render
from contract.cassette import Cassette, load_cassette
from contract.checker import Report

REC = Path(__file__).parent / "data" / "recordings"


@pytest.fixture(scope="module")
def broken() -> Report:
    """Two cassettes: one clean, one with a secret echoed and an error without CloudError shape."""
    clean = load_cassette(REC / "test_vmss_update_policy.yaml")
    bad = copy.deepcopy(load_cassette(REC / "test_vmss_extension.yaml"))
    body = json.loads(bad.interactions[12].response.body)
    body["properties"]["virtualMachineProfile"]["osProfile"]["customData"] = "c2VjcmV0\x01"
    bad.interactions[12].response.body = json.dumps(body)
    bad.interactions[9].response.body = '{"message": "nope"}'
    return check([clean, bad])


def test_json_has_the_documented_shape(broken: Report) -> None:
    doc = json.loads(render.render_json(broken))
    for key in ("cassettes", "interactions", "checked", "outside_contract", "violations", "coverage"):
        assert key in doc
    assert doc["cassettes"] == 2 and doc["interactions"] == 19 + 63
    assert [v["rule"] for v in doc["violations"]] == ["error-shape", "secret-echoed"]
    for v in doc["violations"]:
        assert {"cassette", "interaction", "rule", "operation", "message"} <= set(v)
        assert v["cassette"].endswith("test_vmss_extension.yaml")
        assert v["operation"] == "VirtualMachineScaleSets_Get"
    secret = doc["violations"][1]
    assert secret["interaction"] == 12 and secret["path"] == "$.properties.virtualMachineProfile.osProfile.customData"
    assert doc["coverage"]["VirtualMachineScaleSets_Get"]["seen"]["404"] == 1


def test_text_shows_the_violating_interaction(broken: Report) -> None:
    text = render.render_text(broken, width=600)  # wide enough that rich folds nothing
    assert "2 violation(s)" in text
    assert "secret-echoed" in text and "error-shape" in text
    row = next(line for line in text.splitlines() if "secret-echoed" in line and "│" in line)
    assert "GET" in row and "/subscriptions/" in row and "200" in row
    assert "virtualMachineScaleSets/vmss1" in text and "(VirtualMachineScaleSets_Get)" in text
    assert "$.properties.virtualMachineProfile.osProfile.customData" in text
    assert "test_vmss_extension.yaml" in text
    assert "\x1b[" not in text  # no colour codes unless asked


def test_text_on_a_clean_report() -> None:
    text = render.render_text(check(REC / "test_vmss_update_policy.yaml"))
    assert "no violations" in text and "per cassette" in text
    assert re.search(r"coverage: \d+ of \d+ operations exercised", text)


def test_junit_is_valid_xml_with_a_testcase_per_checked_interaction(broken: Report) -> None:
    xml = render.render_junit(broken)
    root = ET.fromstring(xml.encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 2
    assert int(root.get("tests")) == broken.checked == sum(len(s.findall("testcase")) for s in suites)
    failures = root.findall(".//failure")
    assert {f.get("type") for f in failures} == {"error-shape", "secret-echoed"}
    assert int(root.get("failures")) == 2
    for f in failures:
        assert f.get("message").startswith("[")
        assert "rule:" in f.text and "request: GET" in f.text
    clean_suite = next(s for s in suites if s.get("name").endswith("test_vmss_update_policy.yaml"))
    assert clean_suite.get("failures") == "0"


def test_junit_survives_control_characters() -> None:
    c = load_cassette(REC / "test_vmss_update_policy.yaml")
    c.interactions[18].response.status = 599
    c.interactions[18].response.body = '{"error": {"code": "X\\u0000\\u0007", "message": ""}}'
    xml = render.render_junit(check([c]))
    ET.fromstring(xml.encode())  # would raise on a raw control character


def test_render_dispatch(broken: Report) -> None:
    assert render.render(broken, "json") == render.render_json(broken)
    with pytest.raises(ValueError, match="unknown format"):
        render.render(broken, "yaml")
    html = render.render_html(broken, [])
    assert "<html" in html.lower() and "secret-echoed" in html


def test_each_interaction_outside_the_contract_is_named_with_why() -> None:
    """Text, JSON and HTML list every outside interaction (method, path, why), not only a count."""
    report = check([REC / "test_vmss_update_policy.yaml", REC / "test_quick_create_flexible_vmss.yaml"])
    assert report.outside and len(report.outside) == report.outside_contract
    reasons = {o.reason for o in report.outside}
    other_host = "another host (raw.githubusercontent.com), not Azure Resource Manager"
    assert other_host in reasons, reasons
    first = json.loads(render.render_json(report))["outside"][0]
    assert set(first) == {"cassette", "interaction", "method", "uri", "status", "why"} and first["why"]
    text = render.render_text(report, width=100)
    assert f"outside the contract, not checked ({report.outside_contract})" in text
    assert f"x {other_host}" in text and "test_vmss_update_policy.yaml #1 GET" in text
    html = render.render_html(report, [])
    assert 'id="outside-table"' in html and other_host in html


def test_why_an_arm_request_is_outside() -> None:
    from contract.checker.classify import outside_reason, place
    from contract.specs import load_spec

    match = load_spec().match
    where = place(match, "GET", "https://management.azure.com/subscriptions/s/providers/Microsoft.Nope/things/x")
    assert outside_reason(where) == "GET on this path (provider Microsoft.Nope) matches no operation in specs/"
    assert outside_reason(place(match, "GET", "https://127.0.0.1:5/metadata/endpoints")).startswith("not an ARM")


def test_html_cites_each_violated_rule_with_something_a_user_can_open(broken: Report) -> None:
    html = render.render_html(broken, [])
    section = html[html.index('id="rule-sources"'):]
    assert "secret-echoed" in section and "ARM-FACTS.md" in section


def test_json_and_text_give_both_coverage_figures(broken: Report) -> None:
    summary = json.loads(render.render_json(broken))["coverage_summary"]
    ops, pairs = summary["operations"], summary["pairs"]
    assert 0 < ops["exercised"] <= ops["documented"] and 0 < pairs["exercised"] <= pairs["documented"]
    text = render.render_text(broken)
    assert f"{ops['exercised']} of {ops['documented']} operations exercised" in text
    assert f"{pairs['exercised']} of {pairs['documented']} documented operation x status pairs" in text
