"""The emulator answers as Azure answered in real traffic: leniency, defaults, what a PUT keeps, merge patch.

Each test names its source: a shared recording (tests/data/recordings) and the interaction it learns from.
"""
from __future__ import annotations

import copy
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contract.cassette import load_cassette
from contract.emulator import create_app
from contract.emulator.lenient import normalize
from contract.network_setup import scale_set_network
from contract.servers import BackgroundServer
from contract.specs import load_spec

REC = Path(__file__).parent / "data" / "recordings"
AUTH = {"Authorization": "Bearer fidelity-test"}
SUB = "00000000-0000-0000-0000-000000000000"
V = "api-version=2022-11-01"


def template_scale_set(recording: str) -> tuple[str, dict[str, Any]]:
    """The scale set resource `az vmss create` sent inside its template deployment, as a PUT body."""
    for interaction in load_cassette(REC / recording).interactions:
        body = interaction.request.json()
        if interaction.request.method == "PUT" and "deployments" in interaction.request.uri:
            template = body["properties"]["template"]
            params = {k: v["value"] for k, v in (body["properties"].get("parameters") or {}).items()}
            for resource in template["resources"]:
                if resource["type"] == "Microsoft.Compute/virtualMachineScaleSets":
                    text = json.dumps({k: resource[k] for k in ("location", "tags", "sku", "properties")})
                    for name, value in params.items():
                        text = text.replace(f"[parameters('{name}')]", value)
                    uri = interaction.request.uri
                    group = uri[uri.lower().find("/resourcegroups/") + len("/resourcegroups/"):].split("/", 1)[0]
                    text = re.sub(r"\[resourceId\('([^']+)', '([^']+)'\)\]",  # what the template engine makes of it
                                  lambda m: f"/subscriptions/{SUB}/resourceGroups/{group}/providers/{m[1]}/{m[2]}", text)
                    return resource["name"], json.loads(text)
    raise AssertionError(f"no scale set template in {recording}")


def recorded_get(recording: str, name: str) -> dict[str, Any]:
    for interaction in load_cassette(REC / recording).interactions:
        if interaction.request.method == "GET" and interaction.response.status == 200 and \
                interaction.request.uri.split("?")[0].lower().endswith(f"virtualmachinescalesets/{name}".lower()):
            return dict(interaction.response.json())
    raise AssertionError(f"no GET of {name} in {recording}")


class Arm:
    def __init__(self, base: str, group: str) -> None:
        self.base, self.group = base, group
        self.http = requests.Session()
        self.http.headers.update(AUTH)
        assert self.call("PUT", f"/subscriptions/{SUB}/resourcegroups/{group}", {"location": "westus"},
                         version="api-version=2022-09-01").status_code in (200, 201)

    def vmss(self, name: str) -> str:
        return f"/subscriptions/{SUB}/resourceGroups/{self.group}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}"

    def network(self, body: dict[str, Any]) -> None:
        """The network a scale set body names, made first as a client does (Azure refuses a missing subnet)."""
        for path, resource in scale_set_network(body):
            path, _, version = path.partition("?")
            assert self.call("PUT", path, resource, version=version).status_code in (200, 201)

    def create(self, name: str, body: dict[str, Any]) -> requests.Response:
        """PUT a new scale set after the network it names."""
        self.network(body)
        return self.call("PUT", self.vmss(name), body)

    def call(self, method: str, path: str, body: Any = None, version: str = V) -> requests.Response:
        """One request; a write's operation is then polled to its end, as the SDK and az do."""
        sep = "&" if "?" in path else "?"
        answer = self.http.request(method, f"{self.base}{path}{sep}{version}",
                                   data=json.dumps(body) if body is not None else None,
                                   headers={"Content-Type": "application/json"} if body is not None else {})
        status_url = answer.headers.get("Azure-AsyncOperation")
        for _ in range(10 if status_url else 0):
            if self.http.get(status_url).json()["status"] != "InProgress":
                break
        return answer


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(lambda: create_app(lro_polls=0)) as srv:
        yield srv


