"""The deployment engine beyond dependsOn (issue 12's rest): implicit dependencies from reference()/list*(),
WhatIf at resource-group scope, and deployments at subscription, management-group and tenant scope.
Real SDK (azure-mgmt-resource) over TLS against the emulator; the ordering cases also as raw HTTP."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from contract.emulator import create_app
from contract.servers import BackgroundServer

SUB = "00000000-0000-0000-0000-0000000000de"
RG = "rg-engine"
HEADERS = {"Authorization": "Bearer x"}


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-tls")


@pytest.fixture
def server(tls_dir: Path) -> Iterator[BackgroundServer]:
    srv = BackgroundServer(lambda: create_app(lro_polls=1), tls=True, tls_dir=tls_dir).start()
    yield srv
    srv.stop()


def http(srv: BackgroundServer) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # REQUESTS_CA_BUNDLE would override the per-session CA
    s.verify = str(srv.ca_path)
    s.headers.update(HEADERS)
    return s


def group(srv: BackgroundServer, name: str = RG) -> None:
    r = http(srv).put(f"{srv.url}/subscriptions/{SUB}/resourcegroups/{name}?api-version=2022-09-01",
                      json={"location": "westus"})
    assert r.status_code in (200, 201), r.text


def run_deployment(srv: BackgroundServer, name: str, template: dict[str, Any], scope: str | None = None,
                   api: str = "2022-09-01", body: dict[str, Any] | None = None) -> dict[str, Any]:
    """PUT, poll the operation status to its end, GET: the deployment as ARM answers it at the end."""
    s = http(srv)
    scope = scope if scope is not None else f"/subscriptions/{SUB}/resourcegroups/{RG}"
    url = f"{srv.url}{scope}/providers/Microsoft.Resources/deployments/{name}?api-version={api}"
    r = s.put(url, json=body or {"properties": {"mode": "Incremental", "template": template}})
    assert r.status_code == 201, r.text
    status = r.headers["Azure-AsyncOperation"]
    for _ in range(10):
        if s.get(status).json()["status"] in ("Succeeded", "Failed", "Canceled"):
            break
    return s.get(url).json()


def vnet(name: str, prefix: str = "10.1.0.0/16", **extra: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2022-01-01", "name": name,
            "location": "westus", "properties": {"addressSpace": {"addressPrefixes": [prefix]}}, **extra}


def ordered_template(reader: str) -> dict[str, Any]:
    """A public IP listed *before* the vnet whose address prefix its tag reads: only an implicit
    dependency makes the vnet deploy first."""
    return {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": [{"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2022-01-01", "name": "ip1",
                           "location": "westus", "tags": {"prefix": reader},
                           "properties": {"publicIPAllocationMethod": "Static"}, "sku": {"name": "Standard"}},
                          vnet("net1")]}


# ----------------------------------------------------------------------------- implicit dependencies

def test_reference_by_name_orders_the_reader_after_the_resource(server: BackgroundServer) -> None:
    group(server)
    done = run_deployment(server, "implicit", ordered_template(
        "[reference('net1').addressSpace.addressPrefixes[0]]"))
    props = done["properties"]
    assert props["provisioningState"] == "Succeeded", props.get("error")
    ops = http(server).get(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/"
                           f"deployments/implicit/operations?api-version=2022-09-01").json()["value"]
    # DeploymentOperations in the order they ran: the vnet first, though the template lists it second
    assert [o["properties"]["targetResource"]["resourceName"] for o in ops] == ["net1", "ip1"]
    assert [(d["resourceName"], [x["resourceName"] for x in d["dependsOn"]]) for d in props["dependencies"]] == \
        [("ip1", ["net1"])]
    ip = http(server).get(f"{server.url}/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
                          f"publicIPAddresses/ip1?api-version=2022-01-01").json()
    assert ip["tags"] == {"prefix": "10.1.0.0/16"}


def test_reference_by_resource_id_is_not_an_implicit_dependency(server: BackgroundServer) -> None:
    """ARM's documentation: passing the resource ID creates no implicit dependency; without dependsOn the
    reader runs in template order and the vnet does not exist yet."""
    group(server)
    done = run_deployment(server, "by-id", ordered_template(
        "[reference(resourceId('Microsoft.Network/virtualNetworks', 'net1'), '2022-01-01')"
        ".addressSpace.addressPrefixes[0]]"))
    props = done["properties"]
    assert props["provisioningState"] == "Failed"
    assert props["error"]["code"] == "DeploymentFailed"
    assert "net1" in props["error"]["details"][0]["message"]


def test_implicit_dependency_cycle_is_invalid_template(server: BackgroundServer) -> None:
    group(server)
    template = ordered_template("[reference('net1').addressSpace.addressPrefixes[0]]")
    template["resources"][1]["tags"] = {"ip": "[reference('ip1').publicIPAllocationMethod]"}
    r = http(server).put(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/providers/Microsoft.Resources/"
                         f"deployments/cycle?api-version=2022-09-01",
                         json={"properties": {"mode": "Incremental", "template": template}})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "InvalidTemplate"
    assert "Circular dependency" in r.json()["error"]["message"]


def test_list_function_orders_too_and_an_unserved_action_fails_naming_it(server: BackgroundServer) -> None:
    group(server)
    template = ordered_template("[string(listKeys('net1', '2022-01-01'))]")
    done = run_deployment(server, "lister", template)
    props = done["properties"]
    ops = http(server).get(f"{server.url}/subscriptions/{SUB}/resourcegroups/{RG}/"
                           f"deployments/lister/operations?api-version=2022-09-01").json()["value"]
    # ordered after the vnet (implicit dependency), then refused: the emulator serves no listKeys on a vnet
    assert [o["properties"]["targetResource"]["resourceName"] for o in ops] == ["net1", "ip1"]
    assert props["provisioningState"] == "Failed"
    assert "listKeys" in props["error"]["details"][0]["message"]
