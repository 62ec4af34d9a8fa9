"""Template deployments in the emulator, driven by the real SDKs over TLS (azure-mgmt-resource-deployments
DeploymentsMgmtClient sync and aio, azure-mgmt-resource for groups, azure-mgmt-compute for the scale set the
template made), plus the 13 shared recordings' deployment requests replayed against a fresh emulator.
"""
from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient

from contract.cassette import load_cassette
from contract.servers import BackgroundServer
from contract.specs import load_spec
from contract.checker import check
from sdk_clients import AioClients, Clients, emulator_server
from support import Capture, assert_no_violations

from .conftest import RECORDINGS

SUB = "00000000-0000-0000-0000-0000000000dd"
RG = "rg-deploy"
SECRET = "Dep1oy#Secret-Value"


def template(capacity_default: int = 2, mode: str = "Manual") -> dict[str, Any]:
    """A scale set with its name, size and admin password as parameters (the password secure)."""
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "vmssName": {"type": "string"},
            "instances": {"type": "int", "defaultValue": capacity_default, "minValue": 0, "maxValue": 100},
            "adminPassword": {"type": "secureString"},
        },
        "variables": {"prefix": "[toLower(take(parameters('vmssName'), 9))]",
                      "vnetName": "[concat(parameters('vmssName'), 'VNET')]"},
        "resources": [{
            "type": "Microsoft.Network/virtualNetworks",
            "apiVersion": "2022-01-01",
            "name": "[variables('vnetName')]",
            "location": "[resourceGroup().location]",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                           "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]},
        }, {
            "type": "Microsoft.Compute/virtualMachineScaleSets",
            "apiVersion": "2022-11-01",
            "name": "[parameters('vmssName')]",
            "location": "[resourceGroup().location]",
            "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', variables('vnetName'))]"],
            "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": "[parameters('instances')]"},
            "properties": {
                "upgradePolicy": {"mode": mode},
                "virtualMachineProfile": {
                    "osProfile": {"computerNamePrefix": "[variables('prefix')]", "adminUsername": "azureuser",
                                  "adminPassword": "[parameters('adminPassword')]"},
                    "storageProfile": {
                        "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                           "sku": "18.04-LTS", "version": "latest"},
                        "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                                   "managedDisk": {"storageAccountType": "Standard_LRS"}}},
                    "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                        "primary": True, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {
                            "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnetName'), "
                                  "'default')]"}}}]}}]},
                },
            },
        }],
        "outputs": {
            "vmssId": {"type": "string",
                       "value": "[resourceId('Microsoft.Compute/virtualMachineScaleSets', parameters('vmssName'))]"},
            "Capacity": {"type": "int", "value": "[reference(parameters('vmssName'), '2022-11-01', 'Full').sku.capacity]"},
        },
    }


def deployment(name: str = "vmss1", **kwargs: Any) -> dict[str, Any]:
    return {"properties": {"mode": "Incremental", "template": template(**kwargs), "parameters": {
        "vmssName": {"value": name}, "adminPassword": {"value": SECRET}}}}


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deploy-tls")


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def server(tls_dir: Path, capture: Capture) -> Iterator[BackgroundServer]:
    with emulator_server(tls_dir, capture, lro_polls=1) as srv:
        yield srv


def sdk(srv: BackgroundServer) -> Clients:
    return Clients(srv, SUB)


def raw_get(client: ComputeManagementClient, path: str) -> Any:
    """GET through the SDK's own pipeline (auth, TLS) for what it has no method for."""
    from azure.core.rest import HttpRequest

    response = client.send_request(HttpRequest("GET", path))
    response.raise_for_status()
    return response.json()


def answers(capture: Capture) -> str:
    return "\n".join(i.response.body or "" for i in capture.interactions)