@pytest.fixture
def arm(server: BackgroundServer, request: pytest.FixtureRequest) -> Arm:
    return Arm(server.url, f"rg-{uuid.uuid4().hex[:12]}")


def test_cli_template_with_lowercase_enum_string_booleans_and_nulls_is_accepted_and_answered_canonically(arm: Arm) -> None:
    """test_vmss_create_and_modify.yaml 10 -> 15: `mode: manual`, `primary: "true"`, `singlePlacementGroup: null`
    and `storageAccountType: null` are accepted; Azure answers Manual, true, true and Premium_LRS."""
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    put = arm.create(name, body)
    assert put.status_code == 201, put.text
    got = arm.call("GET", arm.vmss(name)).json()
    props = got["properties"]
    assert props["upgradePolicy"]["mode"] == "Manual"
    assert props["singlePlacementGroup"] is True
    nic = props["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]
    assert nic["primary"] is True
    disk = props["virtualMachineProfile"]["storageProfile"]["osDisk"]
    assert disk["managedDisk"]["storageAccountType"] == "Premium_LRS"


@pytest.mark.parametrize("recording", ["test_vmss_create_and_modify.yaml", "test_vmss_create_none_options.yaml",
                                       "test_quick_create_flexible_vmss.yaml", "test_vmss_extension.yaml"])
def test_create_fills_in_the_members_azure_fills_in(arm: Arm, recording: str) -> None:
    """The emulator's GET after a create has the same members (and defaults) as Azure's recorded GET."""
    name, body = template_scale_set(recording)
    assert arm.create(name, body).status_code == 201
    ours, theirs = arm.call("GET", arm.vmss(name)).json(), recorded_get(recording, name)
    for path in (("sku", "tier"), ("properties", "virtualMachineProfile", "storageProfile", "osDisk", "osType"),
                 ("properties", "virtualMachineProfile", "storageProfile", "osDisk", "diskSizeGB"),
                 ("properties", "virtualMachineProfile", "storageProfile", "osDisk", "managedDisk",
                  "storageAccountType"),
                 ("properties", "singlePlacementGroup")):
        a, b = ours, theirs
        for step in path:
            a, b = a[step], b[step]
        assert a == b, path
    for member in ("upgradePolicy", "overprovision", "doNotRunExtensionsOnOverprovisionedVMs",
                   "constrainedMaximumCapacity", "platformFaultDomainCount"):
        assert (member in ours["properties"]) == (member in theirs["properties"]), member
    if "upgradePolicy" in theirs["properties"]:
        assert ours["properties"]["upgradePolicy"] == theirs["properties"]["upgradePolicy"]
    os_profile = ours["properties"]["virtualMachineProfile"]["osProfile"]
    assert set(os_profile) == set(theirs["properties"]["virtualMachineProfile"]["osProfile"])


def test_put_with_only_location_and_sku_keeps_the_profile(arm: Arm) -> None:
    """test_vmss_create_and_modify.yaml 38: `az vmss scale` PUTs {location, sku}; Azure keeps the whole profile."""
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    assert arm.create(name, body).status_code == 201
    before = arm.call("GET", arm.vmss(name)).json()
    scaled = arm.call("PUT", arm.vmss(name), {"location": "westus", "sku": {"name": "Standard_DS1_v2", "capacity": 2}})
    assert scaled.status_code == 200, scaled.text
    after = arm.call("GET", arm.vmss(name)).json()
    assert after["sku"]["capacity"] == 2
    assert after["properties"]["virtualMachineProfile"] == before["properties"]["virtualMachineProfile"]


def test_update_put_without_image_reference_keeps_it(arm: Arm) -> None:
    """test_vmss_extension.yaml 13: the CLI's update PUT has no imageReference; Azure's answer still has it."""
    name, body = template_scale_set("test_vmss_extension.yaml")
    assert arm.create(name, body).status_code == 201
    update = copy.deepcopy(body)
    del update["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]
    answer = arm.call("PUT", arm.vmss(name), update)
    assert answer.status_code == 200, answer.text
    image = answer.json()["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]
    assert image["offer"] == body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["offer"]


def test_member_names_in_another_case_are_read_as_the_canonical_ones(arm: Arm) -> None:
    """Json.NET matches member names case-insensitively (the app gateway template sends
    `ApplicationGatewayBackendAddressPools`, test_vmss_create_with_app_gateway.yaml; Azure answers camelCase)."""
    name, body = template_scale_set("test_vmss_create_with_app_gateway.yaml")
    body["Location"] = body.pop("location")
    answer = arm.create(name, body)
    assert answer.status_code == 201, answer.text
    ipc = answer.json()["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    assert "applicationGatewayBackendAddressPools" in ipc["properties"]["ipConfigurations"][0]["properties"]
    assert answer.json()["location"] == "westus"


def test_instance_ids_star_acts_on_every_instance(arm: Arm) -> None:
    """`az vmss stop` with no ids sends `instanceIds: ["*"]` (azure-cli's default); Azure powers off all of them."""
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    body["sku"]["capacity"] = 3
    assert arm.create(name, body).status_code == 201
    answer = arm.call("POST", arm.vmss(name) + "/poweroff", {"instanceIds": ["*"]})
    assert answer.status_code == 202, answer.text
    for vm in arm.call("GET", arm.vmss(name) + "/virtualMachines?$expand=instanceView").json()["value"]:
        codes = {s["code"] for s in vm["properties"]["instanceView"]["statuses"]}
        assert "PowerState/stopped" in codes
    # The same for a VM action on `virtualMachines/*`.
    assert arm.call("POST", arm.vmss(name) + "/virtualMachines/*/start").status_code == 202
    for vm in arm.call("GET", arm.vmss(name) + "/virtualMachines?$expand=instanceView").json()["value"]:
        assert "PowerState/running" in {s["code"] for s in vm["properties"]["instanceView"]["statuses"]}


def test_patch_is_a_merge_patch_where_null_removes_a_member(arm: Arm) -> None:
    """ARM-FACTS / RFC 7396: a null in a PATCH removes that member; the others stay."""
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    body["tags"] = {"keep": "1", "drop": "2"}
    assert arm.create(name, body).status_code == 201
    answer = arm.call("PATCH", arm.vmss(name), {"tags": {"drop": None, "new": "3"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["tags"] == {"keep": "1", "new": "3"}


def test_lenient_reading_folds_case_and_spaces_of_enum_values() -> None:
    """"SystemAssigned,UserAssigned" (no space) and "systemassigned" read as the swagger's enum values."""
    spec = load_spec()
    schema = spec.request_schema("VirtualMachineScaleSets_Update")
    read = normalize({"identity": {"type": "SystemAssigned,UserAssigned"}}, schema, drop_nulls=False)
    assert read["identity"]["type"] == "SystemAssigned, UserAssigned"
    read = normalize({"identity": {"type": "systemassigned"}, "properties": {"overprovision": "FALSE"}},
                     schema, drop_nulls=False)
    assert read["identity"]["type"] == "SystemAssigned" and read["properties"]["overprovision"] is False
    # Values outside the enum and real strings stay as sent, for the strict check to refuse.
    assert normalize({"identity": {"type": "Bogus"}}, schema, drop_nulls=False)["identity"]["type"] == "Bogus"


# ----------------------------------------------------------------------------- query options

@pytest.fixture(scope="module")
def paged_server() -> Iterator[BackgroundServer]:
    with BackgroundServer(lambda: create_app(lro_polls=0, page_size=2)) as srv:
        yield srv


def test_lists_page_with_next_link_and_vm_list_takes_the_swaggers_filter_and_select(
        paged_server: BackgroundServer) -> None:
    arm = Arm(paged_server.url, f"rg-{uuid.uuid4().hex[:12]}")
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    body["sku"]["capacity"] = 5
    assert arm.create(name, body).status_code == 201
    seen, url = [], f"{arm.vmss(name)}/virtualMachines"
    first = arm.call("GET", url).json()
    assert len(first["value"]) == 2 and "$skiptoken=2" in first["nextLink"]
    page = first
    while True:
        seen += [v["instanceId"] for v in page["value"]]
        if "nextLink" not in page:
            break
        page = arm.http.get(page["nextLink"]).json()
    assert seen == ["0", "1", "2", "3", "4"]

    arm.call("POST", arm.vmss(name) + "/manualupgrade", {"instanceIds": ["0"]})
    arm.call("PATCH", arm.vmss(name), {"properties": {"virtualMachineProfile": {"licenseType": "Windows_Server"}}})
    arm.call("POST", arm.vmss(name) + "/manualupgrade", {"instanceIds": ["1"]})
    fresh = arm.call("GET", url + "?$filter=properties/latestModelApplied eq true").json()
    assert [v["instanceId"] for v in fresh["value"]] == ["1"]
    power = arm.call("GET", url + "?$filter=startswith(instanceView/statuses/code, 'PowerState') eq true"
                                  "&$select=instanceView/statuses").json()
    statuses = power["value"][0]["properties"]["instanceView"]["statuses"]
    assert [s["code"] for s in statuses] == ["PowerState/running"]
    assert set(power["value"][0]["properties"]) == {"instanceView"}
    refused = arm.call("GET", url + "?$filter=name eq 'x'")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "InvalidParameter"


def test_user_data_is_only_in_answers_that_expand_it(arm: Arm) -> None:
    """The swagger's `$expand=userData` (ExpandTypesForGetVMScaleSets, InstanceViewTypes)."""
    name, body = template_scale_set("test_vmss_create_linux_secrets.yaml")
    body["properties"]["virtualMachineProfile"]["userData"] = "dXNlci1kYXRh"
    assert arm.create(name, body).status_code == 201
    assert "userData" not in arm.call("GET", arm.vmss(name)).json()["properties"]["virtualMachineProfile"]
    expanded = arm.call("GET", arm.vmss(name) + "?$expand=userData").json()
    assert expanded["properties"]["virtualMachineProfile"]["userData"] == "dXNlci1kYXRh"
    assert "userData" not in arm.call("GET", arm.vmss(name) + "/virtualMachines/0").json()["properties"]
    vm = arm.call("GET", arm.vmss(name) + "/virtualMachines/0?$expand=userData").json()
    assert vm["properties"]["userData"] == "dXNlci1kYXRh"


# ----------------------------------------------------------------------------- no pretending

def test_orchestration_service_state_is_real_state_in_the_instance_view(arm: Arm) -> None:
    """SetOrchestrationServiceState suspends / resumes AutomaticRepairs; the instance view reports it
    (documented example VirtualMachineScaleSet_GetInstanceView_MaximumSet_Gen: orchestrationServices)."""
    name, body = template_scale_set("test_vmss_update_automatic_repairs_with_health_extension.yaml")
    assert arm.create(name, body).status_code == 201
    assert "orchestrationServices" not in arm.call("GET", arm.vmss(name) + "/instanceView").json()
    action = {"serviceName": "AutomaticRepairs", "action": "Suspend"}
    refused = arm.call("POST", arm.vmss(name) + "/setOrchestrationServiceState", action)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "OperationNotAllowed"
    assert arm.call("PATCH", arm.vmss(name), {"properties": {"automaticRepairsPolicy": {
        "enabled": True, "gracePeriod": "PT30M"}}}).status_code == 200
    services = lambda: arm.call("GET", arm.vmss(name) + "/instanceView").json()["orchestrationServices"]  # noqa: E731
    assert services() == [{"serviceName": "AutomaticRepairs", "serviceState": "Running"}]
    assert arm.call("POST", arm.vmss(name) + "/setOrchestrationServiceState", action).status_code == 202
    assert services()[0]["serviceState"] == "Suspended"
    assert arm.call("POST", arm.vmss(name) + "/setOrchestrationServiceState",
                    {"serviceName": "automaticrepairs", "action": "resume"}).status_code == 202
    assert services()[0]["serviceState"] == "Running"


def test_os_upgrade_history_lists_the_os_upgrades_that_ran(arm: Arm) -> None:
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    assert arm.create(name, body).status_code == 201
    assert arm.call("GET", arm.vmss(name) + "/osUpgradeHistory").json()["value"] == []
    assert arm.call("POST", arm.vmss(name) + "/osRollingUpgrade").status_code == 202
    history = arm.call("GET", arm.vmss(name) + "/osUpgradeHistory").json()["value"]
    assert len(history) == 1
    entry = history[0]["properties"]
    assert entry["runningStatus"]["code"] == "Completed" and entry["startedBy"] == "User"
    assert entry["targetImageReference"]["sku"] == "2012-R2-Datacenter"
    assert entry["progress"]["successfulInstanceCount"] == body["sku"]["capacity"]


def test_perform_maintenance_refuses_clearly_and_vm_instance_view_names_the_guest(arm: Arm) -> None:
    name, body = template_scale_set("test_vmss_create_and_modify.yaml")
    assert arm.create(name, body).status_code == 201
    for path in ("/performMaintenance", "/virtualMachines/0/performMaintenance"):
        refused = arm.call("POST", arm.vmss(name) + path)
        assert refused.status_code == 409 and "no platform maintenance" in refused.json()["error"]["message"]
    view = arm.call("GET", arm.vmss(name) + "/virtualMachines/0/instanceView").json()
    assert view["computerName"] == "vmss12766000000"  # prefix + 6 base-36 digits, as the VM model says
    assert view["osName"].startswith("Windows Server 2012 R2") and view["hyperVGeneration"] == "V1"
    vm = arm.call("GET", arm.vmss(name) + "/virtualMachines/0").json()
    # test_vmss_create_and_modify.yaml's VM list: "latest" resolved to 9600.20969.230505, disk ids under Microsoft.Compute/disks
    assert vm["properties"]["storageProfile"]["imageReference"]["exactVersion"] == "9600.20969.230505"
    assert "/providers/Microsoft.Compute/disks/vmss1_vmss1_0_OsDisk_1_" in \
        vm["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
    linux = arm.call("POST", arm.vmss(name) + "/virtualMachines/0/runCommand",
                     {"commandId": "RunShellScript", "script": ["uptime"]})
    assert linux.status_code == 400 and linux.json()["error"]["target"] == "commandId"  # a Windows VM


def test_repeated_reads_never_answer_stale_state() -> None:
    """Reads are reused between writes (readcache); a write, or an operation finishing by time, shows at once."""
    with BackgroundServer(lambda: create_app(lro_polls=3, complete_on_read=False, complete_after=0.2)) as srv:
        arm = Arm(srv.url, f"rg-{uuid.uuid4().hex[:12]}")
        name, body = template_scale_set("test_vmss_create_and_modify.yaml")
        arm.network(body)
        raw = arm.http.put(f"{srv.url}{arm.vmss(name)}?{V}", data=json.dumps(body),
                           headers={"Content-Type": "application/json"})
        assert raw.status_code == 201
        first, second = (arm.http.get(f"{srv.url}{arm.vmss(name)}?{V}") for _ in range(2))
        assert first.json()["properties"]["provisioningState"] == "Creating" == \
            second.json()["properties"]["provisioningState"]
        assert first.headers["x-ms-request-id"] != second.headers["x-ms-request-id"]
        time.sleep(0.3)  # the emulator's own completion time passes: the next read sees it
        assert arm.http.get(f"{srv.url}{arm.vmss(name)}?{V}").json()["properties"]["provisioningState"] == \
            "Succeeded"
        assert arm.call("PATCH", arm.vmss(name), {"tags": {"v": "2"}}).status_code == 200
        assert arm.http.get(f"{srv.url}{arm.vmss(name)}?{V}").json()["tags"] == {"v": "2"}
        listed = arm.http.get(f"{srv.url}{arm.vmss(name)}/virtualMachines?{V}").json()["value"]
        assert arm.call("POST", arm.vmss(name) + "/delete", {"instanceIds": [listed[0]["instanceId"]]}).status_code == 202
        again = arm.http.get(f"{srv.url}{arm.vmss(name)}/virtualMachines?{V}").json()["value"]
        assert len(again) == len(listed) - 1
