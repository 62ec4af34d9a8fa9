"""The checker on real traffic: the corpus, the documented examples, the emulator.

"It never cries wolf": every corpus recording and every documented example checks
clean, and a whole lifecycle against the real emulator (over real HTTP) does too,
while a planted lie in that lifecycle is caught.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import requests

from contract import check
from contract.cassette import Cassette, Interaction, Request, Response, load_cassette
from contract.checker import RULES, CheckError, Checker, Report, example_cassettes, rules_file_entries

DATA = Path(__file__).parent / "data"
REC = DATA / "recordings"
EXAMPLES = DATA / "examples"


@pytest.fixture(scope="module")
def corpus_report() -> Report:
    return check(REC)


def test_corpus_has_zero_violations(corpus_report: Report) -> None:
    assert corpus_report.violations == [], [(v.cassette, v.interaction, v.rule, v.message)
                                            for v in corpus_report.violations]
    assert corpus_report.cassettes == 13
    assert corpus_report.interactions == 400
    assert corpus_report.checked + corpus_report.outside_contract == corpus_report.interactions
    assert corpus_report.checked >= 140  # scale set, VM, run command and operation-status traffic


def test_corpus_outside_contract_is_counted_not_flagged(corpus_report: Report) -> None:
    by_name = {Path(r.name).stem: r for r in corpus_report.results}
    # a key vault data plane is outside, as is every Microsoft.Resources call the specs do not (yet) hold;
    # the resource group, identity and scale-set calls are inside
    secrets = by_name["test_vmss_create_linux_secrets"]
    other_hosts = sum(1 for i in load_cassette(REC / "test_vmss_create_linux_secrets.yaml").interactions
                      if "management.azure.com" not in i.request.uri)
    assert other_hosts >= 1 and secrets.outside_contract >= other_hosts
    assert secrets.checked >= 8 and secrets.checked + secrets.outside_contract == 27
    # every interaction is either judged or counted outside, never dropped
    assert all(r.checked + r.outside_contract == r.interactions for r in corpus_report.results)


def test_corpus_coverage_counts_operations_and_statuses(corpus_report: Report) -> None:
    cov = corpus_report.coverage
    assert cov["VirtualMachineScaleSets_Get"]["seen"]["200"] >= 30
    assert cov["VirtualMachineScaleSets_Get"]["seen"]["404"] == 1
    assert cov["OperationStatus_Get"]["seen"]["200"] >= 60
    assert 201 in cov["VirtualMachineScaleSets_CreateOrUpdate"]["declared"]
    assert sum(sum(v["seen"].values()) for v in cov.values()) == corpus_report.checked


def test_documented_examples_have_zero_violations() -> None:
    cassettes = example_cassettes(EXAMPLES)
    report = check(cassettes)
    assert report.violations == [], [(v.cassette, v.rule, v.message) for v in report.violations]
    assert report.cassettes == report.checked >= 70
    # the opt-outs are visible and narrow: headers examples do not document, and the
    # writeOnly members and placeholder provisioningStates a schema generator put into *_Gen answers
    # and the one recorded mismatch (x-documented-example-findings): 2026-04-01 examples send a 24-character
    # computerNamePrefix, each finding moved by (rule, path), never the whole rule
    assert set(report.skipped) <= {"lro-headers", "json-content-type", "retry-after-on-error", "secret-echoed",
                                   "provisioning-state", "invalid-request-accepted"}
    assert report.skipped["invalid-request-accepted"] == 4
    unskipped = check([Cassette(c.interactions, path=c.path) for c in cassettes])
    leaked = [v for v in unskipped.violations if v.rule == "secret-echoed"]
    assert leaked and all("_Gen" in v.cassette for v in leaked)
    assert {v.rule for v in unskipped.violations} <= {"lro-headers", "secret-echoed", "provisioning-state",
                                                      "invalid-request-accepted"}
    recorded = [v for v in unskipped.violations if v.rule == "invalid-request-accepted"]
    assert len(recorded) == 4 and all("2026-04-01" in v.cassette and v.path.endswith(".computerNamePrefix")
                                      for v in recorded)
    placeholders = [v for v in unskipped.violations if v.rule == "provisioning-state"]
    assert all("_Gen" in v.cassette for v in placeholders)


def test_sources_paths_cassettes_and_interactions() -> None:
    path = REC / "test_vmss_run_command_v2.yaml"
    c = load_cassette(path)
    counts = {(r.cassettes, r.interactions, r.checked) for r in (check(s) for s in (str(path), path, c, [c]))}
    assert len(counts) == 1  # the same verdict whatever form the cassette comes in
    cassettes, interactions, checked = counts.pop()
    assert (cassettes, interactions) == (1, 28) and 14 <= checked <= 28
    loose = check(c.interactions[12:19])  # loose interactions form one cassette
    assert (loose.cassettes, loose.interactions) == (1, 7)


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="no such file"):
        check(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("interactions: [\n")
    with pytest.raises(CheckError, match="bad.yaml"):
        check(bad)


def test_rules_registry_is_complete_and_sourced() -> None:
    for rid, info in RULES.items():
        assert info.id == rid and info.summary and info.source
    from contract.rules import load_rules

    file_rules = rules_file_entries(load_rules())
    assert {r.id for r in file_rules} >= {"immutable-zones", "single-placement-group-one-way"}
    assert not set(RULES) & {r.id for r in file_rules}, "checker ids and rules-file ids must not collide"


def test_unknown_newer_api_version_is_mapped_not_flagged() -> None:
    c = load_cassette(REC / "test_vmss_update_policy.yaml")
    for i in c.interactions:
        i.request.uri = i.request.uri.replace("api-version=2022-11-01", "api-version=2030-01-01")
    checker = Checker()
    report = checker.check([c])
    assert report.violations == []
    assert any("2030-01-01" in w for w in report.warnings)
    assert checker.check(REC / "test_vmss_nics.yaml").warnings == []  # warnings belong to one run


def test_host_and_path_case_do_not_matter() -> None:
    c = load_cassette(REC / "test_vmss_extension.yaml")
    for i in c.interactions:
        i.request.uri = i.request.uri.replace("https://management.azure.com", "http://127.0.0.1:8443")
        i.request.uri = i.request.uri.replace("resourceGroups", "RESOURCEGROUPS").replace("/operations/", "/Operations/")
        for k, vs in i.response.headers.items():
            i.response.headers[k] = [v.replace("https://management.azure.com", "http://127.0.0.1:8443") for v in vs]
    report = check([c])
    assert report.violations == [] and report.checked >= 55


# ---- a whole lifecycle against the real emulator -------------------------------------------

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg1"
VMSS = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"
RUN = f"{VMSS}/virtualMachines/0/runCommands/rc1"
MODEL: dict[str, Any] = {
    "location": "westus",
    "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 2},
    "properties": {
        "upgradePolicy": {"mode": "Manual"},
        "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "vm", "adminUsername": "azureuser", "adminPassword": "P@ssw0rd1234!"},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer", "sku": "18.04-LTS",
                                   "version": "latest"},
                "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                           "managedDisk": {"storageAccountType": "Standard_LRS"}},
            },
            "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                "primary": True, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {
                    "id": f"{RG}/providers/Microsoft.Network/virtualNetworks/vn/subnets/default"}}}]}}]},
        },
    },
}


class Recorder:
    """A tiny client that keeps what it sent and got, as interactions."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer test-token"
        self.log: list[Interaction] = []

    def call(self, method: str, url: str, body: Any = None) -> requests.Response:
        if not url.startswith("http"):
            url = self.base + url + ("&" if "?" in url else "?") + ("api-version=2024-07-01" if "api-version" not in url else "")
        r = self.session.request(method, url, json=body, timeout=10)
        self.log.append(Interaction(
            Request(method, url, json.dumps(body) if body is not None else None,
                    {"Content-Type": ["application/json"]} if body is not None else {}),
            Response(r.status_code, r.reason, {k: [v] for k, v in r.headers.items()}, r.text)))
        return r

    def lro(self, method: str, url: str, body: Any = None) -> requests.Response:
        first = self.call(method, url, body)
        status_url = first.headers.get("Azure-AsyncOperation")
        for _ in range(10):  # bounded: the emulator finishes after lro_polls polls
            if not status_url or self.call("GET", status_url).json().get("status") != "InProgress":
                break
        if first.headers.get("Location"):
            self.call("GET", first.headers["Location"])
        return first


