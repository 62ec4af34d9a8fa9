"""The emulator over loopback HTTP, as curl would see it: ARM status codes, headers, LRO and bad input."""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contract.emulator import create_app
from contract.servers import BackgroundServer
from support import network_request

AUTH = {"Authorization": "Bearer local-test-token"}
V = "api-version=2026-04-01"
SUB = "sub-1"
RG_PATH = f"/subscriptions/{SUB}/resourceGroups/rg1"
VMSS_PATH = f"{RG_PATH}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"
SECRET_VALUES = ("P@ssw0rd-never-echoed", "Y3VzdG9tLWRhdGE=", "ext-protected", "rc-pass", "rc-protected")
SUBNET = f"{RG_PATH}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default"


def nic(name: str, primary: bool = True, subnet: str = SUBNET, public_ip: bool = True) -> dict[str, Any]:
    ip: dict[str, Any] = {"subnet": {"id": subnet}}
    if public_ip:
        ip["publicIPAddressConfiguration"] = {"name": f"{name}-pip", "properties": {"idleTimeoutInMinutes": 5}}
    return {"name": name, "properties": {"primary": primary, "ipConfigurations": [{"name": "ipc", "properties": ip}]}}


def vmss_body(capacity: int = 2, nics: list[dict[str, Any]] | None = None, mode: str = "Manual") -> dict[str, Any]:
    return {
        "location": "westus",
        "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": capacity},
        "properties": {
            "upgradePolicy": {"mode": mode},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "web", "adminUsername": "ops",
                              "adminPassword": SECRET_VALUES[0], "customData": SECRET_VALUES[1]},
                "storageProfile": {
                    "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer", "sku": "18.04-LTS",
                                       "version": "latest"},
                    "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}},
                },
                "networkProfile": {"networkInterfaceConfigurations": nics if nics is not None else [nic("nic0")]},
                "extensionProfile": {"extensions": [{"name": "cse", "properties": {
                    "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
                    "protectedSettings": {"commandToExecute": SECRET_VALUES[2]}}}]},
            },
        },
    }