def test_sdk_deploys_a_scale_set_then_compute_scales_it_and_group_delete_removes_all(
        server: BackgroundServer, capture: Capture) -> None:
    c = sdk(server)
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    result = c.deployments.deployments.begin_create_or_update(RG, "dep1", deployment()).result()
    props = result.properties
    assert props.provisioning_state == "Succeeded" and props.mode == "Incremental"
    vmss_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"
    vnet_id = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/vmss1VNET"
    assert props.outputs == {"vmssId": {"type": "String", "value": vmss_id}, "capacity": {"type": "Int", "value": 2}}
    assert [r.id for r in props.output_resources] == [vmss_id, vnet_id]
    assert [(d.resource_name, [x.resource_name for x in d.depends_on]) for d in props.dependencies] == \
        [("vmss1", ["vmss1VNET"])]
    assert props.parameters["adminPassword"] == {"type": "SecureString"}
    assert props.parameters["vmssName"] == {"type": "String", "value": "vmss1"}

    ops = list(c.deployments.deployment_operations.list(RG, "dep1"))
    assert [(o.properties.provisioning_state, o.properties.target_resource.id) for o in ops] == \
        [("Succeeded", vnet_id), ("Succeeded", vmss_id)]
    subnet = c.compute.virtual_machine_scale_sets.get(RG, "vmss1").properties.virtual_machine_profile \
        .network_profile.network_interface_configurations[0].properties.ip_configurations[0].properties.subnet.id
    assert subnet == f"{vnet_id}/subnets/default"
    assert raw_get(c.compute, f"{vnet_id}?api-version=2022-01-01")["properties"]["subnets"][0]["name"] == "default"

    vmss = c.compute.virtual_machine_scale_sets.get(RG, "vmss1")
    assert vmss.sku.capacity == 2 and vmss.properties.provisioning_state == "Succeeded"
    assert vmss.properties.virtual_machine_profile.os_profile.computer_name_prefix == "vmss1"
    assert len(list(c.compute.virtual_machine_scale_set_vms.list(RG, "vmss1"))) == 2
    scaled = c.compute.virtual_machine_scale_sets.begin_update(RG, "vmss1", {"sku": {"capacity": 3}}).result()
    assert scaled.sku.capacity == 3
    assert c.deployments.deployments.export_template(RG, "dep1").template["resources"][1]["name"] == \
        "[parameters('vmssName')]"

    c.resources.resource_groups.begin_delete(RG).result()
    with pytest.raises(ResourceNotFoundError):
        c.compute.virtual_machine_scale_sets.get(RG, "vmss1")
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    assert not c.deployments.deployments.check_existence(RG, "dep1")
    assert list(c.deployments.deployments.list_by_resource_group(RG)) == []
    assert SECRET not in answers(capture)
    # every answer (deployment PUT, polls, GETs, operations, the scale set it made) holds the contract
    report = check(capture.interactions)
    assert report.checked == len(capture.interactions)
    assert_no_violations(report)


def test_aio_sdk_deploys_and_reads_back(server: BackgroundServer, capture: Capture) -> None:
    sdk(server).resources.resource_groups.create_or_update(RG, {"location": "westus"})

    async def go() -> tuple[Any, Any]:
        async with AioClients(server, SUB) as clients:
            client = clients.deployments
            poller = await client.deployments.begin_create_or_update(RG, "dep-aio", deployment("aio1"))
            done = await poller.result()
            got = await client.deployments.get(RG, "dep-aio")
            return done, got

    done, got = asyncio.run(go())
    assert done.properties.provisioning_state == got.properties.provisioning_state == "Succeeded"
    assert got.properties.outputs["capacity"]["value"] == 2
    assert sdk(server).compute.virtual_machine_scale_sets.get(RG, "aio1").sku.capacity == 2
    assert SECRET not in answers(capture)


def test_refused_resource_fails_the_deployment_with_its_own_error(server: BackgroundServer) -> None:
    c = sdk(server)
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    with pytest.raises(HttpResponseError) as info:
        c.deployments.deployments.begin_create_or_update(RG, "bad", deployment(mode="Sideways")).result()
    assert info.value.error is not None and info.value.error.code == "DeploymentFailed"
    failed = c.deployments.deployments.get(RG, "bad").properties
    assert failed.provisioning_state == "Failed"
    assert failed.error.code == "DeploymentFailed"
    assert failed.error.details[0].code == "InvalidParameter" and "upgradePolicy.mode" in failed.error.details[0].target
    ops = list(c.deployments.deployment_operations.list(RG, "bad"))
    assert [(o.properties.provisioning_state, o.properties.status_code) for o in ops] == \
        [("Succeeded", "Created"), ("Failed", "BadRequest")]  # the vnet deployed, then the scale set was refused
    assert ops[1].properties.target_resource.resource_name == "vmss1"
    assert ops[1].properties.status_message.error.code == "InvalidParameter"
    one = c.deployments.deployment_operations.get(RG, "bad", ops[1].operation_id)
    assert one.properties.target_resource.id == ops[1].properties.target_resource.id
    with pytest.raises(ResourceNotFoundError):
        c.compute.virtual_machine_scale_sets.get(RG, "vmss1")


