"""Issue 14, the checker half: strict where the contract is strict, drift shown but not failing.

Each finding is planted in a real cassette (recordings/test_vmss_update_policy.yaml: the scale set is first seen
at interaction 14, a GET answered 200 after the CLI's template deployment) and must be caught at its JSON path,
with nothing else new; the untouched corpus and every documented example stay clean.
"""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from contract import report as render
from contract.cassette import Cassette, load_cassette, save_cassette
from contract.checker import check, example_cassettes
from contract.facts import load_facts

DATA = Path(__file__).parent / "data"
FIRST_SIGHT = 14  # the first answer about the scale set in test_vmss_update_policy.yaml


@pytest.fixture(scope="module")
def base() -> Cassette:
    return load_cassette(DATA / "recordings" / "test_vmss_update_policy.yaml")


def planted(base: Cassette, fn: Callable[[dict[str, Any]], None], index: int = FIRST_SIGHT) -> Cassette:
    c = copy.deepcopy(base)
    body = json.loads(c.interactions[index].response.content)
    fn(body)
    c.interactions[index].response.body = json.dumps(body)
    return c


def _undocumented(b: dict[str, Any]) -> None:
    b["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]["futureKnob"] = {"on": True}


PLANTS = [
    ("bogus-state", lambda b: b["properties"].update(provisioningState="Bogus"),
     "provisioning-state", "$.properties.provisioningState"),
    ("location-null", lambda b: b.update(location=None), "response-schema", "$.location"),
    ("negative-capacity", lambda b: b["sku"].update(capacity=-1), "response-schema", "$.sku.capacity"),
]


def test_the_base_is_clean(base):
    report = check([base])
    assert report.violations == [] and report.drift == []


@pytest.mark.parametrize("name,fn,rule,path", PLANTS, ids=[p[0] for p in PLANTS])
def test_planted_violation_is_caught_on_first_sight(base, name, fn, rule, path):
    report = check([planted(base, fn)])
    assert [(v.interaction, v.rule, v.path) for v in report.violations] == [(FIRST_SIGHT, rule, path)], name


def test_provisioning_state_is_judged_case_insensitively_and_on_lists(base):
    assert check([planted(base, lambda b: b["properties"].update(provisioningState="sUcceeded"))]).ok
    # a non-string is the schema's finding alone, never told twice
    assert check([planted(base, lambda b: b["properties"].update(provisioningState=None))]).by_rule() == {
        "response-schema": 1}
    assert load_facts().is_provisioning_state("migrating") and not load_facts().is_provisioning_state("Bogus")
    c = load_cassette(DATA / "recordings" / "test_vmss_create_and_modify.yaml")
    listing = next(i for i, it in enumerate(c.interactions)
                   if it.request.method == "GET" and it.request.uri.split("?")[0].endswith("/virtualMachineScaleSets"))
    c = planted(c, lambda b: b["value"][-1]["properties"].update(provisioningState="Exploding"), listing)
    found = [(v.rule, v.path) for v in check([c]).violations]
    assert len(found) == 1 and found[0][0] == "provisioning-state" and found[0][1].endswith(".properties.provisioningState")


def test_undocumented_member_is_drift_with_its_path_not_a_violation(base, tmp_path):
    c = planted(base, _undocumented)
    report = check([c])
    assert report.ok and not report.failed() and report.failed(fail_on_drift=True)
    path = "$.properties.virtualMachineProfile.storageProfile.osDisk.futureKnob"
    assert [(d.interaction, d.rule, d.path) for d in report.drift] == [(FIRST_SIGHT, "drift", path)]
    assert "2022-11-01" in report.drift[0].message
    # shown in every report format
    assert path in render.render_text(report, width=400)
    assert json.loads(render.render_json(report))["drift"][0]["path"] == path
    junit = render.render_junit(report)
    assert f"[drift] {path}" in junit and "<failure" not in junit
    html = render.render_html(report)
    assert 'id="drift"' in html and "futureKnob" in html
    # the command line: exit 0 by default, 1 with --fail-on-drift
    saved = tmp_path / "drifted.yaml"
    save_cassette(c, saved)
    cli = [sys.executable, "-m", "contract", "check", str(saved), "--format", "json"]
    quiet = subprocess.run(cli, capture_output=True, text=True)
    strict = subprocess.run([*cli, "--fail-on-drift"], capture_output=True, text=True)
    assert (quiet.returncode, strict.returncode) == (0, 1), (quiet.stderr, strict.stderr)
    assert json.loads(quiet.stdout)["drift"][0]["path"] == path


def test_real_drift_in_the_corpus_is_reported_without_false_alarms():
    """Azure answers galleryApplications[].manuallyManaged, which no swagger of 2022-11-01 or 2024-03-01 has."""
    report = check([DATA / "recordings"] + example_cassettes(DATA / "examples"))
    assert report.violations == []
    assert {d.path.rsplit(".", 1)[-1] for d in report.drift} == {"manuallyManaged"}


# ---- one source for every rule: specs/rules.yaml facts ----------------------------------------------------

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _squash(text: str) -> str:
    import re

    return re.sub(r"[\s*`\"]+", " ", text).strip().lower()


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="../shared (seeds) not available")
def test_fact_quotes_come_from_their_source():
    for name, fact in load_facts().raw.items():
        for src in (fact["source"], fact.get("also")):
            if not src:
                continue
            path = SHARED / src["file"] if src["file"] == "ARM-FACTS.md" else SHARED / "seeds" / src["file"]
            assert _squash(src["quote"]) in _squash(path.read_text(encoding="utf-8")), name


