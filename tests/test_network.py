"""The network a scale set stands on, driven over TLS by the real azure-mgmt-network SDK (sync and aio).

A virtual network with a subnet, an NSG, a Standard public IP and a Standard load balancer with
backend and NAT pools; then a scale set (azure-mgmt-compute) using them with network integrity on;
then the deletes Azure refuses while they are in use; then the resource group goes, and everything
in it with it. The checker judges every answer.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network import NetworkManagementClient

from contract.checker import check
from contract.servers import BackgroundServer
from sdk_clients import AioClients, Clients, emulator_server, refused
from support import Capture, assert_no_violations

SUB = "00000000-0000-0000-0000-0000000000bb"
RG = "rg-network"
NET = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network"
SUBNET = f"{NET}/virtualNetworks/vnet1/subnets/default"
LB = f"{NET}/loadBalancers/lb1"
POOL = f"{LB}/backendAddressPools/pool1"
NAT_POOL = f"{LB}/inboundNatPools/ssh"


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("network-tls")


@pytest.fixture
def capture() -> Capture:
    return Capture()


@pytest.fixture
def server(tls_dir: Path, capture: Capture) -> Iterator[BackgroundServer]:
    with emulator_server(tls_dir, capture, network_integrity=True) as srv:
        yield srv


def scale_set(pools: list[str], nat_pools: list[str], subnet: str = SUBNET, public_ip_sku: str | None = None,
              capacity: int = 2) -> dict[str, Any]:
    ip_config: dict[str, Any] = {"subnet": {"id": subnet},
                                 "loadBalancerBackendAddressPools": [{"id": p} for p in pools],
                                 "loadBalancerInboundNatPools": [{"id": p} for p in nat_pools]}
    if public_ip_sku is not None:
        ip_config["publicIPAddressConfiguration"] = {"name": "pub", "sku": {"name": public_ip_sku},
                                                     "properties": {"idleTimeoutInMinutes": 4}}
    return {
        "location": "westus",
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": capacity},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "net", "adminUsername": "azureuser",
                              "adminPassword": "Secret#Pass123"},
                "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                                      "sku": "18.04-LTS", "version": "latest"},
                                   "osDisk": {"createOption": "FromImage",
                                              "managedDisk": {"storageAccountType": "Standard_LRS"}}},
                "networkProfile": {"networkInterfaceConfigurations": [{
                    "name": "nic", "properties": {"primary": True, "ipConfigurations": [
                        {"name": "ipc", "properties": ip_config}]}}]},
            },
        },
    }


def build_network(net: NetworkManagementClient) -> None:
    nsg = net.network_security_groups.begin_create_or_update(RG, "nsg1", {"location": "westus", "properties": {
        "securityRules": [{"name": "ssh", "properties": {
            "protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": 100,
            "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "*",
            "destinationPortRange": "22"}}]}}).result()
    assert [r.name for r in nsg.properties.default_security_rules][:1] == ["AllowVnetInBound"]
    vnet = net.virtual_networks.begin_create_or_update(RG, "vnet1", {"location": "westus", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24",
                                                       "networkSecurityGroup": {"id": nsg.id}}}]}}).result()
    assert vnet.properties.provisioning_state == "Succeeded" and vnet.properties.resource_guid
    assert vnet.properties.subnets[0].id == SUBNET
    pip = net.public_ip_addresses.begin_create_or_update(RG, "pip1", {
        "location": "westus", "sku": {"name": "Standard"},
        "properties": {"publicIPAllocationMethod": "Static"}}).result()
    assert pip.properties.ip_address
    lb = net.load_balancers.begin_create_or_update(RG, "lb1", {
        "location": "westus", "sku": {"name": "Standard"}, "properties": {
            "frontendIPConfigurations": [{"name": "fe", "properties": {"publicIPAddress": {"id": pip.id}}}],
            "backendAddressPools": [{"name": "pool1"}],
            "probes": [{"name": "tcp22", "properties": {"protocol": "Tcp", "port": 22}}],
            "inboundNatPools": [{"name": "ssh", "properties": {
                "frontendIPConfiguration": {"id": f"{LB}/frontendIPConfigurations/fe"}, "protocol": "Tcp",
                "frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50099, "backendPort": 22}}]}}).result()
    assert [p.id for p in lb.properties.backend_address_pools] == [POOL]


def test_scale_set_on_its_network_sync(server: BackgroundServer, capture: Capture) -> None:
    c = Clients(server, SUB)
    resources, net = c.resources, c.network
    vmss = c.compute.virtual_machine_scale_sets

    resources.resource_groups.create_or_update(RG, {"location": "westus"})
    build_network(net)
    assert net.subnets.get(RG, "vnet1", "default").properties.ip_configurations is None

    # references to what does not exist, of the wrong type, or across SKUs are refused, changing nothing
    refused(lambda: vmss.begin_create_or_update(RG, "ss", scale_set([f"{LB}/backendAddressPools/nope"], [])).result(),
            400, "InvalidResourceReference")
    refused(lambda: vmss.begin_create_or_update(
        RG, "ss", scale_set([], [], subnet=f"{NET}/virtualNetworks/other/subnets/default")).result(),
        400, "InvalidResourceReference")
    refused(lambda: vmss.begin_create_or_update(RG, "ss", scale_set([NAT_POOL], [])).result(),
            400, "InvalidRequestFormat")
    refused(lambda: vmss.begin_create_or_update(RG, "ss", scale_set([POOL], [], public_ip_sku="Basic")).result(),
            400, "DifferentSkuLoadBalancerAndPublicIPAddressNotAllowedInVMSS")
    assert [s.name for s in vmss.list(RG)] == []

    created = vmss.begin_create_or_update(RG, "ss", scale_set([POOL], [NAT_POOL])).result()
    assert created.properties.provisioning_state == "Succeeded"
    vmss.begin_update(RG, "ss", {"sku": {"capacity": 3}}).result()

    # the used resources list their users, one ip configuration per instance
    users = net.subnets.get(RG, "vnet1", "default").properties.ip_configurations
    assert len(users) == 3 and all("/virtualMachineScaleSets/ss/virtualMachines/" in u.id for u in users)
    pool = net.load_balancer_backend_address_pools.get(RG, "lb1", "pool1")
    assert sorted(u.id for u in pool.properties.backend_ip_configurations) == sorted(u.id for u in users)
    assert net.network_security_groups.get(RG, "nsg1").properties.subnets[0].id == SUBNET

    # what is in use cannot be deleted
    refused(lambda: net.subnets.begin_delete(RG, "vnet1", "default").result(), 400, "InUseSubnetCannotBeDeleted")
    refused(lambda: net.virtual_networks.begin_delete(RG, "vnet1").result(), 400, "InUseSubnetCannotBeDeleted")
    refused(lambda: net.network_security_groups.begin_delete(RG, "nsg1").result(),
            400, "InUseNetworkSecurityGroupCannotBeDeleted")
    refused(lambda: net.load_balancers.begin_delete(RG, "lb1").result(),
            400, "LoadBalancerInUseByVirtualMachineScaleSet")
    refused(lambda: net.public_ip_addresses.begin_delete(RG, "pip1").result(), 400, "PublicIPAddressCannotBeDeleted")
    refused(lambda: net.virtual_networks.begin_create_or_update(RG, "vnet1", {  # a PUT that drops the subnet
        "location": "westus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}).result(),
        400, "InUseSubnetCannotBeDeleted")
    assert net.subnets.get(RG, "vnet1", "default").name == "default"

    # a second subnet nobody uses goes; deleting what is not there is a 204, not an error
    net.subnets.begin_create_or_update(RG, "vnet1", "spare", {"properties": {"addressPrefix": "10.0.1.0/24"}}).result()
    net.subnets.begin_delete(RG, "vnet1", "spare").result()
    net.subnets.begin_delete(RG, "vnet1", "spare").result()
    assert [s.name for s in net.subnets.list(RG, "vnet1")] == ["default"]
    assert net.virtual_networks.update_tags(RG, "vnet1", {"tags": {"team": "net"}}).tags == {"team": "net"}

    # the group delete takes everything with it
    resources.resource_groups.begin_delete(RG).result()
    assert list(net.virtual_networks.list_all()) == [] and list(net.load_balancers.list_all()) == []
    with pytest.raises(ResourceNotFoundError):
        net.virtual_networks.get(RG, "vnet1")

    assert_no_violations(check(capture.interactions))


def test_network_crud_aio(server: BackgroundServer, capture: Capture) -> None:
    Clients(server, SUB).resources.resource_groups.create_or_update(RG, {"location": "westus"})

    async def flow() -> None:
        async with AioClients(server, SUB) as clients:
            net = clients.network
            asg = await (await net.application_security_groups.begin_create_or_update(
                RG, "asg1", {"location": "westus"})).result()
            assert asg.properties.provisioning_state == "Succeeded"
            with pytest.raises(HttpResponseError) as info:  # the subnet does not exist yet
                await net.network_interfaces.begin_create_or_update(RG, "nic1", {
                    "location": "westus", "properties": {"ipConfigurations": [{"name": "ipc", "properties": {
                        "subnet": {"id": SUBNET}}}]}})
            assert info.value.error.code == "InvalidResourceReference"
            await (await net.virtual_networks.begin_create_or_update(RG, "vnet1", {
                "location": "westus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                                     "subnets": [{"name": "default",
                                                                  "properties": {"addressPrefix": "10.0.0.0/24"}}]}}
            )).result()
            nic = await (await net.network_interfaces.begin_create_or_update(RG, "nic1", {
                "location": "westus", "properties": {"ipConfigurations": [{"name": "ipc", "properties": {
                    "subnet": {"id": SUBNET}, "applicationSecurityGroups": [{"id": asg.id}]}}]}})).result()
            assert nic.properties.ip_configurations[0].properties.private_ip_address
            subnet = await net.subnets.get(RG, "vnet1", "default")
            assert [c.id for c in subnet.properties.ip_configurations] == [f"{nic.id}/ipConfigurations/ipc"]
            with pytest.raises(HttpResponseError) as info:
                await net.subnets.begin_delete(RG, "vnet1", "default")
            assert info.value.error.code == "InUseSubnetCannotBeDeleted"
            await (await net.network_interfaces.begin_delete(RG, "nic1")).result()
            await (await net.subnets.begin_delete(RG, "vnet1", "default")).result()
            assert [n.name async for n in net.network_interfaces.list(RG)] == []
            with pytest.raises(ResourceNotFoundError):
                await net.network_interfaces.get(RG, "nic1")

    asyncio.run(flow())
    assert_no_violations(check(capture.interactions))


def test_integrity_is_an_option(tls_dir: Path) -> None:
    """Off by default (callers that never build a network keep working); on, a missing subnet is refused."""
    for integrity, expect_refusal in ((False, False), (True, True)):
        with emulator_server(tls_dir, network_integrity=integrity) as srv:
            c = Clients(srv, SUB)
            c.resources.resource_groups.create_or_update(RG, {"location": "westus"})
            create = lambda: c.compute.virtual_machine_scale_sets.begin_create_or_update(  # noqa: E731
                RG, "ss", scale_set([], [], capacity=1)).result()
            if expect_refusal:
                refused(create, 400, "InvalidResourceReference")
            else:
                assert create().name == "ss"


def test_the_az_templates_network_resources_are_read_as_azure_reads_them(recordings_dir: Path) -> None:
    """Every Microsoft.Network resource in the recordings' az templates (which Azure deployed) passes the
    emulator's request checks once read leniently ("50000" for an integer, `Port` for `port`, api-version 2015-06-15)."""
    import json

    from contract.cassette import load_cassette
    from contract.emulator import lenient
    from contract.specs import load_spec

    spec = load_spec()
    operations = {f"microsoft.network/{kind.lower()}": f"{prefix}_CreateOrUpdate" for kind, prefix in (
        ("virtualNetworks", "VirtualNetworks"), ("publicIPAddresses", "PublicIPAddresses"),
        ("loadBalancers", "LoadBalancers"), ("networkSecurityGroups", "NetworkSecurityGroups"),
        ("applicationGateways", "ApplicationGateways"), ("networkInterfaces", "NetworkInterfaces"))}
    seen = 0
    for path in sorted(recordings_dir.glob("*.yaml")):
        for interaction in load_cassette(path).interactions:
            request = interaction.request
            if request.method != "PUT" or "/deployments/" not in request.uri or not request.body:
                continue
            for resource in json.loads(request.body)["properties"]["template"].get("resources", []):
                operation = operations.get(str(resource.get("type", "")).lower())
                if operation is None:
                    continue
                body = {k: v for k, v in resource.items() if k not in ("type", "apiVersion", "dependsOn", "name")}
                spec.resolve_api_version(resource["apiVersion"], operation)
                assert spec.validate_request(operation, lenient.read_body(spec, operation, body),
                                             resource["apiVersion"]) == [], (path.name, resource["type"])
                seen += 1
    assert seen >= 30


