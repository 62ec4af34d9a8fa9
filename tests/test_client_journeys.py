"""Real client journeys three ways: against the emulator, recorded through the proxy, and from replay.

Issues 12 and 13 ask that the real SDKs work "over TLS, against the emulator, through the recording
proxy in front of it, and from replay". Each journey here is one function of a server; it runs

1. directly against the emulator (TLS, `network_integrity=True`), its traffic captured;
2. through the real recording proxy (`contract.proxy`) in front of a fresh emulator, into a cassette;
3. against the real replay server (`contract.replay`) serving only that cassette (no emulator behind it);

and the three runs must observe the same results (names, states, counts, refusal codes; never the
random ids an emulator makes up), the proxy must be transparent (the same requests got the same
statuses as the direct run), replay must answer every request and use every recorded interaction,
and the real checker must find the cassette entirely inside the contract with 0 violations.

The network journey (issue 13): vnet + subnet + NSG + Standard load balancer (backend and NAT pools)
+ user-assigned identity, an image looked up in the catalogue, then a scale set on all of them with a
system-assigned identity too, scaled, a role assigned to its principal at its own scope, then the
deletes Azure refuses while they are in use (codes read from specs/rules.yaml `references:`), then the
resource group deleted and everything gone. The deployment journey (issue 12): azure-mgmt-resource
deploys a template that makes a scale set, azure-mgmt-compute reads and scales it, the group goes.
Both in sync and aio.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.core.exceptions import ResourceNotFoundError

from contract.cassette import load_cassette
from contract.checker import check
from sdk_clients import (AioClients, Clients, Served, emulator_server, recording_proxy, refused, refused_aio,
                         replay_server)
from support import Capture, assert_no_violations

REPO = Path(__file__).resolve().parent.parent
# A subscription id that is not all zeros: the recorder pseudonymises it in the cassette, and replay must
# still answer a client that sends the real one (and put the real one back into its answers).
SUB = "3f2c8a61-5b0e-4d7a-9c1e-2a4b6d8f0e13"
RG = "rg-journey"
LOCATION = "westus"
NET = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network"
SUBNET = f"{NET}/virtualNetworks/vnet1/subnets/default"
NSG = f"{NET}/networkSecurityGroups/nsg1"
LB = f"{NET}/loadBalancers/lb1"
POOL = f"{LB}/backendAddressPools/pool1"
NAT_POOL = f"{LB}/inboundNatPools/ssh"
IMAGE = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")  # what az's Ubuntu2204 alias names
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
# Fixed, not uuid4(): replay matches a request by its URI and body, so the client must send the same ones.
ASSIGNMENT = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://vmss-contract/journeys/role-assignment"))
PASSWORD = "Journey#Secret-Pass1"

# ARM's codes for in-use deletes, as specs/rules.yaml `references:` cites them.
CODES = {rule["id"]: rule["error"]["code"]
         for rule in yaml.safe_load((REPO / "specs" / "rules.yaml").read_text())["references"]}

Observations = list[tuple[str, Any]]


# ----------------------------------------------------------------------------- bodies

NSG_BODY = {"location": LOCATION, "properties": {"securityRules": [{"name": "ssh", "properties": {
    "protocol": "Tcp", "access": "Allow", "direction": "Inbound", "priority": 100, "sourceAddressPrefix": "*",
    "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "22"}}]}}
VNET_BODY = {"location": LOCATION, "properties": {
    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
    "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": NSG}}}]}}
PIP_BODY = {"location": LOCATION, "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}


def lb_body(pip_id: str) -> dict[str, Any]:
    return {"location": LOCATION, "sku": {"name": "Standard"}, "properties": {
        "frontendIPConfigurations": [{"name": "fe", "properties": {"publicIPAddress": {"id": pip_id}}}],
        "backendAddressPools": [{"name": "pool1"}],
        "probes": [{"name": "tcp22", "properties": {"protocol": "Tcp", "port": 22}}],
        "inboundNatPools": [{"name": "ssh", "properties": {
            "frontendIPConfiguration": {"id": f"{LB}/frontendIPConfigurations/fe"}, "protocol": "Tcp",
            "frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50099, "backendPort": 22}}]}}


def scale_set_body(identity_id: str, version: str) -> dict[str, Any]:
    return {
        "location": LOCATION,
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 2},
        "identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {identity_id: {}}},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser", "adminPassword": PASSWORD},
                "storageProfile": {
                    "imageReference": dict(zip(("publisher", "offer", "sku"), IMAGE), version=version),
                    "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}}},
                "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                    "primary": True, "networkSecurityGroup": {"id": NSG},
                    "ipConfigurations": [{"name": "ipc", "properties": {
                        "subnet": {"id": SUBNET},
                        "loadBalancerBackendAddressPools": [{"id": POOL}],
                        "loadBalancerInboundNatPools": [{"id": NAT_POOL}]}}]}}]},
            },
        },
    }


# ----------------------------------------------------------------------------- the network journey

def network_journey(server: Served) -> Observations:
    """Issue 13's journey with the sync SDKs; returns what it observed (no random ids)."""
    c = Clients(server, SUB)
    net, compute, auth = c.network, c.compute, c.authorization
    seen: Observations = []
    c.resources.resource_groups.create_or_update(RG, {"location": LOCATION})

    nsg = net.network_security_groups.begin_create_or_update(RG, "nsg1", NSG_BODY).result()
    seen.append(("nsg", (nsg.properties.provisioning_state, [r.name for r in nsg.properties.security_rules])))
    vnet = net.virtual_networks.begin_create_or_update(RG, "vnet1", VNET_BODY).result()
    seen.append(("vnet", (vnet.properties.provisioning_state, [s.name for s in vnet.properties.subnets])))
    pip = net.public_ip_addresses.begin_create_or_update(RG, "pip1", PIP_BODY).result()
    lb = net.load_balancers.begin_create_or_update(RG, "lb1", lb_body(pip.id)).result()
    seen.append(("lb", (lb.sku.name, [p.name for p in lb.properties.backend_address_pools],
                        [p.name for p in lb.properties.inbound_nat_pools])))
    uai = c.msi.user_assigned_identities.create_or_update(RG, "uai1", {"location": LOCATION})
    seen.append(("identity", (uai.type, uuid.UUID(uai.principal_id).version)))

    images = compute.virtual_machine_images
    newest = images.list(LOCATION, *IMAGE, top=1, orderby="name desc")  # what az vmss create asks
    version = images.get(LOCATION, *IMAGE, newest[0].name)
    seen.append(("image", (version.name, version.os_disk_image.operating_system)))

    vmss_ops = compute.virtual_machine_scale_sets
    vmss = vmss_ops.begin_create_or_update(RG, "web", scale_set_body(uai.id, version.name)).result()
    seen.append(("vmss", (vmss.provisioning_state, vmss.sku.capacity, vmss.identity.type)))
    scaled = vmss_ops.begin_update(RG, "web", {"sku": {"capacity": 3}}).result()
    instances = list(compute.virtual_machine_scale_set_vms.list(RG, "web"))
    seen.append(("scaled", (scaled.sku.capacity, len(instances))))
    users = net.subnets.get(RG, "vnet1", "default").properties.ip_configurations
    pool = net.load_balancer_backend_address_pools.get(RG, "lb1", "pool1")
    seen.append(("back-references", (len(users), len(pool.properties.backend_ip_configurations))))

    contributor = next(iter(auth.role_definitions.list(vmss.id, filter="roleName eq 'Contributor'")))
    assignment = auth.role_assignments.create(vmss.id, ASSIGNMENT, {
        "role_definition_id": contributor.id, "principal_id": vmss.identity.principal_id,
        "principal_type": "ServicePrincipal"})
    assert assignment.principal_id == vmss.identity.principal_id and assignment.scope.lower() == vmss.id.lower()
    seen.append(("role", (contributor.name, [a.name for a in auth.role_assignments.list_for_scope(vmss.id)])))

    # What the scale set uses cannot go: ARM's codes, as specs/rules.yaml cites them.
    for what, call, rule in (
            ("subnet", lambda: net.subnets.begin_delete(RG, "vnet1", "default").result(), "subnet-in-use"),
            ("nsg", lambda: net.network_security_groups.begin_delete(RG, "nsg1").result(),
             "network-security-group-in-use-by-scale-set"),
            ("lb", lambda: net.load_balancers.begin_delete(RG, "lb1").result(), "load-balancer-in-use-by-scale-set"),
            ("pool", lambda: net.load_balancer_backend_address_pools.begin_delete(RG, "lb1", "pool1").result(),
             "load-balancer-in-use-by-scale-set"),
            ("public ip", lambda: net.public_ip_addresses.begin_delete(RG, "pip1").result(), "public-ip-in-use")):
        seen.append((f"refused delete {what}", refused(call, 400, CODES[rule]).error.code))
    seen.append(("still there", (net.subnets.get(RG, "vnet1", "default").name,
                                 net.load_balancers.get(RG, "lb1").name)))

    c.resources.resource_groups.begin_delete(RG).result()
    seen.append(("group exists", c.resources.resource_groups.check_existence(RG)))
    for read in (lambda: vmss_ops.get(RG, "web"), lambda: net.virtual_networks.get(RG, "vnet1"),
                 lambda: c.msi.user_assigned_identities.get(RG, "uai1")):
        with pytest.raises(ResourceNotFoundError):
            read()
    seen.append(("left", (list(net.virtual_networks.list_all()), list(net.load_balancers.list_all()),
                          list(auth.role_assignments.list_for_subscription()))))
    return seen


