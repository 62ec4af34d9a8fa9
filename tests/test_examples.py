"""Documented examples -> operations -> Interactions, and every example body validates against the spec."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from contract.examples import ExampleError, example_from_file, load_examples
from contract.specs import load_spec
from support import requires

SWAGGER = (Path(__file__).resolve().parents[2] / "shared/corpus/swagger/specification/compute/resource-manager/"
           "Microsoft.Compute/ComputeRP/stable/2024-03-01")


@pytest.fixture(scope="module")
def examples(examples_dir):
    return load_examples(examples_dir)


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def test_every_example_file_is_mapped(examples, examples_dir):
    files = sorted(p.name for p in examples_dir.rglob("*.json"))
    assert sorted(e.name for e in examples) == files and len(files) == 155
    versions = {}
    for e in examples:
        versions[e.api_version] = versions.get(e.api_version, 0) + 1
    # the official examples of every Compute api-version the spec gives its own schemas (tests/data/examples/SOURCES.md)
    assert versions == {"2024-03-01": 43, "2024-07-01": 12, "2024-11-01": 12, "2025-04-01": 40, "2026-04-01": 43,
                        "2018-10-01": 5}  # the Network examples (folder 2023-11-01) carry 2018-10-01


def test_every_copied_example_names_its_source(examples_dir):
    """Each example copied from Azure/azure-rest-api-specs (beyond the shared corpus) is listed with its source."""
    listed, folder = set(), ""
    for line in (examples_dir / "SOURCES.md").read_text().splitlines():
        if line.startswith("## "):
            folder = line.split()[1]
        elif line.startswith("    "):
            listed.add(folder + line.split()[0])
    copied = {str(p.relative_to(examples_dir)) for p in examples_dir.rglob("*.json")
              if p.relative_to(examples_dir).parts[0] not in ("ComputeRP-2024-03-01", "Network-2023-11-01")}
    assert copied == listed and len(copied) == 107


@requires(SWAGGER.is_dir(), "../shared/corpus/swagger")
def test_mapping_agrees_with_swagger_x_ms_examples(examples):
    claimed: dict[str, set[str]] = {}
    for f in SWAGGER.glob("*.json"):
        for item in json.loads(f.read_text())["paths"].values():
            for op in item.values():
                if isinstance(op, dict):
                    for ref in (op.get("x-ms-examples") or {}).values():
                        claimed.setdefault(ref["$ref"].rsplit("/", 1)[-1], set()).add(op["operationId"])
    for ex in examples:
        if ex.api_version == "2024-03-01":  # the swagger held here is 2024-03-01's (the Network examples have none)
            assert ex.operation_id in claimed[ex.name], ex.name


def test_known_mappings(examples):
    by_name = {e.name: e.operation_id for e in examples}
    assert by_name["VirtualMachineScaleSet_Create_WithSshAuthentication.json"] == "VirtualMachineScaleSets_CreateOrUpdate"
    assert by_name["VirtualMachineScaleSet_UpdateInstances_MaximumSet_Gen.json"] == "VirtualMachineScaleSets_UpdateInstances"
    assert by_name["VirtualMachineScaleSetVMRunCommand_Get.json"] == "VirtualMachineScaleSetVMRunCommands_Get"
    assert by_name["VmssPublicIpListAll.json"] == "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses"


def test_one_interaction_per_status_and_uri_matches_operation(examples, spec):
    for ex in examples:
        data = json.loads(ex.path.read_text())
        assert [it.response.status for it in ex.interactions] == [int(c) for c in data["responses"]], ex.name
        for it in ex.interactions:
            m = spec.match(it.request.method, it.request.uri)
            assert m is not None and m.operation.operation_id == ex.operation_id, (ex.name, it.request.uri)
            query = parse_qs(urlsplit(it.request.uri).query)
            assert query["api-version"] == [ex.api_version]
            assert it.response.status in m.operation.statuses, ex.name


def test_request_parts_come_from_parameters(examples):
    by_name = {e.name: e for e in examples}
    get = by_name["VirtualMachineScaleSetVM_Get_WithUserData.json"].interactions[0].request
    assert get.method == "GET" and get.body is None
    assert parse_qs(urlsplit(get.uri).query)["$expand"] == ["UserData"]
    create = by_name["VirtualMachineScaleSet_Create_WithSshAuthentication.json"]
    req = create.interactions[0].request
    assert req.json() == create.parameters["parameters"]
    assert unquote(urlsplit(req.uri).path).endswith("/virtualMachineScaleSets/" + create.parameters["vmScaleSetName"])
    vms = by_name["VirtualMachineScaleSetVM_List_MinimumSet_Gen.json"]  # swagger spells the name differently
    assert vms.parameters["virtualMachineScaleSetName"] in unquote(vms.interactions[0].request.uri)


def test_every_example_body_validates(examples, spec):
    checked_requests = 0
    for ex in examples:
        for it in ex.interactions:
            body = it.request.json()
            if body is not None:
                checked_requests += 1
                errors = spec.validate_request(ex.operation_id, body, ex.api_version)
                assert errors == [], (ex.name, errors[:3])
            errors = spec.validate_response(ex.operation_id, it.response.status, it.response.json())
            assert errors == [], (ex.name, it.response.status, errors[:3])
    assert checked_requests >= 20


def test_examples_can_be_planted_with_errors(examples, spec):
    """The validation above can fail: a damaged documented body is caught at the right path."""
    ex = next(e for e in examples if e.name == "VirtualMachineScaleSet_Create_WithSshAuthentication.json")
    body = ex.interactions[0].request.json()
    body["properties"]["upgradePolicy"]["mode"] = "Eventually"
    errors = spec.validate_request(ex.operation_id, body)
    assert [(e.path, e.keyword) for e in errors] == [("$.properties.upgradePolicy.mode", "enum")]


def test_unclaimed_or_broken_example_is_a_clear_error(tmp_path, examples_dir):
    src = next(examples_dir.rglob("VirtualMachineScaleSet_Get.json"))
    shutil.copy(src, tmp_path / "Unknown_Example.json")
    with pytest.raises(ExampleError, match="Unknown_Example.json"):
        load_examples(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ExampleError, match="broken.json"):
        example_from_file(broken, "VirtualMachineScaleSets_Get")
    no_name = tmp_path / "noname.json"
    no_name.write_text(json.dumps({"parameters": {"api-version": "2024-03-01", "subscriptionId": "s", "resourceGroupName": "rg"}, "responses": {"200": {}}}))
    with pytest.raises(ExampleError, match="vmScaleSetName"):
        example_from_file(no_name, "VirtualMachineScaleSets_Get")
