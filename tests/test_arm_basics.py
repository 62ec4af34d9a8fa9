"""ARM basics every client asks first (contract/emulator/subscriptions.py, inventory.py, resource groups),
driven by azure-mgmt-resource over TLS; every answer is checked by the checker."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from contract.checker import check
from contract.emulator import create_app
from contract.emulator.subscriptions import provider_catalog
from contract.journeys import Target, scale_set_body
from contract.plugin import StaticCredential
from contract.servers import BackgroundServer
from contract.specs import load_spec
from support import Capture, assert_no_violations, network_request

SUB = "00000000-0000-0000-0000-000000000000"
OTHER_SUB = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackgroundServer, Capture]]:
    capture = Capture()

    def factory() -> web.Application:
        app = create_app()
        app.middlewares.insert(0, capture.middleware)
        return app

    with BackgroundServer(factory, tls=True, tls_dir=tmp_path_factory.mktemp("tls")) as server:
        yield server, capture


def clients(server: BackgroundServer, subscription: str = SUB) -> tuple[ResourceManagementClient,
                                                                        ComputeManagementClient]:
    kwargs = {"base_url": server.url, "connection_verify": str(server.ca_path), "retry_total": 0,
              "polling_interval": 0}
    return (ResourceManagementClient(StaticCredential(), subscription, **kwargs),
            ComputeManagementClient(StaticCredential(), subscription, **kwargs))


def test_the_surface_a_client_reads_first(served: tuple[BackgroundServer, Capture]) -> None:
    server, capture = served
    resources, compute = clients(server, OTHER_SUB)
    resources.resource_groups.create_or_update("arm-basics", {"location": "westus", "tags": {"team": "a"}})

    subs = resources.send_request(HttpRequest("GET", "/subscriptions?api-version=2022-12-01")).json()["value"]
    assert {s["subscriptionId"] for s in subs} == {SUB, OTHER_SUB}  # the default one and the one in use
    one = resources.send_request(HttpRequest("GET", f"/subscriptions/{OTHER_SUB}?api-version=2022-12-01")).json()
    assert (one["id"], one["state"]) == (f"/subscriptions/{OTHER_SUB}", "Enabled")

    # Providers: what the spec serves, so a client picking an api-version from them picks a served one.
    catalog = provider_catalog(load_spec())
    compute_rp = resources.providers.get("microsoft.compute")
    assert compute_rp.namespace == "Microsoft.Compute" and compute_rp.registration_state == "Registered"
    types = {t.resource_type: t.api_versions for t in compute_rp.resource_types}
    assert types["virtualMachineScaleSets"] == list(catalog["Microsoft.Compute"]["virtualMachineScaleSets"])
    assert "2024-07-01" in types["virtualMachineScaleSets"]
    assert {"Microsoft.Compute", "Microsoft.Network", "Microsoft.Resources"} <= {
        p.namespace for p in resources.providers.list()}
    with pytest.raises(HttpResponseError) as missing:
        resources.providers.get("Microsoft.NoSuchThing")
    assert missing.value.status_code == 404 and missing.value.error.code == "InvalidResourceNamespace"

    # PATCH keeps what it does not name; tags given replace the group's tags.
    updated = resources.resource_groups.update("arm-basics", {"tags": {"team": "b", "env": "dev"}})
    assert updated.tags == {"team": "b", "env": "dev"} and updated.location == "westus"
    assert resources.resource_groups.check_existence("arm-basics") is True
    assert resources.resource_groups.check_existence("no-such-group") is False

    # The generic lists hold scale sets and network resources alike; $filter narrows them.
    target = Target(subscription=OTHER_SUB, resource_group="arm-basics", location="westus")
    vnet_path, vnet = network_request(target.subnet_id)  # the scale set's subnet first, as Azure wants
    assert resources.send_request(HttpRequest("PUT", vnet_path, json=vnet)).status_code == 201
    compute.virtual_machine_scale_sets.begin_create_or_update(
        "arm-basics", "web", scale_set_body(target, "web", capacity=1)).result()
    net = vnet_path.split("?")[0].rsplit("/", 1)[1]
    listed = {(r.type, r.name) for r in resources.resources.list_by_resource_group("arm-basics")}
    assert listed == {("Microsoft.Compute/virtualMachineScaleSets", "web"), ("Microsoft.Network/virtualNetworks", net)}
    only = list(resources.resources.list(filter="resourceType eq 'Microsoft.Network/virtualNetworks'"))
    assert [r.name for r in only] == [net]
    with pytest.raises(HttpResponseError) as bad:
        list(resources.resources.list(filter="plan eq 'x'"))
    assert bad.value.status_code == 400 and bad.value.error.code == "InvalidFilterInQueryString"

    # Deleting the group is an LRO that removes everything in it.
    resources.resource_groups.begin_delete("arm-basics").result()
    assert resources.resource_groups.check_existence("arm-basics") is False
    assert list(resources.resources.list()) == []

    report = check(capture.interactions)
    assert_no_violations(report)
    assert report.outside_contract == 0  # subscriptions, providers and lists are inside the contract now
    covered = {op for op, seen in report.coverage.items() if seen}
    assert {"Subscriptions_List", "Subscriptions_Get", "Providers_Get", "Providers_List", "ResourceGroups_Update",
            "Resources_List", "Resources_ListByResourceGroup"} <= covered


def test_cloud_metadata_needs_no_token(served: tuple[BackgroundServer, Capture]) -> None:
    import requests

    server, _ = served
    answer = requests.get(f"{server.url}/metadata/endpoints", params={"api-version": "2022-09-01"},
                          verify=str(server.ca_path), timeout=10)
    assert answer.status_code == 200
    assert answer.json()["resourceManager"] == f"{server.url}/"
    unversioned = requests.get(f"{server.url}/metadata/endpoints", verify=str(server.ca_path), timeout=10)
    assert unversioned.status_code in (400, 401)  # the guard still answers what has no api-version


def test_provider_catalog_reads_types_from_paths() -> None:
    catalog = provider_catalog(load_spec())
    assert "virtualMachineScaleSets/virtualMachines" in catalog["Microsoft.Compute"]
    assert "virtualmachinescalesets/virtualmachines" not in catalog["Microsoft.Compute"]  # case variants fold
    assert "virtualNetworks/subnets" in catalog["Microsoft.Network"]
    assert "subscriptions/resourcegroups" in {t.lower() for t in catalog["Microsoft.Resources"]}