async def network_journey_aio(server: Served) -> Observations:
    """The same journey with the aio SDKs."""
    seen: Observations = []
    async with AioClients(server, SUB) as c:
        net, compute, auth = c.network, c.compute, c.authorization
        await c.resources.resource_groups.create_or_update(RG, {"location": LOCATION})
        nsg = await (await net.network_security_groups.begin_create_or_update(RG, "nsg1", NSG_BODY)).result()
        seen.append(("nsg", (nsg.properties.provisioning_state, [r.name for r in nsg.properties.security_rules])))
        vnet = await (await net.virtual_networks.begin_create_or_update(RG, "vnet1", VNET_BODY)).result()
        seen.append(("vnet", (vnet.properties.provisioning_state, [s.name for s in vnet.properties.subnets])))
        pip = await (await net.public_ip_addresses.begin_create_or_update(RG, "pip1", PIP_BODY)).result()
        lb = await (await net.load_balancers.begin_create_or_update(RG, "lb1", lb_body(pip.id))).result()
        seen.append(("lb", (lb.sku.name, [p.name for p in lb.properties.backend_address_pools],
                            [p.name for p in lb.properties.inbound_nat_pools])))
        uai = await c.msi.user_assigned_identities.create_or_update(RG, "uai1", {"location": LOCATION})
        seen.append(("identity", (uai.type, uuid.UUID(uai.principal_id).version)))

        images = compute.virtual_machine_images
        newest = await images.list(LOCATION, *IMAGE, top=1, orderby="name desc")
        version = await images.get(LOCATION, *IMAGE, newest[0].name)
        seen.append(("image", (version.name, version.os_disk_image.operating_system)))

        vmss_ops = compute.virtual_machine_scale_sets
        vmss = await (await vmss_ops.begin_create_or_update(RG, "web", scale_set_body(uai.id, version.name))).result()
        seen.append(("vmss", (vmss.provisioning_state, vmss.sku.capacity, vmss.identity.type)))
        scaled = await (await vmss_ops.begin_update(RG, "web", {"sku": {"capacity": 3}})).result()
        instances = [vm async for vm in compute.virtual_machine_scale_set_vms.list(RG, "web")]
        seen.append(("scaled", (scaled.sku.capacity, len(instances))))
        users = (await net.subnets.get(RG, "vnet1", "default")).properties.ip_configurations
        pool = await net.load_balancer_backend_address_pools.get(RG, "lb1", "pool1")
        seen.append(("back-references", (len(users), len(pool.properties.backend_ip_configurations))))

        contributor = [d async for d in auth.role_definitions.list(vmss.id, filter="roleName eq 'Contributor'")][0]
        assignment = await auth.role_assignments.create(vmss.id, ASSIGNMENT, {
            "role_definition_id": contributor.id, "principal_id": vmss.identity.principal_id,
            "principal_type": "ServicePrincipal"})
        assert assignment.principal_id == vmss.identity.principal_id
        seen.append(("role", (contributor.name, [a.name async for a in auth.role_assignments.list_for_scope(vmss.id)])))

        async def finish(poller: Any) -> Any:
            return await (await poller).result()

        for what, call, rule in (
                ("subnet", lambda: finish(net.subnets.begin_delete(RG, "vnet1", "default")), "subnet-in-use"),
                ("nsg", lambda: finish(net.network_security_groups.begin_delete(RG, "nsg1")),
                 "network-security-group-in-use-by-scale-set"),
                ("lb", lambda: finish(net.load_balancers.begin_delete(RG, "lb1")), "load-balancer-in-use-by-scale-set"),
                ("pool", lambda: finish(net.load_balancer_backend_address_pools.begin_delete(RG, "lb1", "pool1")),
                 "load-balancer-in-use-by-scale-set"),
                ("public ip", lambda: finish(net.public_ip_addresses.begin_delete(RG, "pip1")), "public-ip-in-use")):
            seen.append((f"refused delete {what}", (await refused_aio(call, 400, CODES[rule])).error.code))
        seen.append(("still there", ((await net.subnets.get(RG, "vnet1", "default")).name,
                                     (await net.load_balancers.get(RG, "lb1")).name)))

        await (await c.resources.resource_groups.begin_delete(RG)).result()
        seen.append(("group exists", await c.resources.resource_groups.check_existence(RG)))
        for read in (lambda: vmss_ops.get(RG, "web"), lambda: net.virtual_networks.get(RG, "vnet1"),
                     lambda: c.msi.user_assigned_identities.get(RG, "uai1")):
            with pytest.raises(ResourceNotFoundError):
                await read()
        seen.append(("left", ([v async for v in net.virtual_networks.list_all()],
                              [b async for b in net.load_balancers.list_all()],
                              [a async for a in auth.role_assignments.list_for_subscription()])))
    return seen