class Client:
    """A tiny ARM client over requests: base URL, bearer token, api-version."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.seen: list[requests.Response] = []

    def call(self, method: str, path: str, body: Any = None, version: str | None = V, *,
             headers: dict[str, str] | None = None, data: bytes | None = None) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        if version:
            url += ("&" if "?" in url else "?") + version
        response = self.session.request(method, url, json=body if data is None else None, data=data,
                                        headers={**AUTH, **(headers or {})}, timeout=10)
        self.seen.append(response)
        return response

    def poll(self, response: requests.Response) -> requests.Response:
        """Follow Azure-AsyncOperation to a terminal status, as the SDK does."""
        url = response.headers["Azure-AsyncOperation"]
        for _ in range(20):
            status = self.call("GET", url, version=None)
            assert status.status_code == 200
            if status.json()["status"] != "InProgress":
                return status
        raise AssertionError("operation never finished")

    def group(self) -> requests.Response:
        """The resource group and the virtual network the scale sets stand on, as a real client makes them
        (Azure and the emulator refuse a scale set whose subnet does not exist)."""
        created = self.call("PUT", RG_PATH, {"location": "westus"}, "api-version=2022-09-01")
        path, body = network_request(SUBNET)
        vnet = self.call("PUT", path, body, version=None)
        assert vnet.status_code in (200, 201), vnet.text
        return created

    def setup(self) -> None:
        assert self.group().status_code == 201
        created = self.call("PUT", VMSS_PATH, vmss_body())
        assert created.status_code == 201
        self.poll(created)


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    srv = BackgroundServer(lambda: create_app(lro_polls=1)).start()
    yield srv
    srv.stop()


@pytest.fixture
def client(server: BackgroundServer) -> Client:
    return Client(server.url)


def error(response: requests.Response) -> tuple[int, str]:
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get("x-ms-request-id")
    if response.status_code not in (429, 503):
        assert "Retry-After" not in response.headers  # azure-core would retry a plain client error
    return response.status_code, response.json()["error"]["code"]


# ----------------------------------------------------------------------------- bad input


def test_bad_input_gets_arm_errors_and_the_server_keeps_serving(client: Client, server: BackgroundServer) -> None:
    client.setup()
    json_headers = {"Content-Type": "application/json"}
    assert error(client.call("PUT", VMSS_PATH, data=b'{"location": "westus",', headers=json_headers)) == \
        (400, "InvalidRequestContent")
    assert error(client.call("PUT", VMSS_PATH, data=b'{"location": "\xff\xfe"}', headers=json_headers)) == \
        (400, "InvalidRequestContent")
    assert error(client.call("PUT", VMSS_PATH, data=b"[1, 2]", headers=json_headers)) == (400, "InvalidRequestContent")
    assert error(client.call("PUT", VMSS_PATH, data=b"", headers=json_headers)) == (400, "InvalidRequestContent")
    big = b'{"location": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    try:
        too_big = client.call("PUT", VMSS_PATH, data=big, headers=json_headers)
        assert error(too_big) == (413, "RequestEntityTooLarge")
    except requests.ConnectionError:
        pytest.fail("a 10 MB body must get a 413 answer, not a dropped connection")
    assert error(client.call("GET", f"/subscriptions/{SUB}/nothing/here")) == (404, "NotFound")
    assert error(client.call("GET", f"{VMSS_PATH}/noSuchChild")) == (404, "InvalidResourceType")
    assert error(client.call("POST", VMSS_PATH)) == (405, "MethodNotAllowed")
    assert error(client.call("GET", VMSS_PATH, version=None)) == (400, "MissingApiVersionParameter")
    for version in ("api-version=2015-01-01", "api-version=banana"):
        assert error(client.call("GET", VMSS_PATH, version=version)) == (400, "InvalidApiVersionParameter")
    no_auth = requests.get(f"{server.url}{VMSS_PATH}?{V}", timeout=10)
    assert error(no_auth) == (401, "AuthenticationFailed")
    assert no_auth.headers["WWW-Authenticate"].startswith("Bearer")
    # Nothing above changed the scale set, and the server still answers.
    got = client.call("GET", VMSS_PATH)
    assert got.status_code == 200 and got.json()["properties"]["provisioningState"] == "Succeeded"


def test_known_and_newer_api_versions_are_served(client: Client) -> None:
    client.setup()
    for version in ("2017-03-30", "2024-07-01", "2026-04-01", "2030-01-01", "2031-06-01-preview"):
        assert client.call("GET", VMSS_PATH, version=f"api-version={version}").status_code == 200, version


def test_paths_are_case_insensitive_and_names_keep_their_spelling(client: Client) -> None:
    client.setup()
    shouted = VMSS_PATH.upper().replace("SUB-1", SUB).replace("/SUBSCRIPTIONS/", "/subscriptions/")
    for path in (VMSS_PATH.replace("resourceGroups", "resourcegroups"), shouted,
                 VMSS_PATH.replace("Microsoft.Compute", "microsoft.compute") + "/"):
        got = client.call("GET", path)
        assert got.status_code == 200, path
        assert got.json()["name"] == "vmss1"
        assert got.json()["id"] == VMSS_PATH
    assert client.call("GET", f"{VMSS_PATH}/VIRTUALMACHINES/0/INSTANCEVIEW").status_code == 200


def test_missing_parents_get_arms_404s(client: Client) -> None:
    assert error(client.call("PUT", VMSS_PATH, vmss_body())) == (404, "ResourceGroupNotFound")
    assert error(client.call("GET", RG_PATH, version="api-version=2022-09-01")) == (404, "ResourceGroupNotFound")
    client.group()
    assert error(client.call("GET", VMSS_PATH)) == (404, "ResourceNotFound")
    assert error(client.call("PATCH", VMSS_PATH, {"tags": {}})) == (404, "PatchResourceNotFound")
    assert error(client.call("GET", f"{VMSS_PATH}/virtualMachines")) == (404, "ParentResourceNotFound")
    assert error(client.call("GET", f"{VMSS_PATH}/virtualMachines/0/runCommands/x")) == (404, "ParentResourceNotFound")
    assert client.call("DELETE", VMSS_PATH).status_code == 204
    client.call("PUT", VMSS_PATH, vmss_body())
    assert error(client.call("GET", f"{VMSS_PATH}/virtualMachines/7")) == (404, "ResourceNotFound")


# ----------------------------------------------------------------------------- long-running operations


def test_operation_is_in_progress_for_n_polls_then_succeeded_for_good() -> None:
    with BackgroundServer(lambda: create_app(lro_polls=3)) as srv:
        client = Client(srv.url)
        client.group()
        created = client.call("PUT", VMSS_PATH, vmss_body())
        assert created.status_code == 201
        assert created.json()["properties"]["provisioningState"] == "Creating"
        assert created.headers["retry-after-ms"] == "1" and "Location" not in created.headers
        status_url = created.headers["Azure-AsyncOperation"]
        assert status_url.startswith(f"{srv.url}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/")
        statuses = [client.call("GET", status_url, version=None).json()["status"] for _ in range(6)]
        assert statuses == ["InProgress"] * 3 + ["Succeeded"] * 3
        final = client.call("GET", status_url, version=None).json()
        assert final["name"] in status_url and final["endTime"] >= final["startTime"]
        assert client.call("GET", VMSS_PATH).json()["properties"]["provisioningState"] == "Succeeded"

        again = client.call("PUT", VMSS_PATH, vmss_body())
        assert again.status_code == 200 and again.json()["properties"]["provisioningState"] == "Updating"
        assert again.headers["Azure-AsyncOperation"] != status_url


def test_actions_and_delete_answer_202_with_a_monitor_that_outlives_the_resource(client: Client) -> None:
    client.setup()
    upgrade = client.call("POST", f"{VMSS_PATH}/manualupgrade", {"instanceIds": ["0"]})
    assert upgrade.status_code == 202 and upgrade.content == b""
    assert upgrade.headers["Location"] == upgrade.headers["Azure-AsyncOperation"] + "&monitor=true"
    assert client.poll(upgrade).json()["status"] == "Succeeded"
    assert client.call("GET", upgrade.headers["Location"], version=None).status_code == 200

    deleted = client.call("DELETE", VMSS_PATH)
    assert deleted.status_code == 202 and deleted.content == b""
    monitor = deleted.headers["Location"]
    assert monitor.endswith("&monitor=true")
    assert error(client.call("GET", VMSS_PATH)) == (404, "ResourceNotFound")
    answers = [client.call("GET", monitor, version=None).status_code for _ in range(3)]
    assert all(200 <= s < 300 for s in answers) and answers[-1] == 200
    assert client.call("GET", deleted.headers["Azure-AsyncOperation"], version=None).json()["status"] == "Succeeded"


def test_every_answer_carries_arm_headers(client: Client) -> None:
    client.setup()
    client.call("GET", f"{VMSS_PATH}/virtualMachines")
    client.call("POST", f"{VMSS_PATH}/restart")
    for response in client.seen:
        assert response.headers.get("x-ms-request-id"), response.url
        assert response.headers.get("x-ms-correlation-request-id"), response.url
        kind = "writes" if response.request.method in ("PUT", "PATCH", "POST", "DELETE") else "reads"
        assert response.headers.get(f"x-ms-ratelimit-remaining-subscription-{kind}"), response.url
        if response.content:
            assert response.headers["Content-Type"] == "application/json; charset=utf-8"


# ----------------------------------------------------------------------------- VMs and scaling


def test_instances_follow_capacity_and_power_actions(client: Client) -> None:
    client.setup()
    ids = lambda: [v["instanceId"] for v in client.call("GET", f"{VMSS_PATH}/virtualMachines").json()["value"]]
    assert ids() == ["0", "1"]
    client.poll(client.call("PATCH", VMSS_PATH, {"sku": {"capacity": 4}}))
    assert ids() == ["0", "1", "2", "3"]
    client.poll(client.call("PATCH", VMSS_PATH, {"sku": {"capacity": 1}}))
    assert ids() == ["0"]
    client.poll(client.call("PATCH", VMSS_PATH, {"sku": {"capacity": 2}}))
    assert ids() == ["0", "4"]  # ids are never reused

    power = lambda: [s["code"] for s in client.call("GET", f"{VMSS_PATH}/virtualMachines/4/instanceView").json()
                     ["statuses"] if s["code"].startswith("PowerState/")]
    client.poll(client.call("POST", f"{VMSS_PATH}/poweroff", {"instanceIds": ["4"]}))
    assert power() == ["PowerState/stopped"]
    client.poll(client.call("POST", f"{VMSS_PATH}/virtualMachines/4/start"))
    assert power() == ["PowerState/running"]
    client.poll(client.call("POST", f"{VMSS_PATH}/delete", {"instanceIds": ["0"]}))
    assert ids() == ["4"] and client.call("GET", VMSS_PATH).json()["sku"]["capacity"] == 1

    expanded = client.call("GET", f"{VMSS_PATH}/virtualMachines/4?$expand=instanceView").json()
    assert {s["code"] for s in expanded["properties"]["instanceView"]["statuses"]} == \
        {"ProvisioningState/succeeded", "PowerState/running"}
    summary = client.call("GET", f"{VMSS_PATH}/instanceView").json()["virtualMachine"]["statusesSummary"]
    assert summary == [{"code": "ProvisioningState/succeeded", "count": 1}]
    unknown = client.call("POST", f"{VMSS_PATH}/manualupgrade", {"instanceIds": ["99"]})
    assert error(unknown) == (400, "InvalidParameter") and unknown.json()["error"]["target"] == "instanceIds"


def test_public_ips_only_for_nics_that_ask_for_one(client: Client) -> None:
    client.group()
    body = vmss_body(capacity=2, nics=[nic("front", primary=True), nic("back", primary=False, public_ip=False)])
    client.poll(client.call("PUT", VMSS_PATH, body))
    ips = client.call("GET", f"{VMSS_PATH}/publicipaddresses", version="api-version=2017-03-30").json()["value"]
    assert [ip["id"].split("/networkInterfaces/")[1] for ip in ips] == ["front/ipConfigurations/ipc/publicIPAddresses/front-pip"] * 2
    assert len({ip["properties"]["ipAddress"] for ip in ips}) == 2
    assert all(ip["properties"]["idleTimeoutInMinutes"] == 5 for ip in ips)
    one = client.call("GET", f"{VMSS_PATH}/virtualMachines/1/networkInterfaces/front/ipConfigurations/ipc/"
                             "publicipaddresses", version="api-version=2017-03-30").json()["value"]
    assert len(one) == 1 and "/virtualMachines/1/" in one[0]["id"]


# ----------------------------------------------------------------------------- rules and secrets


def test_refused_requests_change_nothing(client: Client) -> None:
    client.setup()
    before = client.call("GET", VMSS_PATH).json()
    vms_before = client.call("GET", f"{VMSS_PATH}/virtualMachines").json()
    nine = vmss_body(capacity=5, nics=[nic(f"n{i}", primary=i == 0, public_ip=False) for i in range(9)])
    two_primary = vmss_body(capacity=5, nics=[nic("a"), nic("b")])
    other_vnet = vmss_body(capacity=5, nics=[nic("a"), nic("b", primary=False, subnet=SUBNET.replace("vnet1", "vnet2"))])
    assert error(client.call("PUT", VMSS_PATH.replace("vmss1", "vmss2"), other_vnet)) == (400, "InvalidParameter")
    assert error(client.call("GET", VMSS_PATH.replace("vmss1", "vmss2"))) == (404, "ResourceNotFound")
    flexible = vmss_body()
    flexible["properties"]["orchestrationMode"] = "Flexible"
    renamed_admin = vmss_body()
    renamed_admin["properties"]["virtualMachineProfile"]["osProfile"]["adminUsername"] = "root2"
    other_image = vmss_body()
    other_image["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["publisher"] = "Debian"
    bad_capacity = vmss_body()
    bad_capacity["sku"]["capacity"] = "many"
    cases = [
        ("PUT", nine, None, 400, "InvalidParameter"),
        ("PUT", two_primary, None, 400, "InvalidParameter"),
        ("PUT", other_vnet, None, 409, "PropertyChangeNotAllowed"),  # an existing set never moves VNET
        ("PUT", bad_capacity, "sku.capacity", 400, "InvalidParameter"),
        ("PUT", vmss_body(capacity=101), None, 400, "InvalidParameter"),
        ("PUT", {**vmss_body(), "color": "blue"}, None, 400, "InvalidRequestContent"),
        ("PATCH", {"location": "eastus"}, None, 409, "PropertyChangeNotAllowed"),
        ("PUT", flexible, None, 409, "PropertyChangeNotAllowed"),
        ("PUT", renamed_admin, None, 409, "PropertyChangeNotAllowed"),
        ("PUT", other_image, None, 409, "PropertyChangeNotAllowed"),
    ]
    for method, body, target, status, code in cases:
        answer = client.call(method, VMSS_PATH, body)
        assert error(answer) == (status, code), (body, answer.text)
        assert answer.json()["error"].get("target") or status == 400 and code == "InvalidRequestContent"
        if target is not None:
            assert answer.json()["error"]["target"] == target
    assert client.call("GET", VMSS_PATH).json() == before
    assert client.call("GET", f"{VMSS_PATH}/virtualMachines").json() == vms_before


def test_api_version_gates_come_from_the_rules(client: Client) -> None:
    client.group()
    old = "api-version=2016-04-30-preview"
    gated = client.call("PUT", VMSS_PATH, vmss_body(), version=old)
    assert error(gated) == (400, "InvalidParameter")
    assert "publicIPAddressConfiguration" in gated.json()["error"]["target"]
    assert client.call("GET", VMSS_PATH).status_code == 404
    plain = vmss_body(nics=[nic("nic0", public_ip=False)])
    client.poll(client.call("PUT", VMSS_PATH, plain, version=old))
    changed = copy.deepcopy(plain)
    changed["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]["caching"] = "ReadOnly"
    assert error(client.call("PUT", VMSS_PATH, changed, version="api-version=2017-03-30")) == (400, "InvalidParameter")
    assert client.call("PUT", VMSS_PATH, changed, version="api-version=2017-12-01").status_code == 200


def test_secrets_are_accepted_and_never_returned(client: Client) -> None:
    client.setup()
    client.poll(client.call("PUT", VMSS_PATH, vmss_body()))  # secrets again, on an update
    rc_path = f"{VMSS_PATH}/virtualMachines/0/runCommands/rc1"
    rc = {"location": "westus", "properties": {"source": {"script": "id"}, "runAsUser": "ops",
                                               "runAsPassword": SECRET_VALUES[3],
                                               "protectedParameters": [{"name": "k", "value": SECRET_VALUES[4]}]}}
    created = client.call("PUT", rc_path, rc)
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Creating"
    client.poll(created)
    got = client.call("GET", rc_path + "?$expand=instanceView").json()
    assert got["properties"]["provisioningState"] == "Succeeded"
    assert got["properties"]["instanceView"]["executionState"] == "Succeeded"
    updated = client.call("PUT", rc_path, rc)
    assert updated.status_code == 200 and updated.json()["properties"]["provisioningState"] == "Updating"
    client.call("GET", f"{VMSS_PATH}/virtualMachines/0/runCommands")
    client.call("GET", f"{VMSS_PATH}/virtualMachines?$expand=instanceView")
    client.call("GET", f"{VMSS_PATH}/virtualMachines/1")
    client.call("GET", f"{RG_PATH}/providers/Microsoft.Compute/virtualMachineScaleSets")
    assert len(client.seen) > 10
    for response in client.seen:
        for secret in SECRET_VALUES:
            assert secret not in response.text, response.url


def test_run_command_rules_refuse_and_store_nothing(client: Client) -> None:
    client.setup()
    rc_path = f"{VMSS_PATH}/virtualMachines/1/runCommands/bad"
    both_ids = {"location": "westus", "properties": {"source": {"scriptUri": "https://x/y.sh"},
                "outputBlobManagedIdentity": {"clientId": "a", "objectId": "b"}}}
    two_sources = {"location": "westus", "properties": {"source": {"script": "id", "scriptUri": "https://x/y"}}}
    for body in (both_ids, two_sources):
        assert error(client.call("PUT", rc_path, body)) == (400, "InvalidParameter")
    assert error(client.call("GET", rc_path)) == (404, "ResourceNotFound")
    assert client.call("GET", f"{VMSS_PATH}/virtualMachines/1/runCommands").json() == {"value": []}


def test_each_app_has_its_own_state() -> None:
    with BackgroundServer(create_app) as first, BackgroundServer(create_app) as second:
        Client(first.url).setup()
        assert error(Client(second.url).call("GET", VMSS_PATH)) == (404, "ResourceGroupNotFound")


# ----------------------------------------------------------------------------- the command


def test_emulate_command_prints_listening_line_serves_tls_and_stops_on_sigterm(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("vmss-contract")
    proc = subprocess.Popen([str(cli), "emulate", "--port", "0", "--tls", "--tls-dir", str(tmp_path),
                             "--lro-polls", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on https://127.0.0.1:"), line
        url = line.removeprefix("listening on ")
        tls = {"verify": str(tmp_path / "ca.pem"), "headers": AUTH, "timeout": 10}  # per call: env CA vars win over Session.verify
        assert requests.put(f"{url}{RG_PATH}?api-version=2022-09-01", json={"location": "westus"},
                            **tls).status_code == 201
        orphan = requests.put(f"{url}{VMSS_PATH}?{V}", json=vmss_body(), **tls)  # no subnet yet: Azure refuses
        assert (orphan.status_code, orphan.json()["error"]["code"]) == (400, "InvalidResourceReference")
        vnet_path, vnet = network_request(SUBNET)
        assert requests.put(f"{url}{vnet_path}", json=vnet, **tls).status_code == 201
        created = requests.put(f"{url}{VMSS_PATH}?{V}", json=vmss_body(), **tls)
        assert created.status_code == 201
        polls = [requests.get(created.headers["Azure-AsyncOperation"], **tls).json()["status"] for _ in range(3)]
        assert polls == ["InProgress", "InProgress", "Succeeded"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""


def test_no_network_integrity_is_an_explicit_escape_hatch(tmp_path: Path) -> None:
    """`emulate --no-network-integrity` accepts a scale set on a subnet nobody made (Azure does not)."""
    cli = Path(sys.executable).with_name("vmss-contract")
    proc = subprocess.Popen([str(cli), "emulate", "--port", "0", "--no-identity", "--no-network-integrity"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        client = Client(url)
        assert client.call("PUT", RG_PATH, {"location": "westus"}, "api-version=2022-09-01").status_code == 201
        assert client.call("PUT", VMSS_PATH, vmss_body()).status_code == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    help_text = subprocess.run([str(cli), "emulate", "--help"], capture_output=True, text=True).stdout
    assert "Not what Azure does" in " ".join(help_text.split())


def test_the_emulator_does_not_echo_bodies_it_refused(client: Client) -> None:
    client.setup()
    answer = client.call("PUT", VMSS_PATH, {**vmss_body(), "zones": "not-a-list"})
    assert error(answer)[0] == 400
    assert SECRET_VALUES[0] not in answer.text
    assert json.loads(answer.text)["error"]["message"]


def test_operations_are_bounded_and_the_oldest_is_settled_on_the_way_out() -> None:
    from contract.emulator.lro import Operations

    settled: list[str] = []
    ops = Operations(polls=5, keep=3)
    first = ops.start("sub", "westus", lambda: settled.append("first"))
    for _ in range(3):
        ops.start("sub", "westus")
    assert len(ops) == 3 and ops.get("sub", first.id) is None
    assert first.status == "Succeeded" and settled == ["first"]


def test_raw_traffic_with_refusals_passes_the_checker() -> None:
    """Errors, actions and polls as curl sends them: every answer is one the contract allows."""
    from contract.checker import check
    from support import Capture, assert_no_violations

    capture = Capture()

    def factory() -> Any:
        app = create_app(lro_polls=2)
        app.middlewares.insert(0, capture.middleware)
        return app

    with BackgroundServer(factory) as srv:
        client = Client(srv.url)
        client.setup()
        assert error(client.call("PUT", VMSS_PATH, vmss_body(nics=[nic("a"), nic("b")])))[0] == 400
        assert error(client.call("PATCH", VMSS_PATH, {"zones": "1"}))[0] == 400
        renamed = vmss_body()
        renamed["properties"]["virtualMachineProfile"]["osProfile"]["adminUsername"] = "other"
        assert error(client.call("PUT", VMSS_PATH, renamed))[0] == 409
        client.poll(client.call("PATCH", VMSS_PATH, {"sku": {"capacity": 3}, "tags": {"a": "b"}}))
        client.poll(client.call("POST", f"{VMSS_PATH}/manualupgrade", {"instanceIds": ["2"]}))
        client.poll(client.call("POST", f"{VMSS_PATH}/reimage"))
        client.poll(client.call("POST", f"{VMSS_PATH}/virtualMachines/1/poweroff"))
        rc = f"{VMSS_PATH}/virtualMachines/0/runCommands/hello"
        client.poll(client.call("PUT", rc, {"location": "westus", "properties": {"source": {"script": "id"}}}))
        client.call("GET", rc + "?$expand=instanceView")
        vm = client.call("GET", f"{VMSS_PATH}/virtualMachines/2").json()
        client.poll(client.call("PUT", f"{VMSS_PATH}/virtualMachines/2", vm | {"tags": {"x": "y"}}))
        for path in ("/instanceView", "/virtualMachines?$expand=instanceView", "/virtualMachines/1/instanceView"):
            assert client.call("GET", VMSS_PATH + path).status_code == 200
        client.call("GET", f"{VMSS_PATH}/publicipaddresses", version="api-version=2017-03-30")
        deleted = client.call("DELETE", VMSS_PATH)
        client.poll(deleted)
        assert client.call("GET", deleted.headers["Location"], version=None).status_code == 200
        assert error(client.call("GET", VMSS_PATH)) == (404, "ResourceNotFound")
    report = check(capture.interactions)
    assert report.checked >= 40
    assert_no_violations(report)


def test_per_instance_networking_update_gives_only_that_vm_a_public_ip(client: Client) -> None:
    client.group()
    client.poll(client.call("PUT", VMSS_PATH, vmss_body(capacity=2, nics=[nic("nic0", public_ip=False)])))
    ips = f"{VMSS_PATH}/publicipaddresses"
    assert client.call("GET", ips, version="api-version=2017-03-30").json() == {"value": []}
    vm = client.call("GET", f"{VMSS_PATH}/virtualMachines/1", version="api-version=2019-07-01").json()
    vm["properties"]["networkProfileConfiguration"] = {"networkInterfaceConfigurations": [nic("nic0")]}
    updated = client.call("PUT", f"{VMSS_PATH}/virtualMachines/1", vm, version="api-version=2019-07-01")
    assert updated.status_code == 200 and updated.json()["properties"]["provisioningState"] == "Updating"
    client.poll(updated)
    listed = client.call("GET", ips, version="api-version=2017-03-30").json()["value"]
    assert [ip["id"].split("/virtualMachines/")[1].split("/")[0] for ip in listed] == ["1"]
    other_vnet = copy.deepcopy(vm)
    other_vnet["properties"]["networkProfileConfiguration"] = {"networkInterfaceConfigurations": [
        nic("nic0", subnet=SUBNET.replace("vnet1", "vnet9"))]}
    refused = client.call("PUT", f"{VMSS_PATH}/virtualMachines/0", other_vnet, version="api-version=2019-07-01")
    assert error(refused) == (409, "PropertyChangeNotAllowed")  # a VM never moves to another VNET
    assert len(client.call("GET", ips, version="api-version=2017-03-30").json()["value"]) == 1


# Documented operations the emulator does not serve yet (each answers 404 InvalidResourceType
# or 405); a new operation in the spec fails the test below until it is served or listed here.
# Operations in specs/ that no emulator module serves yet (they answer 501 OperationNotEmulated).
# Whoever adds a handler removes its operation here; nobody adds one without saying why.
NOT_EMULATED: set[str] = set()  # every documented operation has its handler


def test_every_documented_operation_has_a_handler_and_every_handler_an_operation() -> None:
    """The emulator routes through Spec.match: an operation without a handler answers 501."""
    from contract.emulator.routes import handlers
    from contract.specs import load_spec

    documented, served = set(load_spec().operations), set(handlers())
    assert documented - served == NOT_EMULATED, "update NOT_EMULATED in tests/test_emulator.py"
    assert served - documented == set()
    assert len(served) >= 70



def test_a_write_while_an_operation_runs_is_refused_by_default_and_changes_nothing() -> None:
    """ARM-FACTS: another operation still running on the resource is 409 OperationNotAllowed."""
    with BackgroundServer(lambda: create_app(lro_polls=1, complete_on_read=False, complete_after=None)) as srv:
        client = Client(srv.url)
        client.group()
        created = client.call("PUT", VMSS_PATH, vmss_body())
        for method, path, body in (("PATCH", VMSS_PATH, {"tags": {"a": "b"}}),
                                   ("POST", f"{VMSS_PATH}/restart", None), ("DELETE", VMSS_PATH, None),
                                   ("POST", f"{VMSS_PATH}/virtualMachines/0/poweroff", None)):
            assert error(client.call(method, path, body)) == (409, "OperationNotAllowed"), (method, path)
        got = client.call("GET", VMSS_PATH).json()
        assert got["tags"] == {} and got["properties"]["provisioningState"] == "Creating"
        client.poll(created)
        assert client.call("PATCH", VMSS_PATH, {"tags": {"a": "b"}}).status_code == 200
    with BackgroundServer(lambda: create_app(lro_polls=1, strict_operations=False)) as srv:  # asked: fast-forward
        client = Client(srv.url)
        client.group()
        created = client.call("PUT", VMSS_PATH, vmss_body())
        assert client.call("PATCH", VMSS_PATH, {"tags": {"a": "b"}}).status_code == 200
        assert client.call("GET", created.headers["Azure-AsyncOperation"], version=None).json()["status"] == "Succeeded"


def test_operations_finish_on_a_read_of_the_scale_set_or_after_a_while_without_polls() -> None:
    """`az rest`, `--no-wait` and Terraform's read-after-write never poll the status URL."""
    with BackgroundServer(lambda: create_app(lro_polls=5)) as srv:  # default: a read finishes it
        client = Client(srv.url)
        client.group()
        created = client.call("PUT", VMSS_PATH, vmss_body())
        assert created.json()["properties"]["provisioningState"] == "Creating"
        assert client.call("GET", VMSS_PATH).json()["properties"]["provisioningState"] == "Succeeded"
        assert client.call("GET", created.headers["Azure-AsyncOperation"], version=None).json()["status"] == \
            "Succeeded"
        assert client.call("PATCH", VMSS_PATH, {"tags": {"a": "b"}}).status_code == 200  # nothing runs now
    with BackgroundServer(lambda: create_app(lro_polls=5, complete_on_read=False, complete_after=0.2)) as srv:
        client = Client(srv.url)
        client.group()
        created = client.call("PUT", VMSS_PATH, vmss_body())
        time.sleep(0.3)  # the emulator's own short completion time, not ARM's 30 s poll delay
        assert client.call("PATCH", VMSS_PATH, {"tags": {"a": "b"}}).status_code == 200
        assert client.call("GET", created.headers["Azure-AsyncOperation"], version=None).json()["status"] == \
            "Succeeded"