@pytest.mark.parametrize(("change", "status", "code", "inner"), [
    (lambda d: d["properties"]["template"]["outputs"].update(bad={"type": "string", "value": "[concat('a']"}),
     400, "InvalidTemplate", None),
    (lambda d: d["properties"]["template"]["resources"][1].update(dependsOn=["ghost"]), 400, "InvalidTemplate", None),
    (lambda d: d["properties"]["parameters"].pop("adminPassword"), 400, "InvalidTemplate", None),
    (lambda d: d["properties"].update(templateLink={"uri": "https://example.invalid/t.json"}), 400,
     "InvalidContentLink", None),
    (lambda d: d["properties"]["template"]["resources"].append(
        {"type": "Microsoft.Nope/widgets", "apiVersion": "2020-01-01", "name": "w"}), 400,
     "InvalidTemplateDeployment", "NoRegisteredProviderFound"),
    (lambda d: d["properties"]["template"]["resources"].append(
        {"type": "Microsoft.Compute/widgets", "apiVersion": "2020-01-01", "name": "w"}), 400,
     "InvalidTemplateDeployment", "InvalidResourceType"),
    pytest.param(lambda d: d["properties"].update(mode="Sideways"), 400, "InvalidParameter", None,
                 marks=pytest.mark.skipif("Deployments_CreateOrUpdate" not in load_spec().operations,
                                          reason="the spec loader does not read specs/deployments.openapi.yaml yet")),
])
def test_validation_refuses_before_anything_is_created(server: BackgroundServer, change: Any, status: int,
                                                       code: str, inner: str | None) -> None:
    c = sdk(server)
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    body = deployment()
    change(body)
    with pytest.raises(HttpResponseError) as info:
        c.deployments.deployments.begin_create_or_update(RG, "d", body)
    assert info.value.status_code == status and info.value.error is not None
    assert info.value.error.code == code, info.value.message
    if inner is not None:
        assert [d.code for d in info.value.error.details] == [inner]
        assert "widgets" in info.value.error.details[0].message
    assert SECRET not in str(info.value.response.text())
    assert list(c.deployments.deployments.list_by_resource_group(RG)) == []
    assert list(c.compute.virtual_machine_scale_sets.list(RG)) == []


def test_validate_endpoint_and_missing_group(server: BackgroundServer) -> None:
    c = sdk(server)
    with pytest.raises(HttpResponseError) as info:
        c.deployments.deployments.begin_create_or_update("nogroup", "d", deployment())
    assert info.value.status_code == 404 and info.value.error.code == "ResourceGroupNotFound"
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    ok = c.deployments.deployments.begin_validate(RG, "v", deployment()).result()
    assert [r.id.rsplit("/", 2)[-2] for r in ok.properties.validated_resources] == \
        ["virtualNetworks", "virtualMachineScaleSets"]
    bad = deployment()
    bad["properties"]["template"]["variables"]["prefix"] = "[nosuch()]"
    raw = requests.post(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.Resources/"
                        f"deployments/v/validate?api-version=2022-09-01", json=bad, verify=str(server.ca_path),
                        headers={"Authorization": "Bearer t"})
    assert raw.status_code == 400
    error = raw.json()["error"]
    assert error["code"] == "InvalidTemplate" and "'nosuch' is not valid" in error["message"]
    assert error["additionalInfo"][0]["info"]["path"] == "variables.prefix"
    assert list(c.deployments.deployments.list_by_resource_group(RG)) == []