NETWORK_EXPECTED: Observations = [
    ("nsg", ("Succeeded", ["ssh"])),
    ("vnet", ("Succeeded", ["default"])),
    ("lb", ("Standard", ["pool1"], ["ssh"])),
    ("identity", ("Microsoft.ManagedIdentity/userAssignedIdentities", 4)),
    ("image", ("22.04.202510230", "Linux")),
    ("vmss", ("Succeeded", 2, "SystemAssigned, UserAssigned")),
    ("scaled", (3, 3)),
    ("back-references", (3, 3)),
    ("role", (CONTRIBUTOR, [ASSIGNMENT])),
    ("refused delete subnet", "InUseSubnetCannotBeDeleted"),
    ("refused delete nsg", "NetworkSecurityGroupInUseByVirtualMachineScaleSet"),
    ("refused delete lb", "LoadBalancerInUseByVirtualMachineScaleSet"),
    ("refused delete pool", "LoadBalancerInUseByVirtualMachineScaleSet"),
    ("refused delete public ip", "PublicIPAddressCannotBeDeleted"),
    ("still there", ("default", "lb1")),
    ("group exists", False),
    ("left", ([], [], [])),
]


# ----------------------------------------------------------------------------- the deployment journey

def template() -> dict[str, Any]:
    """A vnet and a scale set on its subnet; name and size parameters, the password a secureString."""
    subnet = "[resourceId('Microsoft.Network/virtualNetworks/subnets', variables('vnet'), 'default')]"
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"vmssName": {"type": "string"}, "instances": {"type": "int", "defaultValue": 2},
                       "adminPassword": {"type": "secureString"}},
        "variables": {"vnet": "[concat(parameters('vmssName'), 'VNET')]"},
        "resources": [{
            "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2022-01-01", "name": "[variables('vnet')]",
            "location": "[resourceGroup().location]",
            "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                           "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]},
        }, {
            "type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01",
            "name": "[parameters('vmssName')]", "location": "[resourceGroup().location]",
            "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', variables('vnet'))]"],
            "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": "[parameters('instances')]"},
            "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "dep", "adminUsername": "azureuser",
                              "adminPassword": "[parameters('adminPassword')]"},
                "storageProfile": {"imageReference": dict(zip(("publisher", "offer", "sku"), IMAGE), version="latest"),
                                   "osDisk": {"createOption": "FromImage",
                                              "managedDisk": {"storageAccountType": "Standard_LRS"}}},
                "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                    "primary": True, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}}}]}}]},
            }},
        }],
        "outputs": {"vmssId": {"type": "string", "value": "[resourceId('Microsoft.Compute/virtualMachineScaleSets', "
                                                           "parameters('vmssName'))]"}},
    }


