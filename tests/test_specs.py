"""The OpenAPI contract: valid document, operations, matching, api-versions, schemas, real traffic."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract.cassette import load_cassette
from contract.specs import SpecError, UnknownApiVersion, load_spec, spec_files, specs_dir
from support import requires

SPEC_FILE = specs_dir() / "vmss.openapi.yaml"
VMSS = ("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1")

FIXED = {  # DEVELOPERS.md: operation id -> (method, statuses)
    "VirtualMachineScaleSets_CreateOrUpdate": ("PUT", (200, 201)),
    "VirtualMachineScaleSets_Update": ("PATCH", (200,)),
    "VirtualMachineScaleSets_Get": ("GET", (200,)),
    "VirtualMachineScaleSets_Delete": ("DELETE", (200, 202, 204)),
    "VirtualMachineScaleSets_GetInstanceView": ("GET", (200,)),
    "VirtualMachineScaleSets_UpdateInstances": ("POST", (200, 202)),
    "VirtualMachineScaleSets_Reimage": ("POST", (200, 202)),
    "VirtualMachineScaleSetVMs_List": ("GET", (200,)),
    "VirtualMachineScaleSetVMs_Get": ("GET", (200,)),
    "VirtualMachineScaleSetVMs_GetInstanceView": ("GET", (200,)),
    "VirtualMachineScaleSetVMs_Update": ("PUT", (200, 202)),
    "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate": ("PUT", (200, 201)),
    "VirtualMachineScaleSetVMRunCommands_Get": ("GET", (200,)),
    "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses": ("GET", (200,)),
    "OperationStatus_Get": ("GET", (200, 202)),
}


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def _vmss_body(**props):
    body = {
        "location": "westus",
        "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 2},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "vmss", "adminUsername": "azureuser", "adminPassword": "x!Y1secret"},
                "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                                      "sku": "18.04-LTS", "version": "latest"}},
            },
        },
    }
    body["properties"].update(props)
    return body


# ---- the document ------------------------------------------------------------------------

def test_every_spec_file_passes_openapi_spec_validator():
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    files = spec_files(specs_dir())
    assert files[0] == SPEC_FILE and len(files) >= 2
    for file in files:
        document, _ = read_from_filename(str(file))
        validate(document)  # raises on any error
        assert document["openapi"].startswith("3.1"), file.name


def test_schemathesis_loads_every_operation(spec):
    import schemathesis

    labels = set()
    for file in spec_files(specs_dir()):
        schema = schemathesis.openapi.from_path(str(file))
        labels |= {result.ok().label for result in schema.get_all_operations()}
    assert len(labels) == len(spec.operations)
    assert "PUT " + next(o.path for o in spec.operations.values()
                         if o.operation_id == "VirtualMachineScaleSets_CreateOrUpdate") in labels


def test_fixed_operation_ids_methods_and_statuses(spec):
    for oid, (method, statuses) in FIXED.items():
        op = spec.operations[oid]
        assert (op.method, op.statuses) == (method, statuses), oid


def test_lro_statuses_follow_arm(spec):
    for op in spec.operations.values():
        raw = spec.document["paths"][op.path][op.method.lower()]
        assert "default" in raw["responses"], op.operation_id  # CloudError everywhere
        if op.method == "PUT" and "_CreateOrUpdate" in op.operation_id:
            assert 202 not in op.statuses, op.operation_id  # the SDK raises on 202 to a PUT create
        if op.method == "PATCH" and op.operation_id.startswith("VirtualMachineScaleSets_"):
            assert op.statuses == (200,)
        if op.method == "DELETE":  # asynchronous where it can answer 202 (Compute, Network, groups)
            assert set(op.statuses) <= {200, 202, 204}, op.operation_id
            assert op.long_running == (202 in op.statuses), op.operation_id
        if op.method == "POST" and op.long_running:
            assert 202 in op.statuses, op.operation_id


def test_cloud_error_shape(spec):
    ok = {"error": {"code": "ResourceNotFound", "message": "not found", "target": "vmss1"}}
    assert spec.validate_response("VirtualMachineScaleSets_Get", 404, ok) == []
    bad = spec.validate_response("VirtualMachineScaleSets_Get", 404, {"message": "nope"})
    assert bad and bad[0].keyword == "required"
    missing_message = spec.validate_response("VirtualMachineScaleSets_Get", 409, {"error": {"code": "X"}})
    assert [e.path for e in missing_message] == ["$.error"]


def test_read_only_and_write_only_fields(spec):
    schemas = spec.document["components"]["schemas"]
    assert schemas["VirtualMachineScaleSetProperties"]["properties"]["provisioningState"]["readOnly"]
    assert schemas["VirtualMachineScaleSetVMProperties"]["properties"]["latestModelApplied"]["readOnly"]
    assert schemas["VirtualMachineRunCommandProperties"]["properties"]["instanceView"]["readOnly"]
    assert {"adminPassword", "customData", "protectedSettings", "protectedParameters",
            "runAsPassword"} <= spec.secret_names


def test_api_versions_recorded(spec):
    assert set(spec.api_versions) >= {"2016-04-30-preview", "2017-03-30", "2017-12-01", "2019-07-01",
                                      "2022-11-01", "2024-03-01", "2024-07-01", "2026-04-01"}


# ---- matching ------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path,oid", [
    ("PUT", VMSS, "VirtualMachineScaleSets_CreateOrUpdate"),
    ("patch", VMSS + "/", "VirtualMachineScaleSets_Update"),
    ("GET", VMSS.replace("resourceGroups", "resourcegroups").replace("Microsoft.Compute", "microsoft.compute"),
     "VirtualMachineScaleSets_Get"),
    ("GET", "https://management.azure.com" + VMSS + "/instanceView?api-version=2024-03-01",
     "VirtualMachineScaleSets_GetInstanceView"),
    ("GET", VMSS + "/virtualmachines", "VirtualMachineScaleSetVMs_List"),
    ("GET", VMSS + "/virtualMachines/3", "VirtualMachineScaleSetVMs_Get"),
    ("PUT", VMSS + "/virtualMachines/3/runCommands/cmd", "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"),
    ("GET", VMSS + "/skus", "VirtualMachineScaleSets_ListSkus"),
    ("POST", VMSS + "/manualupgrade", "VirtualMachineScaleSets_UpdateInstances"),
    ("GET", VMSS + "/publicipaddresses", "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses"),
    ("GET", "/subscriptions/s/providers/Microsoft.Compute/locations/westus/operations/abc?monitor=true",
     "OperationStatus_Get"),
])
def test_match(spec, method, path, oid):
    m = spec.match(method, path)
    assert m is not None and m.operation.operation_id == oid


def test_match_params_and_misses(spec):
    m = spec.match("GET", VMSS + "/virtualMachines/7/instanceView")
    assert m.params == {"subscriptionId": "sub", "resourceGroupName": "rg", "vmScaleSetName": "vmss1", "instanceId": "7"}
    assert spec.match("GET", "/subscriptions/s/resourcegroups/rg").operation.operation_id == "ResourceGroups_Get"
    assert spec.match("GET", "/subscriptions/s/resourcegroups/rg/unknown") is None
    assert spec.match("DELETE", VMSS + "/skus") is None
    assert spec.match("GET", VMSS + "/virtualMachines/7/instanceView/extra") is None


# ---- api-versions ----------------------------------------------------------------------------

def test_known_api_version(spec):
    v = spec.resolve_api_version("2017-12-01")
    assert (v.effective, v.known, v.warning) == ("2017-12-01", True, None)
    assert spec.resolve_api_version("2016-04-30-PREVIEW").known


def test_unknown_newer_api_version_maps_to_nearest_older(spec):
    v = spec.resolve_api_version("2099-01-01")
    assert (v.effective, v.known) == ("2026-04-01", False) and "2026-04-01" in v.warning
    between = spec.resolve_api_version("2018-06-01")
    assert between.effective == "2017-12-01" and not between.known
    preview = spec.resolve_api_version("2017-12-01-preview")  # a preview sorts before its GA release
    assert preview.effective == "2017-03-30"


def test_unknown_old_or_garbage_api_version_raises(spec):
    with pytest.raises(UnknownApiVersion, match="older than every known"):
        spec.resolve_api_version("2015-06-15")
    for garbage in ("", "latest", "2017-13", "17-12-01"):
        with pytest.raises(UnknownApiVersion):
            spec.resolve_api_version(garbage)


def test_operation_api_versions(spec):
    """The public IP list is a Network RP answer: its own versions, from 2017-03-30 (seed 004)."""
    oid = "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses"
    assert spec.resolve_api_version("2017-03-30", oid).known
    with pytest.raises(UnknownApiVersion):
        spec.resolve_api_version("2016-04-30-preview", oid)
    assert spec.resolve_api_version("2019-07-01", "VirtualMachineScaleSetVMs_Update").known


# ---- request schemas -----------------------------------------------------------------------

def test_valid_request_passes(spec):
    assert spec.validate_request("VirtualMachineScaleSets_CreateOrUpdate", _vmss_body()) == []


# the length limit by OS (Windows 15, Linux 64) is rules.yaml computer-name-prefix-length; the schema keeps minLength
@pytest.mark.parametrize("prefix,ok", [("a", True), ("a" * 15, True), ("a" * 27, True), ("", False)])
def test_computer_name_prefix_length(spec, prefix, ok):
    body = _vmss_body()
    body["properties"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"] = prefix
    errors = spec.validate_request("VirtualMachineScaleSets_CreateOrUpdate", body)
    assert (errors == []) is ok
    if not ok:
        assert errors[0].path == "$.properties.virtualMachineProfile.osProfile.computerNamePrefix"
        assert errors[0].keyword in ("maxLength", "minLength")


def test_request_enums_types_and_unknown_members(spec):
    body = _vmss_body(upgradePolicy={"mode": "Sometimes"})
    body["sku"]["capacity"] = "two"
    body["bogus"] = 1
    errors = {(e.path, e.keyword) for e in spec.validate_request("VirtualMachineScaleSets_CreateOrUpdate", body)}
    assert ("$.properties.upgradePolicy.mode", "enum") in errors
    assert ("$.sku.capacity", "type") in errors
    assert ("$", "additionalProperties") in errors


def test_request_body_required_and_patch_errors(spec):
    assert spec.validate_request("VirtualMachineScaleSets_CreateOrUpdate", None)[0].keyword == "required"
    assert spec.validate_request("VirtualMachineScaleSets_Reimage", None) == []  # optional body
    errors = spec.validate_request("VirtualMachineScaleSets_Update", {"sku": {"capacity": -1.5}})
    assert {e.path for e in errors} == {"$.sku.capacity"}  # the primary branch explains (type and minimum), not 'anyOf'


def test_run_command_request(spec):
    oid = "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"
    good = {"location": "westus", "properties": {"source": {"script": "echo hi"}, "runAsPassword": "p",
                                                 "protectedParameters": [{"name": "a", "value": "b"}]}}
    assert spec.validate_request(oid, good) == []
    bad = {"location": "westus", "properties": {"source": {"script": 1}, "timeoutInSeconds": "x"}}
    assert {e.path for e in spec.validate_request(oid, bad)} == {"$.properties.source.script",
                                                                  "$.properties.timeoutInSeconds"}


def test_request_schema_is_self_contained_and_generates_valid_bodies(spec):
    from hypothesis import HealthCheck, given, settings
    from hypothesis_jsonschema import from_schema

    oid = "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"
    schema = spec.request_schema(oid)
    text = json.dumps(schema)
    assert "$ref" not in text and "provisioningState" not in text and "instanceView" not in text
    assert schema["additionalProperties"] is False

    # too_slow only: generating these payloads on a loaded 2-core CI box can trip it; every other
    # health check stays on, so a strategy that stops generating data fails loudly.
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(from_schema(schema))
    def generated_bodies_validate(body):
        assert spec.validate_request(oid, body) == []

    generated_bodies_validate()


def test_vmss_request_schema_resolves_refs(spec):
    schema = spec.request_schema("VirtualMachineScaleSets_CreateOrUpdate")
    assert "$ref" not in json.dumps(schema)
    vm_profile = schema["properties"]["properties"]["properties"]["virtualMachineProfile"]
    prefix = vm_profile["properties"]["osProfile"]["properties"]["computerNamePrefix"]
    assert prefix["minLength"] == 1 and "maxLength" not in prefix  # by OS: rules.yaml computer-name-prefix-length
    schema["mutated"] = True  # callers get their own copy
    assert "mutated" not in spec.request_schema("VirtualMachineScaleSets_CreateOrUpdate")


# ---- responses and secrets ----------------------------------------------------------------

def test_responses_are_strict_where_azure_is_and_report_drift(spec):
    """No blanket leniency: null, limits and members as documented; an unknown member is drift, not an error."""
    oid = "VirtualMachineScaleSets_Get"
    body = {"name": "vmss1", "location": "westus", "newField": {"x": 1},
            "properties": {"provisioningState": "Succeeded"}}
    assert spec.validate_response(oid, 200, body) == []
    errors, drift = spec.check_response(oid, 200, body)
    assert errors == [] and [(d.path, d.keyword) for d in drift] == [("$.newField", "additionalProperties")]
    for planted, path in (({"location": None}, "$.location"),
                          ({"sku": {"capacity": -1}}, "$.sku.capacity"),
                          ({"properties": {"singlePlacementGroup": None}}, "$.properties.singlePlacementGroup"),
                          ({"properties": {"overprovision": "yes"}}, "$.properties.overprovision")):
        errors = spec.validate_response(oid, 200, {"location": "westus", **planted})
        assert [e.path for e in errors] == [path], planted
    assert spec.validate_response(oid, 200, None)  # a GET answer needs a body
    # a Linux prefix over 15 is valid both ways (the Windows limit is a rule); x-nullable (instance views)
    long_prefix = {"location": "westus", "properties": {"virtualMachineProfile": {"osProfile": {
        "computerNamePrefix": "aks-nodepool1-29499185-vmss"}}}}
    assert spec.validate_response(oid, 200, long_prefix) == []
    view = {"rdpThumbPrint": None, "statuses": [{"code": "x", "message": None}]}
    assert spec.validate_response("VirtualMachineScaleSetVMs_GetInstanceView", 200, view) == []


def test_operation_status_and_monitor_bodies(spec):
    oid = "OperationStatus_Get"
    assert spec.validate_response(oid, 200, {"name": "x", "status": "InProgress", "startTime": "2023-01-01T00:00:00Z"}) == []
    assert spec.validate_response(oid, 200, None) == []  # monitor=true Location answer
    assert spec.validate_response(oid, 200, {"status": "Maybe"})
    assert spec.validate_response(oid, 200, {"value": [{"x": 1}]}) == []  # monitor=true: the action's result


def test_secret_paths(spec):
    body = _vmss_body()
    body["properties"]["virtualMachineProfile"]["extensionProfile"] = {"extensions": [
        {"name": "e", "properties": {"protectedSettings": {"k": "v"}, "settings": {}}}]}
    assert spec.secret_paths(body) == [
        "$.properties.virtualMachineProfile.osProfile.adminPassword",
        "$.properties.virtualMachineProfile.extensionProfile.extensions[0].properties.protectedSettings",
    ]
    assert spec.secret_paths({"properties": {"adminPassword": None}}) == []


# ---- real traffic ----------------------------------------------------------------------------

def _recorded(recordings_dir: Path):
    spec = load_spec()
    for path in sorted(recordings_dir.glob("*.yaml")):
        for i, it in enumerate(load_cassette(path).interactions):
            m = spec.match(it.request.method, it.request.uri)
            if m is not None:
                yield path.name, i, it, m


def test_recorded_traffic_validates(spec, recordings_dir):
    seen: set[str] = set()
    bodies = 0
    for name, i, it, m in _recorded(recordings_dir):
        oid = m.operation.operation_id
        seen.add(oid)
        where = f"{name}#{i} {it.request.method} {oid}"
        if it.request.method in ("PUT", "PATCH", "POST"):
            bodies += it.request.json() is not None
            assert spec.validate_request(oid, it.request.json()) == [], where
        assert spec.validate_response(oid, it.response.status, it.response.json()) == [], where
        if it.response.status < 400:
            assert it.response.status in m.operation.statuses, where
        version = it.request.uri.split("api-version=")[1].split("&")[0]
        assert spec.resolve_api_version(version, oid).known, where
    assert bodies >= 14  # the PUT/PATCH on scale sets and run commands really were checked
    assert {"VirtualMachineScaleSets_CreateOrUpdate", "VirtualMachineScaleSets_Update",
            "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate", "OperationStatus_Get"} <= seen


# ---- loading -----------------------------------------------------------------------------------

def test_load_spec_is_cached_and_env_override(tmp_path, monkeypatch):
    assert load_spec() is load_spec()
    copy = tmp_path / "specs"
    copy.mkdir()
    shutil.copy(SPEC_FILE, copy / "vmss.openapi.yaml")
    monkeypatch.setenv("VMSS_CONTRACT_SPECS", str(copy))
    other = load_spec()
    assert other is not load_spec(SPEC_FILE) and other.path == copy.resolve()
    assert load_spec(SPEC_FILE).path == SPEC_FILE.resolve()  # one file alone is a spec too


def test_broken_spec_gives_clear_error(tmp_path):
    bad = tmp_path / "vmss.openapi.yaml"
    bad.write_text("openapi: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="cannot read spec"):
        load_spec(tmp_path / "missing")


# ---- CLI -------------------------------------------------------------------------------------

def test_specs_cli_json():
    from contract.cli import main

    result = CliRunner().invoke(main, ["specs", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {r["operationId"] for r in rows} >= set(FIXED)
    for r in rows:
        assert set(r) == {"operationId", "method", "path", "apiVersions", "statuses"}
        assert r["statuses"] and all(isinstance(s, int) for s in r["statuses"])
        assert r["apiVersions"] and (r["path"] == "/subscriptions"  # Subscriptions_List
                                     or r["path"].startswith(("/subscriptions/", "/{scope}/", "/providers/", "/metadata/")))


def test_specs_cli_text_and_rules():
    from contract.cli import main

    text = CliRunner().invoke(main, ["specs"], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "VirtualMachineScaleSets_CreateOrUpdate" in text.output
    rules = CliRunner().invoke(main, ["specs", "--rules", "--format", "json"])
    assert rules.exit_code == 0 and "nic-at-most-8" in {r["id"] for r in json.loads(rules.output)}


def test_specs_cli_bad_spec_exits_2(tmp_path):
    from contract.cli import main

    result = CliRunner().invoke(main, ["specs", "--spec", str(tmp_path)])
    assert result.exit_code == 2 and "cannot read spec" in result.output


def test_api_versions_with_their_own_schemas_are_closed_others_keep_only_the_top_level_closed(spec):
    """Our base schemas come from 2024-03-01; each newer version with an x-schema-versions overlay is judged on
    its own schemas, closed; a version no overlay is written for (newer, or a preview) may carry members Azure
    knows and we do not, so only its top level stays closed."""
    oid = "VirtualMachineScaleSets_CreateOrUpdate"
    body = _vmss_body(brandNewMember={"x": 1})
    assert spec.document["info"]["x-schema-api-version"] == "2024-03-01"
    for version in ("2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01", "2026-04-01"):
        assert [(e.path, e.keyword) for e in spec.validate_request(oid, body, version)] == [
            ("$.properties", "additionalProperties")], version
    for version in ("2026-10-01", "2025-06-01-preview"):
        assert spec.validate_request(oid, body, version) == [], version
    body["bogus"] = 1
    body["properties"]["upgradePolicy"] = {"mode": "Sometimes"}
    assert {(e.path, e.keyword) for e in spec.validate_request(oid, body, "2026-10-01")} == {
        ("$", "additionalProperties"), ("$.properties.upgradePolicy.mode", "enum")}


def test_a_member_a_newer_version_documents_is_accepted_there_in_a_request_and_refused_before(spec):
    """skuProfile is a 2024-11-01 member (that version's overlay): closed at 2024-07-01, accepted from 2024-11-01."""
    oid = "VirtualMachineScaleSets_CreateOrUpdate"
    body = _vmss_body(skuProfile={"vmSizes": [{"name": "Standard_D2s_v5"}], "allocationStrategy": "CapacityOptimized"})
    assert [e.path for e in spec.validate_request(oid, body, "2024-07-01")] == ["$.properties"]
    assert spec.validate_request(oid, body, "2024-11-01") == []
    assert spec.validate_request(oid, body, "2026-04-01") == []


SWAGGER = Path(__file__).resolve().parents[2] / "shared/corpus/swagger/specification/compute/resource-manager/Microsoft.Compute"


@requires(SWAGGER.is_dir(), "../shared/corpus/swagger")
@pytest.mark.parametrize("version", ["2022-11-01", "2024-03-01"])
def test_cross_check_with_swagger(spec, version):
    """Same statuses per operation; every swagger member and enum value is known (2022-11-01 bodies validate)."""
    ours = spec.document["components"]["schemas"]
    checked = 0
    for f in (SWAGGER / "ComputeRP/stable" / version).glob("*.json"):
        document = json.loads(f.read_text())
        for item in document["paths"].values():
            for op in item.values():
                if isinstance(op, dict) and op.get("operationId") in spec.operations:
                    declared = tuple(sorted(int(c) for c in op["responses"] if c != "default"))
                    assert declared == spec.operations[op["operationId"]].statuses, op["operationId"]
                    checked += 1
        for name, definition in document.get("definitions", {}).items():
            if name not in ours:
                continue
            assert set(definition.get("properties", {})) <= set(ours[name].get("properties", {})), name
            members = [(name, definition, ours[name])] + [
                (f"{name}.{prop}", sub, ours[name]["properties"][prop])
                for prop, sub in definition.get("properties", {}).items()]
            for where, theirs, mine in members:
                if "enum" in theirs:
                    _assert_same_enum(where, theirs, mine)
    assert checked >= 40


def _assert_same_enum(where: str, theirs: dict, mine: dict) -> None:
    """modelAsString enums are open (any string; values kept as x-known-values), the others closed."""
    if "$ref" in mine:
        return  # checked where the referenced definition is
    if (theirs.get("x-ms-enum") or {}).get("modelAsString"):
        assert "enum" not in mine, f"{where}: modelAsString enum is closed (Azure sends values it lacks)"
        assert set(theirs["enum"]) <= set(mine["x-known-values"]), where
        assert mine.get("x-reason"), where
    else:
        assert set(theirs["enum"]) <= set(mine["enum"]), where


def test_open_enums_accept_values_azure_added_since(spec):
    """vmSize is x-ms-enum modelAsString: a size newer than the list (Standard_D16s_v5) is a valid answer."""
    get = {"location": "westus", "sku": {"name": "Standard_D16s_v5", "capacity": 1},
           "properties": {"virtualMachineProfile": {"storageProfile": {"osDisk": {
               "createOption": "FromImage", "managedDisk": {"storageAccountType": "PremiumV2_LRS_Next"}}}}}}
    assert spec.validate_response("VirtualMachineScaleSets_Get", 200, get) == []
    vm = {"location": "westus", "properties": {"hardwareProfile": {"vmSize": "Standard_D16s_v5"}}}
    assert spec.validate_response("VirtualMachineScaleSetVMs_Get", 200, vm) == []
    # closed enums (modelAsString false) still are: a wrong upgrade mode is an error both ways
    bad = {"location": "westus", "properties": {"upgradePolicy": {"mode": "Sometimes"}}}
    errors = spec.validate_response("VirtualMachineScaleSets_Get", 200, bad)
    assert [(e.path, e.keyword) for e in errors] == [("$.properties.upgradePolicy.mode", "enum")]


def test_objects_are_objects_in_every_flavour(spec):
    """The swagger leaves `type: object` implicit; a list where an object belongs is still an error."""
    for version in (None, "2026-04-01"):
        errors = spec.validate_request("VirtualMachineScaleSets_Update", {"properties": []}, version)
        assert [(e.path, e.keyword) for e in errors] == [("$.properties", "type")], version
    errors = spec.validate_response("VirtualMachineScaleSets_Get", 200, {"location": "w", "properties": []})
    assert [(e.path, e.keyword) for e in errors] == [("$.properties", "type")]


def test_patch_accepts_members_of_the_whole_model(spec):
    """The CLI PATCHes whole models; a fixed member in a PATCH is then a rule matter (409), not an unknown member."""
    oid = "VirtualMachineScaleSets_Update"
    for version in (None, "2024-03-01", "2026-04-01"):
        assert spec.validate_request(oid, {"properties": {"orchestrationMode": "Flexible"}}, version) == []
    assert spec.validate_request(oid, {"properties": {"bogus": 1}}, "2024-03-01")[0].keyword == "additionalProperties"


def test_an_extension_resource_under_a_scale_set_is_its_own_providers_operation():
    """`{scope}` spans segments (x-ms-skip-url-encoding), so a role assignment under a scale set's id is
    RoleAssignments_*, never a VMSS operation (ARM-FACTS: extension resources belong to their provider)."""
    from contract.specs import load_spec as _load

    spec = _load(Path(__file__).parent.parent / "specs" / "authorization.openapi.yaml")
    vmss = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
    found = spec.match("PUT", f"{vmss}/providers/Microsoft.Authorization/roleAssignments/1f2e")
    assert found is not None and found.operation.operation_id == "RoleAssignments_Create"
    assert found.params == {"scope": vmss.lstrip("/"), "roleAssignmentName": "1f2e"}
    # a fixed path with more literal segments still wins over the scoped one
    listed = spec.match("GET", "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments")
    assert listed is not None and listed.operation.operation_id == "RoleAssignments_ListForSubscription"
    under = spec.match("GET", f"{vmss}/providers/microsoft.authorization/roleassignments")
    assert under is not None and under.operation.operation_id == "RoleAssignments_ListForScope"


# ---- several spec files ------------------------------------------------------------------------

_EXTRA = """
openapi: 3.1.0
info: {title: extra, version: '1', x-schema-api-version: '2023-01-01'}
x-api-versions:
  Microsoft.Extra: ['2022-01-01', '2023-01-01']
paths:
  /subscriptions/{subscriptionId}/providers/Microsoft.Extra/things/{name}:
    put:
      operationId: %s
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/CloudError'}}}
      responses:
        '200': {description: ok}
        default: {description: error}
components:
  schemas:
    CloudError:
      type: object
      properties: {size: {type: integer}}
"""


def test_spec_files_merge_with_their_own_components_and_versions(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(SPEC_FILE, folder / "vmss.openapi.yaml")
    (folder / "extra.openapi.yaml").write_text(_EXTRA % "Things_CreateOrUpdate")
    spec = load_spec(folder)
    op = spec.operation("Things_CreateOrUpdate")
    assert op.api_versions == ("2022-01-01", "2023-01-01")
    # the extra file's CloudError is its own (namespaced): the VMSS CloudError is untouched
    assert spec.validate_request("Things_CreateOrUpdate", {"size": 3}) == []
    assert [e.keyword for e in spec.validate_request("Things_CreateOrUpdate", {"size": "x"})] == ["type"]
    assert "extra.CloudError" in spec.document["components"]["schemas"]
    assert "error" in spec.document["components"]["schemas"]["CloudError"]["properties"]
    assert spec.match("PUT", "/subscriptions/s/providers/microsoft.extra/things/t").operation is op
    assert spec.resolve_api_version("2024-01-01", "Things_CreateOrUpdate").effective == "2023-01-01"


def test_an_operation_id_defined_in_two_spec_files_is_refused(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    shutil.copy(SPEC_FILE, folder / "vmss.openapi.yaml")
    (folder / "extra.openapi.yaml").write_text(_EXTRA % "VirtualMachineScaleSets_Get")
    with pytest.raises(SpecError, match="VirtualMachineScaleSets_Get is defined in both vmss.openapi.yaml and extra"):
        load_spec(folder)


def test_answers_are_judged_by_the_schemas_of_their_api_version(spec):
    """x-schema-versions: 2024-07-01's swagger adds zonalPlatformFaultDomainAlignMode to the scale set; an
    answer at 2024-07-01 or later may carry it, one at 2024-03-01 or older shows it as drift; its type holds."""
    oid = "VirtualMachineScaleSets_Get"
    body = {"location": "westus", "properties": {"zonalPlatformFaultDomainAlignMode": "Aligned"}}
    for version, drifts in (("2022-11-01", True), ("2024-03-01", True), ("2024-07-01", False), ("2026-04-01", False)):
        errors, drift = spec.check_response(oid, 200, body, version)
        assert errors == [] and bool(drift) is drifts, version
    wrong = {"location": "westus", "properties": {"zonalPlatformFaultDomainAlignMode": 3}}
    assert [e.path for e in spec.validate_response(oid, 200, wrong, "2024-07-01")] == [
        "$.properties.zonalPlatformFaultDomainAlignMode"]


def test_a_newer_overlay_changes_a_member_for_its_versions_only(spec):
    """2024-11-01 lists extension names in securityPostureReference.excludeExtensions (objects before)."""
    oid = "VirtualMachineScaleSets_Get"
    body = {"location": "westus", "properties": {"virtualMachineProfile": {"securityPostureReference": {
        "id": "/CommunityGalleries/g/securityPostures/p/versions/latest", "excludeExtensions": ["ext1"],
        "isOverridable": True}}}}
    assert spec.check_response(oid, 200, body, "2024-11-01") == ([], [])
    errors, drift = spec.check_response(oid, 200, body, "2024-07-01")
    assert [e.path for e in errors] == ["$.properties.virtualMachineProfile.securityPostureReference.excludeExtensions[0]"]
    assert [d.path for d in drift] == ["$.properties.virtualMachineProfile.securityPostureReference.isOverridable"]


def test_members_azure_mgmt_compute_39_knows_at_2026_04_01_are_documented_there_and_drift_before(spec):
    """The 2026-04-01 overlay comes from the SDK's models (scripts/sdk_schema_overlay.py): a member that
    version has is no drift there, still drift at 2024-07-01, and still held to its type."""
    body = {"location": "westus", "properties": {
        "lifecycleHooksProfile": {}, "highSpeedInterconnectPlacement": "None",
        "virtualMachineProfile": {"hardwareProfile": {"vmSizeProperties": {"vCPUsAvailable": 2}}},
    }, "systemData": {"createdAt": "2026-01-01T00:00:00Z", "createdByType": "User"}}
    oid = "VirtualMachineScaleSets_Get"
    errors, drift = spec.check_response(oid, 200, body, "2026-04-01")
    assert errors == [] and drift == []
    _, older = spec.check_response(oid, 200, body, "2024-07-01")
    assert {d.path for d in older} >= {"$.systemData", "$.properties.lifecycleHooksProfile"}
    wrong, _ = spec.check_response(oid, 200, {**body, "systemData": {"createdAt": 7}}, "2026-04-01")
    assert [e.path for e in wrong] == ["$.systemData.createdAt"]


def test_the_2024_11_01_and_2025_04_01_overlays_document_what_their_sdk_releases_know(spec):
    """azure-mgmt-compute 36.0.0 (2024-11-01) and 37.0.0 (2025-04-01) models, through scripts/sdk_schema_overlay.py."""
    oid = "VirtualMachineScaleSets_Get"
    body = {"location": "westus", "systemData": {"createdAt": "2025-01-01T00:00:00Z"},
            "properties": {"highSpeedInterconnectPlacement": "None"}}
    drift = {api: {d.path for d in spec.check_response(oid, 200, body, api)[1]}
             for api in ("2024-07-01", "2024-11-01", "2025-04-01")}
    assert drift["2024-07-01"] >= {"$.systemData", "$.properties.highSpeedInterconnectPlacement"}
    assert drift["2024-11-01"] == {"$.properties.highSpeedInterconnectPlacement"}  # systemData came in 2024-11-01
    assert drift["2025-04-01"] == set()


def test_sku_profile_is_typed_from_the_swagger_and_closed_in_requests(spec):
    """SkuProfile (ComputeRP/stable/2024-11-01 and 2025-04-01 virtualMachineScaleSet.json): vmSizes of {name, rank >= 0}
    and an open allocationStrategy; an unknown member inside it is refused from 2024-11-01 on (before, skuProfile
    itself is undocumented)."""
    oid = "VirtualMachineScaleSets_CreateOrUpdate"
    good = {"vmSizes": [{"name": "Standard_D2s_v5", "rank": 0}], "allocationStrategy": "Prioritized"}
    for version in ("2024-11-01", "2025-04-01", "2026-04-01"):
        assert spec.validate_request(oid, _vmss_body(skuProfile=good), version) == []
        bad = {"vmSizes": [{"name": "Standard_D2s_v5", "weight": 3}]}
        assert [e.path for e in spec.validate_request(oid, _vmss_body(skuProfile=bad), version)] == [
            "$.properties.skuProfile.vmSizes[0]"], version
        negative = {"vmSizes": [{"name": "Standard_D2s_v5", "rank": -1}]}
        assert [e.keyword for e in spec.validate_request(oid, _vmss_body(skuProfile=negative), version)] == ["minimum"]
    assert [e.path for e in spec.validate_request(oid, _vmss_body(skuProfile=good), "2024-07-01")] == ["$.properties"]
    patch = {"properties": {"skuProfile": {"vmSizes": [{"name": "Standard_D2s_v5", "weight": 3}]}}}
    assert [e.path for e in spec.validate_request("VirtualMachineScaleSets_Update", patch, "2025-04-01")] == [
        "$.properties.skuProfile.vmSizes[0]"]