def test_running_deployment_is_active_then_cancel_and_delete(server: BackgroundServer) -> None:
    base = f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}"
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would override the per-session CA
    s.verify = str(server.ca_path)
    s.headers["Authorization"] = "Bearer t"
    q = "?api-version=2022-09-01"
    assert s.put(base + q, json={"location": "westus"}).status_code == 201
    url = f"{base}/providers/Microsoft.Resources/deployments/d1"
    first = s.put(url + q, json=deployment())
    assert first.status_code == 201 and first.json()["properties"]["provisioningState"] == "Accepted"
    assert "operationStatuses" in first.headers["Azure-AsyncOperation"]
    again = s.put(url + q, json=deployment())
    assert again.status_code == 409 and again.json()["error"]["code"] == "DeploymentActive"
    assert s.delete(url + q).json()["error"]["code"] == "DeploymentActive"
    assert s.post(url + "/cancel" + q).status_code == 204
    assert s.get(url + q).json()["properties"]["provisioningState"] == "Canceled"
    assert s.post(url + "/cancel" + q).status_code == 409
    redo = s.put(url + q, json=deployment())
    assert redo.status_code == 200
    status = s.get(redo.headers["Azure-AsyncOperation"]).json()
    assert status == {"status": "Running"}
    assert s.get(redo.headers["Azure-AsyncOperation"]).json() == {"status": "Succeeded"}
    gone = s.delete(url + q)
    assert gone.status_code == 202 and "Location" in gone.headers
    assert s.head(url + q).status_code == 404
    assert s.get(url + q).json()["error"]["code"] == "DeploymentNotFound"
    # the scale set it deployed stays: deleting a deployment only removes the history
    assert s.get(f"{base}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1?api-version=2022-11-01").status_code == 200


def test_copy_loop_condition_and_dependency_order_through_handlers(server: BackgroundServer) -> None:
    c = sdk(server)
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    body = deployment()
    vnet, resource = body["properties"]["template"]["resources"]
    first = copy.deepcopy(resource)
    resource["name"] = "[concat('web', copyIndex())]"
    resource["copy"] = {"name": "webs", "count": 3}
    resource["dependsOn"] = ["[parameters('vmssName')]"]
    resource["sku"]["capacity"] = "[copyIndex(1)]"
    skipped = copy.deepcopy(first)
    skipped["name"] = "never"
    skipped["condition"] = "[equals(parameters('instances'), 99)]"
    body["properties"]["template"]["resources"] = [resource, skipped, vnet, first]
    result = c.deployments.deployments.begin_create_or_update(RG, "multi", body).result()
    assert result.properties.provisioning_state == "Succeeded"
    ops = [o.properties.target_resource.resource_name for o in c.deployments.deployment_operations.list(RG, "multi")]
    assert ops == ["vmss1VNET", "vmss1", "web0", "web1", "web2"]
    capacities = {v.name: v.sku.capacity for v in c.compute.virtual_machine_scale_sets.list(RG)}
    assert capacities == {"vmss1": 2, "web0": 1, "web1": 2, "web2": 3}
    deps = result.properties.dependencies
    assert {d.resource_name: [x.resource_name for x in d.depends_on] for d in deps} == {
        "vmss1": ["vmss1VNET"], "web0": ["vmss1"], "web1": ["vmss1"], "web2": ["vmss1"]}


# ----------------------------------------------------------------------------- the shared recordings

def _corpus_journeys() -> list[tuple[str, list[Any]]]:
    out = []
    for path in sorted(RECORDINGS.glob("*.yaml")):
        steps = [i for i in load_cassette(path).interactions if "/deployments/" in i.request.uri.lower()]
        if steps:
            out.append((path.name, steps))
    return out