DEPLOYMENT = {"properties": {"mode": "Incremental", "template": template(), "parameters": {
    "vmssName": {"value": "dep1"}, "adminPassword": {"value": PASSWORD}}}}


def deployment_journey(server: Served) -> Observations:
    """Issue 12's SDK journey, sync: deploy, read the deployment and the scale set it made, scale, delete the group."""
    c = Clients(server, SUB)
    seen: Observations = []
    c.resources.resource_groups.create_or_update(RG, {"location": LOCATION})
    done = c.deployments.deployments.begin_create_or_update(RG, "deploy1", DEPLOYMENT).result()
    seen.append(("deployment", (done.properties.provisioning_state,
                                done.properties.outputs["vmssId"]["value"].rsplit("/", 1)[-1],
                                done.properties.parameters["adminPassword"])))
    ops = list(c.deployments.deployment_operations.list(RG, "deploy1"))
    seen.append(("operations", sorted((o.properties.provisioning_state, o.properties.target_resource.resource_name)
                                      for o in ops)))
    vmss = c.compute.virtual_machine_scale_sets.get(RG, "dep1")
    seen.append(("vmss", (vmss.provisioning_state, vmss.sku.capacity)))
    scaled = c.compute.virtual_machine_scale_sets.begin_update(RG, "dep1", {"sku": {"capacity": 3}}).result()
    seen.append(("scaled", (scaled.sku.capacity, len(list(c.compute.virtual_machine_scale_set_vms.list(RG, "dep1"))))))
    c.resources.resource_groups.begin_delete(RG).result()
    seen.append(("group exists", c.resources.resource_groups.check_existence(RG)))
    with pytest.raises(ResourceNotFoundError):
        c.compute.virtual_machine_scale_sets.get(RG, "dep1")
    return seen