def test_checker_and_emulator_read_the_same_facts():
    from contract.checker import lro as checker_lro
    from contract.emulator import state as emulator_state, vms as emulator_vms
    from contract.rules import load_rules

    facts = load_facts()
    limit = load_rules().rules["capacity-single-placement-group"].params
    assert checker_lro.TERMINAL == facts.terminal == {"succeeded", "failed", "canceled"}
    assert (emulator_vms.PLACEMENT_GROUP_SIZE, emulator_state.MAX_INSTANCES) == (
        facts.capacity_max_single_placement_group, facts.capacity_max) == (limit["max_single_placement_group"], limit["max"])
    assert facts.single_placement_group({"properties": {"orchestrationMode": "uniform"}}) is True
    assert facts.single_placement_group({"properties": {"orchestrationMode": "FLEXIBLE"}}) is False
    assert facts.is_terminal("CANCELED") and not facts.is_terminal("InProgress")


def test_a_vm_size_change_is_a_model_change_and_a_capacity_change_is_not():
    """Manual mode: after the sku name changes, a VM listed with latestModelApplied true is caught; after a
    capacity change alone it is not (recordings/test_vmss_update_automatic_repairs_with_health_extension.yaml:
    Manual mode, scale set GET at 12, the VM list at 17)."""
    base = load_cassette(DATA / "recordings" / "test_vmss_update_automatic_repairs_with_health_extension.yaml")
    later = [i for i, it in enumerate(base.interactions) if it.request.method in ("GET", "PUT")
             and it.response.status == 200 and it.request.uri.split("?")[0].lower().endswith("/vmss1")]

    def variant(change: Callable[[dict[str, Any]], None]) -> Cassette:
        c = copy.deepcopy(base)
        first = 12
        for i in later:
            if i <= first:
                continue
            body = json.loads(c.interactions[i].response.content)
            body["properties"]["virtualMachineProfile"] = json.loads(
                c.interactions[first].response.content)["properties"]["virtualMachineProfile"]  # no profile change
            change(body)
            c.interactions[i].response.body = json.dumps(body)
        listing = json.loads(c.interactions[17].response.content)
        for vm in listing["value"]:
            vm["properties"]["latestModelApplied"] = True
        c.interactions[17].response.body = json.dumps(listing)
        return c

    resized = check([variant(lambda b: b["sku"].update(name="Standard_D4s_v5"))])
    assert "manual-upgrade-latest-model" in resized.by_rule(), resized.by_rule()
    scaled = check([variant(lambda b: None)])
    assert "manual-upgrade-latest-model" not in scaled.by_rule(), scaled.by_rule()


def _at_version(c: Cassette, version: str) -> Cassette:
    """The same traffic at another Compute api-version (URIs only; bodies as recorded)."""
    out = copy.deepcopy(c)
    for it in out.interactions:
        it.request.uri = it.request.uri.replace("api-version=2022-11-01", f"api-version={version}")
    return out


@pytest.mark.parametrize("version", ["2024-03-01", "2024-11-01", "2025-04-01", "2026-04-01"])
def test_an_undocumented_request_member_is_caught_at_every_version_with_its_own_schemas(version):
    """Requests at the newer api-versions are judged on that version's own (overlaid) schemas, closed: the CLI's
    real update PUT of recordings/test_vmss_extension.yaml (interaction 13) is clean at each version, and one
    undocumented member planted deep in it is caught at its JSON path, as at 2024-03-01."""
    real = _at_version(load_cassette(DATA / "recordings" / "test_vmss_extension.yaml"), version)
    assert [v for v in check([real]).violations if v.rule == "invalid-request-accepted"] == []
    body = json.loads(real.interactions[13].request.body)
    body["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]["futureKnob"] = True
    real.interactions[13].request.body = json.dumps(body)
    found = [(v.interaction, v.rule, v.path) for v in check([real]).violations]
    assert found == [(13, "invalid-request-accepted", "$.properties.virtualMachineProfile.storageProfile.osDisk")]
