"""Identities, role assignments and the image catalogue, driven by the real SDKs (sync and aio) over TLS.

azure-mgmt-msi creates a user-assigned identity, azure-mgmt-compute looks the image up (as `az vmss
create` does: versions?$top=1&$orderby=name desc, then that version) and creates a scale set using the
identity, azure-mgmt-authorization assigns a built-in role to the scale set's system-assigned principal
at the scale set's own scope; then a merge-patch null unassigns the identity and the group goes.
Every answer is also judged by the checker.
"""
from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from contract.checker import check
from contract.emulator.images import builtin
from contract.servers import BackgroundServer
from sdk_clients import AioClients, Clients, emulator_server, refused
from support import Capture, assert_no_violations

SUB = "00000000-0000-0000-0000-0000000000ab"
RG = "rg-identity"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


VNET = {"location": "westus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                             "subnets": [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/24"}}]}}
# the subnet the scale sets stand on (Azure refuses a scale set whose subnet does not exist)


def scale_set_body(identity: dict[str, Any] | None, image: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "location": "westus",
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 1},
        "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "idn", "adminUsername": "azureuser", "adminPassword": "Secret#Pass123"},
            "storageProfile": {"imageReference": image or {"publisher": "Canonical", "offer": "UbuntuServer",
                                                           "sku": "18.04-LTS", "version": "latest"},
                               "osDisk": {"createOption": "FromImage"}},
            "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                "primary": True, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {
                    "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}}}]}}]},
        }},
    }
    if identity is not None:
        body["identity"] = identity
    return body


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("identity-tls")


@pytest.fixture
def served(tls_dir: Path) -> Iterator[tuple[BackgroundServer, Capture]]:
    capture = Capture()
    with emulator_server(tls_dir, capture) as srv:
        yield srv, capture


def test_identity_image_role_assignment_journey_sync(served: tuple[BackgroundServer, Capture]) -> None:
    srv, capture = served
    c = Clients(srv, SUB)
    resource, msi, compute, auth = c.resources, c.msi, c.compute, c.authorization
    vmss_ops = compute.virtual_machine_scale_sets

    resource.resource_groups.create_or_update(RG, {"location": "westus"})
    c.network.virtual_networks.begin_create_or_update(RG, "v", VNET).result()
    uai = msi.user_assigned_identities.create_or_update(RG, "uai1", {"location": "West US", "tags": {"t": "1"}})
    assert uai.type == "Microsoft.ManagedIdentity/userAssignedIdentities" and uai.location == "westus"
    assert uuid.UUID(uai.principal_id) and uuid.UUID(uai.client_id) and uuid.UUID(uai.tenant_id)
    again = msi.user_assigned_identities.create_or_update(RG, "uai1", {"location": "westus", "tags": {"t": "2"}})
    assert again.principal_id == uai.principal_id and again.tags == {"t": "2"}  # an update keeps the principal
    assert [i.name for i in msi.user_assigned_identities.list_by_resource_group(RG)] == ["uai1"]
    assert [i.name for i in msi.user_assigned_identities.list_by_subscription()] == ["uai1"]

    # the image look-up `az vmss create` makes, then the version it names
    images = compute.virtual_machine_images
    newest = images.list("westus", "Canonical", "UbuntuServer", "18.04-LTS", top=1, orderby="name desc")
    assert [v.name for v in newest] == [builtin().image("Canonical", "UbuntuServer", "18.04-LTS").latest]
    version = images.get("westus", "Canonical", "UbuntuServer", "18.04-LTS", newest[0].name)
    assert version.os_disk_image.operating_system == "Linux"
    assert "Canonical" in [p.name for p in images.list_publishers("westus")]
    refused(lambda: images.list("westus", "Canonical", "NoSuchOffer", "1", top=1), 404, "NotFound")

    # a scale set with both identities; one that names a missing identity or image is refused
    missing = uai.id.replace("uai1", "ghost")
    refused(lambda: vmss_ops.begin_create_or_update(RG, "bad", scale_set_body(
        {"type": "UserAssigned", "userAssignedIdentities": {missing: {}}})).result(), 400, "FailedIdentityOperation")
    refused(lambda: vmss_ops.begin_create_or_update(RG, "bad", scale_set_body(None, {
        "publisher": "Canonical", "offer": "UbuntuServer", "sku": "12.04-LTS", "version": "latest"})).result(),
        404, "PlatformImageNotFound")
    assert [s.name for s in vmss_ops.list(RG)] == []  # refusals change nothing
    vmss = vmss_ops.begin_create_or_update(RG, "web", scale_set_body(
        {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uai.id: {}}})).result()
    assert vmss.identity.type == "SystemAssigned, UserAssigned"
    assert uuid.UUID(vmss.identity.principal_id) and vmss.identity.tenant_id == uai.tenant_id
    assert vmss.identity.user_assigned_identities[uai.id].principal_id == uai.principal_id

    # a built-in role for the scale set's own principal, at the scale set's own scope
    contributor = next(iter(auth.role_definitions.list(vmss.id, filter="roleName eq 'Contributor'")))
    assert contributor.name == CONTRIBUTOR and contributor.role_name == "Contributor"
    name = str(uuid.uuid4())
    assignment = auth.role_assignments.create(vmss.id, name, {
        "role_definition_id": contributor.id, "principal_id": vmss.identity.principal_id,
        "principal_type": "ServicePrincipal"})
    assert assignment.scope == vmss.id and assignment.principal_id == vmss.identity.principal_id
    assert auth.role_assignments.get(vmss.id, name).name == name
    assert [a.name for a in auth.role_assignments.list_for_scope(vmss.id)] == [name]
    assert [a.name for a in auth.role_assignments.list_for_resource_group(RG)] == [name]
    refused(lambda: auth.role_assignments.create(vmss.id, str(uuid.uuid4()), {
        "role_definition_id": contributor.id, "principal_id": vmss.identity.principal_id}), 409, "RoleAssignmentExists")
    refused(lambda: auth.role_assignments.create(vmss.id, str(uuid.uuid4()), {
        "role_definition_id": contributor.id, "principal_id": str(uuid.uuid4())}), 400, "PrincipalNotFound")
    auth.role_assignments.create(f"/subscriptions/{SUB}/resourceGroups/{RG}", str(uuid.uuid4()), {
        "role_definition_id": contributor.id, "principal_id": uai.principal_id})  # a user-assigned principal

    # ARM's PATCH is a merge patch: null unassigns the identity; with none left, `identity` goes
    patched = vmss_ops.begin_update(RG, "web", {"identity": {"type": "SystemAssigned",
                                                             "userAssignedIdentities": {uai.id: None}}}).result()
    assert patched.identity.type == "SystemAssigned" and not patched.identity.user_assigned_identities
    assert patched.identity.principal_id == vmss.identity.principal_id  # kept while SystemAssigned stays
    only_user = vmss_ops.begin_create_or_update(RG, "api", scale_set_body(
        {"type": "UserAssigned", "userAssignedIdentities": {uai.id: {}}})).result()
    assert only_user.identity.principal_id is None
    gone = vmss_ops.begin_update(RG, "api", {"identity": {"userAssignedIdentities": {uai.id: None}}}).result()
    assert gone.identity is None
    assert "identity" not in compute.virtual_machine_scale_sets.get(RG, "api").as_dict()

    resource.resource_groups.begin_delete(RG).result()
    resource.resource_groups.create_or_update(RG, {"location": "westus"})
    with pytest.raises(ResourceNotFoundError):
        msi.user_assigned_identities.get(RG, "uai1")
    assert list(auth.role_assignments.list_for_subscription()) == []

    report = check(capture.interactions)
    assert_no_violations(report)
    assert report.outside_contract == 0, report.outside_contract
    # and these operations are inside the contract: a lie about one of them is caught
    lying = copy.deepcopy(capture.interactions)
    put = next(i for i in lying if i.request.method == "PUT" and "/roleAssignments/" in i.request.uri)
    put.response.status = 202
    identity = next(i for i in lying if i.request.method == "PUT" and i.request.uri.split("?")[0].endswith("/uai1"))
    lie = json.loads(identity.response.body)
    lie["properties"]["principalId"] = 7
    identity.response.body = json.dumps(lie)
    assert {v.rule for v in check(lying).violations} >= {"undeclared-status", "response-schema"}