async def deployment_journey_aio(server: Served) -> Observations:
    seen: Observations = []
    async with AioClients(server, SUB) as c:
        await c.resources.resource_groups.create_or_update(RG, {"location": LOCATION})
        poller = await c.deployments.deployments.begin_create_or_update(RG, "deploy1", DEPLOYMENT)
        done = await poller.result()
        seen.append(("deployment", (done.properties.provisioning_state,
                                    done.properties.outputs["vmssId"]["value"].rsplit("/", 1)[-1],
                                    done.properties.parameters["adminPassword"])))
        ops = [o async for o in c.deployments.deployment_operations.list(RG, "deploy1")]
        seen.append(("operations", sorted((o.properties.provisioning_state, o.properties.target_resource.resource_name)
                                          for o in ops)))
        vmss = await c.compute.virtual_machine_scale_sets.get(RG, "dep1")
        seen.append(("vmss", (vmss.provisioning_state, vmss.sku.capacity)))
        scaled = await (await c.compute.virtual_machine_scale_sets.begin_update(
            RG, "dep1", {"sku": {"capacity": 3}})).result()
        vms = [vm async for vm in c.compute.virtual_machine_scale_set_vms.list(RG, "dep1")]
        seen.append(("scaled", (scaled.sku.capacity, len(vms))))
        await (await c.resources.resource_groups.begin_delete(RG)).result()
        seen.append(("group exists", await c.resources.resource_groups.check_existence(RG)))
        with pytest.raises(ResourceNotFoundError):
            await c.compute.virtual_machine_scale_sets.get(RG, "dep1")
    return seen