@pytest.fixture(scope="module")
def emulator_lifecycle() -> Cassette:
    from support import network_request

    from contract.emulator import create_app
    from contract.servers import BackgroundServer

    server = BackgroundServer(lambda: create_app(lro_polls=1)).start()
    try:
        c = Recorder(server.url)
        c.call("PUT", RG + "?api-version=2022-09-01", {"location": "westus"})
        vnet_path, vnet = network_request(f"{RG}/providers/Microsoft.Network/virtualNetworks/vn/subnets/default")
        assert c.lro("PUT", vnet_path, vnet).status_code == 201  # the subnet first: Azure refuses a missing one
        c.call("GET", VMSS)
        assert c.lro("PUT", VMSS, MODEL).status_code == 201
        c.call("GET", VMSS)
        c.call("GET", VMSS + "/virtualMachines")
        c.lro("PATCH", VMSS, {"properties": {"virtualMachineProfile": {"storageProfile": {
            "imageReference": {"version": "18.04.202401161"}}}}})
        c.call("GET", VMSS)
        c.call("GET", VMSS + "/virtualMachines")
        c.lro("POST", VMSS + "/manualupgrade", {"instanceIds": ["0"]})
        c.call("GET", VMSS + "/virtualMachines")
        c.lro("PATCH", VMSS, {"sku": {"capacity": 3}})
        c.call("GET", VMSS)
        c.call("GET", VMSS + "/virtualMachines")
        c.call("GET", VMSS + "/virtualMachines/0")
        c.call("GET", VMSS + "/instanceView")
        c.lro("PUT", RUN, {"location": "westus", "properties": {"source": {"script": "echo hi"}}})
        c.call("GET", RUN)
        c.lro("PUT", RUN, {"location": "westus", "properties": {"source": {"script": "echo again"}}})
        c.call("GET", RUN + "?$expand=instanceView&api-version=2024-07-01")
        refused = copy.deepcopy(MODEL)
        refused["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["offer"] = "Other"
        assert c.call("PUT", VMSS, refused).status_code == 409  # create-time property: refused, not a violation
        c.lro("DELETE", VMSS)
        c.call("GET", VMSS)
        c.call("GET", RUN)
        return Cassette(c.log, path="emulator-lifecycle")
    finally:
        server.stop()


def test_emulator_lifecycle_checks_clean(emulator_lifecycle: Cassette) -> None:
    report = check([emulator_lifecycle])
    assert report.violations == [], [(v.interaction, v.rule, v.message) for v in report.violations]
    assert report.outside_contract == 0  # the resource group is inside the contract too
    seen = {op for op, v in report.coverage.items() if v["seen"]}
    assert {"VirtualMachineScaleSets_CreateOrUpdate", "VirtualMachineScaleSets_Delete",
            "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate", "VirtualMachineScaleSets_UpdateInstances",
            "OperationStatus_Get"} <= seen


def _find(c: Cassette, method: str, suffix: str, nth: int = 0) -> Interaction:
    hits = [i for i in c.interactions if i.request.method == method and i.request.uri.split("?")[0].endswith(suffix)]
    return hits[nth]


def test_emulator_lifecycle_lies_are_caught(emulator_lifecycle: Cassette) -> None:
    checker = Checker()

    def rules_after(mutate: Any) -> set[str]:
        c = copy.deepcopy(emulator_lifecycle)
        mutate(c)
        return {v.rule for v in checker.check([c]).violations}

    def stale_vm_claims_latest(c: Cassette) -> None:
        listing = _find(c, "GET", "/virtualMachines", 1)  # after the model change, before manualupgrade
        body = json.loads(listing.response.body)
        for vm in body["value"]:
            vm["properties"]["latestModelApplied"] = True
        listing.response.body = json.dumps(body)

    def deleted_still_there(c: Cassette) -> None:
        gone = _find(c, "GET", "/vmss1", -1)  # after the delete finished
        alive = _find(c, "GET", "/vmss1", 1)
        gone.response.status, gone.response.body = 200, alive.response.body

    def recreate_answers_200(c: Cassette) -> None:
        _find(c, "PUT", "/vmss1", 0).response.status = 200

    def run_command_created_twice(c: Cassette) -> None:
        _find(c, "PUT", "/rc1", 1).response.status = 201

    assert rules_after(stale_vm_claims_latest) == {"manual-upgrade-latest-model"}
    assert rules_after(deleted_still_there) == {"deleted-resource-answered"}
    assert rules_after(recreate_answers_200) == {"create-status"}
    assert rules_after(run_command_created_twice) == {"create-status"}


@pytest.mark.parametrize("folder, version", [("ComputeRP-2024-07-01", "2024-07-01"), ("ComputeRP-2024-11-01", "2024-11-01"),
                                             ("ComputeRP-2025-04-01", "2025-04-01"), ("Compute-2026-04-01", "2026-04-01")])
def test_official_examples_of_each_newer_api_version_check_clean_at_that_version(folder: str, version: str) -> None:
    cassettes = example_cassettes(EXAMPLES / folder)
    assert {c.interactions[0].request.uri.rsplit("api-version=", 1)[1] for c in cassettes} == {version}
    report = check(cassettes)
    assert report.checked == report.cassettes >= 10
    assert report.violations == [] and report.drift == [], [(v.cassette, v.rule, v.path) for v in
                                                             report.violations + report.drift]


def test_a_recorded_example_mismatch_hides_that_finding_only() -> None:
    """The 2026-04-01 computerNamePrefix record moves one (rule, path) finding; anything else is still caught."""
    c = next(c for c in example_cassettes(EXAMPLES / "Compute-2026-04-01")
             if "Create_WithSkuProfile" in str(c.path) and c.interactions[0].response.status == 201)
    assert check([c]).violations == []
    body = c.interactions[0].request.json()
    body["properties"]["upgradePolicy"] = {"mode": "Eventually"}
    planted = Cassette([Interaction(Request("PUT", c.interactions[0].request.uri, json.dumps(body),
                                            {"Content-Type": ["application/json"]}), c.interactions[0].response)],
                       path=c.path, metadata=c.metadata)
    found = check([planted]).violations
    assert [(v.rule, v.path) for v in found] == [("invalid-request-accepted", "$.properties.upgradePolicy.mode")]