def test_mistyped_members_get_invalid_parameter_with_their_target(client: Client) -> None:
    """Schema errors below the root are InvalidParameter (ARM-FACTS), whether the spec or the
    emulator's own shape guard (for what the schema lets through) finds them."""
    client.group()
    for member in ("sku", "properties"):
        answer = client.call("PUT", VMSS_PATH, {**vmss_body(), member: ["not", "an", "object"]})
        assert error(answer) == (400, "InvalidParameter"), answer.text
        assert answer.json()["error"]["target"] == member
    assert error(client.call("GET", VMSS_PATH)) == (404, "ResourceNotFound")


def test_patch_adding_an_os_disk_gets_arms_default_create_option(client: Client) -> None:
    """A scale set created without an OS disk, then PATCHed one without createOption: ARM answers FromImage."""
    from contract.specs import load_spec

    assert client.group().status_code == 201
    body = vmss_body(capacity=1)
    del body["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]
    client.poll(client.call("PUT", VMSS_PATH, body))
    patch = {"properties": {"virtualMachineProfile": {"storageProfile": {"osDisk": {
        "caching": "ReadWrite", "managedDisk": {"storageAccountType": "Standard_LRS"}}}}}}
    patched = client.call("PATCH", VMSS_PATH, patch)
    assert patched.status_code == 200
    client.poll(patched)
    got = client.call("GET", VMSS_PATH)
    spec = load_spec()
    for answer in (patched, got):
        disk = answer.json()["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]
        assert disk["createOption"] == "FromImage" and disk["caching"] == "ReadWrite"
        assert spec.validate_response("VirtualMachineScaleSets_Get", 200, answer.json()) == []
    # the defaulted model, sent back whole, is a valid PUT that keeps it
    model = got.json()
    model["properties"].pop("provisioningState")
    again = client.call("PUT", VMSS_PATH, model)
    assert again.status_code == 200, again.text
    assert again.json()["properties"]["virtualMachineProfile"]["storageProfile"]["osDisk"]["createOption"] == "FromImage"