DEPLOYMENT_EXPECTED: Observations = [
    ("deployment", ("Succeeded", "dep1", {"type": "SecureString"})),
    ("operations", [("Succeeded", "dep1"), ("Succeeded", "dep1VNET")]),
    ("vmss", ("Succeeded", 2)),
    ("scaled", (3, 3)),
    ("group exists", False),
]


# ----------------------------------------------------------------------------- three ways

def three_ways(journey: Callable[[Served], Observations], tmp_path: Path) -> tuple[Path, Observations]:
    """Run `journey` against the emulator, through the proxy, and from replay; all must observe the same.
    Returns the cassette, which the checker must find inside the contract with 0 violations."""
    tls_dir = tmp_path / "tls"
    cassette = tmp_path / "journey.yaml"
    timings: dict[str, float] = {}

    capture = Capture()
    started = time.perf_counter()
    with emulator_server(tls_dir, capture, network_integrity=True) as emulator:
        direct = journey(emulator)
    timings["emulator"] = time.perf_counter() - started

    started = time.perf_counter()
    with emulator_server(tls_dir, network_integrity=True) as emulator, \
            recording_proxy(cassette, emulator, tls_dir) as recorder:
        recorded = journey(recorder)
    timings["proxy"] = time.perf_counter() - started

    started = time.perf_counter()
    with replay_server(cassette, tls_dir) as replayer:  # nothing but the cassette answers now
        replayed = journey(replayer)
    timings["replay"] = time.perf_counter() - started

    assert recorded == direct, "the recording proxy changed what the client saw"
    assert replayed == recorded, "replay answered differently from the recording"
    # The proxy is transparent: the same requests, in the same order, got the same statuses.
    interactions = load_cassette(cassette).interactions
    assert [(i.request.method, i.response.status) for i in interactions] == \
        [(i.request.method, i.response.status) for i in capture.interactions]
    text = cassette.read_text()
    assert PASSWORD not in text  # the recorder scrubbed the secret the client sent
    assert SUB not in text  # and pseudonymised the subscription, which replay mapped back for the client

    started = time.perf_counter()
    report = check([cassette])
    timings["check"] = time.perf_counter() - started
    assert_no_violations(report)
    assert report.interactions == report.checked == len(interactions) and report.outside_contract == 0
    print(f"\n{cassette.name}: {len(interactions)} interactions recorded, {report.checked} checked, "
          f"{len(report.violations)} violations; " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return cassette, direct


def _sync(journey: Callable[[Served], Any]) -> Callable[[Served], Observations]:
    return journey


def _aio(journey: Callable[[Served], Any]) -> Callable[[Served], Observations]:
    return lambda server: asyncio.run(journey(server))


@pytest.mark.parametrize("journey", [_sync(network_journey), _aio(network_journey_aio)], ids=["sync", "aio"])
def test_network_identity_role_journey_direct_recorded_and_replayed(journey: Any, tmp_path: Path) -> None:
    cassette, seen = three_ways(journey, tmp_path)
    assert seen == NETWORK_EXPECTED
    paths = {i.request.uri.split("?")[0].split("/providers/")[-1].split("/")[0].lower()
             for i in load_cassette(cassette).interactions if "/providers/" in i.request.uri}
    assert {"microsoft.network", "microsoft.managedidentity", "microsoft.authorization",
            "microsoft.compute"} <= paths  # every provider of the journey is in the cassette, and checked


@pytest.mark.parametrize("journey", [_sync(deployment_journey), _aio(deployment_journey_aio)], ids=["sync", "aio"])
def test_deployment_journey_direct_recorded_and_replayed(journey: Any, tmp_path: Path) -> None:
    cassette, seen = three_ways(journey, tmp_path)
    assert seen == DEPLOYMENT_EXPECTED
    text = cassette.read_text()
    assert "/providers/Microsoft.Resources/deployments/deploy1" in text and "operationStatuses" in text
    # ARM's answer for a secure parameter is recorded as ARM gave it (the sanitizer once scrubbed the type too)
    assert '"adminPassword":{"type":"SecureString"}' in text.replace(" ", "")