def test_load_balancer_children_list_the_rules_that_name_them() -> None:
    """As the official example LoadBalancerGet.json shows: a frontend lists the load-balancing and NAT rules
    using it, a backend pool and a probe the load-balancing rules using them; the child GET shows the same,
    and a rule removed by a PUT leaves no stale back-reference."""
    import requests

    from contract.emulator import create_app

    auth, v = {"Authorization": "Bearer t"}, "api-version=2023-11-01"
    lb = f"{NET}/loadBalancers/lbr"
    fe, pool, probe = f"{lb}/frontendIPConfigurations/fe", f"{lb}/backendAddressPools/be", f"{lb}/probes/pr"
    rule = {"name": "web", "properties": {"frontendIPConfiguration": {"id": fe}, "backendAddressPool": {"id": pool},
                                          "probe": {"id": probe}, "protocol": "Tcp", "frontendPort": 80,
                                          "backendPort": 80}}
    nat = {"name": "ssh", "properties": {"frontendIPConfiguration": {"id": fe}, "protocol": "Tcp", "frontendPort": 22,
                                         "backendPort": 22}}
    body = {"location": "westus", "sku": {"name": "Standard"}, "properties": {
        "frontendIPConfigurations": [{"name": "fe", "properties": {}}], "backendAddressPools": [{"name": "be"}],
        "probes": [{"name": "pr", "properties": {"protocol": "Tcp", "port": 80}}],
        "loadBalancingRules": [rule], "inboundNatRules": [nat]}}
    with BackgroundServer(create_app) as srv:
        assert requests.put(f"{srv.url}/subscriptions/{SUB}/resourceGroups/{RG}?api-version=2022-09-01",
                            json={"location": "westus"}, headers=auth, timeout=10).status_code == 201
        assert requests.put(f"{srv.url}{lb}?{v}", json=body, headers=auth, timeout=10).status_code == 201
        props = requests.get(f"{srv.url}{lb}?{v}", headers=auth, timeout=10).json()["properties"]
        front = props["frontendIPConfigurations"][0]["properties"]
        assert front["loadBalancingRules"] == [{"id": f"{lb}/loadBalancingRules/web"}]
        assert front["inboundNatRules"] == [{"id": f"{lb}/inboundNatRules/ssh"}]
        assert props["backendAddressPools"][0]["properties"]["loadBalancingRules"] == [{"id": f"{lb}/loadBalancingRules/web"}]
        assert props["probes"][0]["properties"]["loadBalancingRules"] == [{"id": f"{lb}/loadBalancingRules/web"}]
        child = requests.get(f"{srv.url}{fe}?{v}", headers=auth, timeout=10).json()["properties"]
        assert child["inboundNatRules"] == front["inboundNatRules"]
        body["properties"]["inboundNatRules"] = []
        assert requests.put(f"{srv.url}{lb}?{v}", json=body, headers=auth, timeout=10).status_code == 200
        front = requests.get(f"{srv.url}{fe}?{v}", headers=auth, timeout=10).json()["properties"]
        assert "inboundNatRules" not in front and front["loadBalancingRules"]