async def test_identity_and_role_assignment_aio(served: tuple[BackgroundServer, Capture]) -> None:
    srv, capture = served
    async with AioClients(srv, SUB) as c:
        resource, msi, compute, auth, network = c.resources, c.msi, c.compute, c.authorization, c.network
        await resource.resource_groups.create_or_update(RG, {"location": "westus"})
        await (await network.virtual_networks.begin_create_or_update(RG, "v", VNET)).result()
        uai = await msi.user_assigned_identities.create_or_update(RG, "uai-aio", {"location": "westus"})
        poller = await compute.virtual_machine_scale_sets.begin_create_or_update(
            RG, "aio", scale_set_body({"type": "UserAssigned", "userAssignedIdentities": {uai.id: {}}}))
        vmss = await poller.result()
        assert vmss.identity.user_assigned_identities[uai.id].client_id == uai.client_id
        assignment = await auth.role_assignments.create(vmss.id, str(uuid.uuid4()), {
            "role_definition_id": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}",
            "principal_id": uai.principal_id})
        assert assignment.principal_id == uai.principal_id
        await msi.user_assigned_identities.delete(RG, "uai-aio")  # in use by the scale set: Azure allows it
        with pytest.raises(ResourceNotFoundError):
            await msi.user_assigned_identities.get(RG, "uai-aio")
        # "Deleting a user-assigned managed identity won't remove the reference from any resource it was assigned
        # to" (learn.microsoft.com, how-manage-user-assigned-managed-identities, Azure CLI tab): the scale set
        # still names it, as it was assigned.
        kept = await compute.virtual_machine_scale_sets.get(RG, "aio")
        assert kept.identity.user_assigned_identities[uai.id].client_id == uai.client_id
        await (await resource.resource_groups.begin_delete(RG)).result()
    assert_no_violations(check(capture.interactions))