def test_corpus_deployment_requests_get_azures_status(server: BackgroundServer, capsys: Any) -> None:
    """Each recording's deployment requests (PUT, its polls, the GET), in order against a fresh group: the
    emulator answers the recorded status. Polls follow the Azure-AsyncOperation URL the emulator gave, as a
    client does (the recorder renamed the deployment in recorded poll URIs). A journey whose template holds a
    resource type the emulator does not serve yet (Microsoft.Network before the network handlers) must be
    refused for exactly that reason, and is counted apart."""
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would override the per-session CA
    s.verify = str(server.ca_path)
    s.headers["Authorization"] = "Bearer t"
    total = same = blocked = 0
    misses = []
    unserved: set[str] = set()
    states: list[tuple[str, str]] = []  # (Azure's, ours) provisioningState on each deployment GET
    for name, steps in _corpus_journeys():
        poll_url = None
        outcome: list[bool] = []
        for interaction in steps:
            uri = re.sub(r"^https://management\.azure\.com", server.url, interaction.request.uri)
            group = re.search(r"(/subscriptions/[^/]+/resourcegroups/[^/]+)", uri, re.I).group(1)  # type: ignore[union-attr]
            if interaction.request.method == "PUT":
                s.put(f"{server.url}{group}?api-version=2022-09-01", json={"location": "westus"})
                got = s.put(uri, data=interaction.request.content, headers={"Content-Type": "application/json"})
                poll_url = got.headers.get("Azure-AsyncOperation")
                error = got.json().get("error", {}) if got.status_code == 400 else {}
                inner = {d["code"] for d in error.get("details", [])}
                if error.get("code") == "InvalidTemplateDeployment" and inner <= {"NoRegisteredProviderFound",
                                                                                   "InvalidResourceType"}:
                    unserved.update(re.findall(r"namespace '([^']+)'", json.dumps(error)))
                    blocked += len(steps)
                    break
            elif "/operationstatuses/" in uri.lower() and poll_url is not None:
                got = s.get(poll_url)
            else:
                got = s.get(uri)
            outcome.append(got.status_code == interaction.response.status)
            recorded = interaction.response.json()
            if interaction.request.method == "GET" and isinstance(recorded, dict) and "properties" in recorded:
                states.append((recorded["properties"].get("provisioningState"),
                               got.json().get("properties", {}).get("provisioningState")))
            if not outcome[-1]:
                misses.append(f"{name}: {interaction.request.method} -> {got.status_code} "
                              f"(Azure {interaction.response.status}) {got.text[:200]}")
        total += len(outcome)
        same += sum(outcome)
    with capsys.disabled():
        print(f"\ncorpus deployment requests: {same}/{total} sent got Azure's status; {blocked} more not sent "
              f"(template holds a type the emulator does not serve yet: {sorted(unserved) or 'none'}); "
              f"deployment GETs with Azure's provisioningState: {sum(a == b for a, b in states)}/{len(states)}")
    assert total + blocked == 132
    assert same == total, "\n".join(misses)
    assert all(a == b for a, b in states), states




def test_complete_mode_deletes_what_the_template_does_not_name(server: BackgroundServer) -> None:
    c = sdk(server)
    c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
    c.deployments.deployments.begin_create_or_update(RG, "first", deployment("keep")).result()
    c.deployments.deployments.begin_create_or_update(RG, "other", deployment("extra")).result()
    assert sorted(v.name for v in c.compute.virtual_machine_scale_sets.list(RG)) == ["extra", "keep"]
    body = deployment("keep")
    body["properties"]["mode"] = "Complete"
    done = c.deployments.deployments.begin_create_or_update(RG, "complete", body).result()
    assert done.properties.provisioning_state == "Succeeded" and done.properties.mode == "Complete"
    assert [v.name for v in c.compute.virtual_machine_scale_sets.list(RG)] == ["keep"]
    ops = [(o.properties.provisioning_operation, o.properties.target_resource.resource_name)
           for o in c.deployments.deployment_operations.list(RG, "complete")]
    assert ops == [("Create", "keepVNET"), ("Create", "keep"), ("Delete", "extra"), ("Delete", "extraVNET")]
    assert [r.id.rsplit("/", 1)[-1] for r in done.properties.output_resources] == ["keep", "keepVNET"]


def test_deleting_a_deployment_that_is_not_there_answers_204(server: BackgroundServer) -> None:
    """ARM's resource-provider contract: DELETE of a resource that does not exist is 204, not 404."""
    s = requests.Session()
    s.trust_env = False
    s.verify = str(server.ca_path)
    s.headers["Authorization"] = "Bearer t"
    base = f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}"
    s.put(f"{base}?api-version=2022-09-01", json={"location": "westus"})
    url = f"{base}/providers/Microsoft.Resources/deployments/never-made?api-version=2022-09-01"
    assert s.delete(url).status_code == 204
    missing_group = f"{server.url}/subscriptions/{SUB}/resourcegroups/no-such-group/providers/Microsoft.Resources/deployments/x?api-version=2022-09-01"
    assert s.delete(missing_group).json()["error"]["code"] == "ResourceGroupNotFound"
