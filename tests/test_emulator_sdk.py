"""The real azure-mgmt-compute / azure-mgmt-resource SDKs (sync and aio) drive the emulator over TLS.

Each test gets a fresh emulator on 127.0.0.1; the SDKs are unmodified and use
their own LRO pollers, so these tests also prove the polling hint works: a whole
lifecycle takes seconds, not 30 s per poll.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from contract.checker import check
from contract.emulator import create_app
from contract.plugin import AsyncStaticCredential, StaticCredential
from support import Capture, assert_no_violations, network_request
from contract.servers import BackgroundServer

SUB = "00000000-0000-0000-0000-0000000000aa"
RG = "rg-emulator"
SECRETS = ("Secret#Pass123", "c2VjcmV0LWN1c3RvbS1kYXRh", "protected-setting-value", "rc-run-as-secret",
           "rc-protected-value")
SUBNET = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/"
          "virtualNetworks/vnet1/subnets/default")


def scale_set_body(capacity: int = 2, mode: str = "Manual") -> dict[str, Any]:
    """A realistic create body, secrets included (they must never come back)."""
    return {
        "location": "West US",
        "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": capacity},
        "properties": {
            "upgradePolicy": {"mode": mode},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "emu", "adminUsername": "azureuser",
                              "adminPassword": SECRETS[0], "customData": SECRETS[1]},
                "storageProfile": {
                    "imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                       "sku": "18.04-LTS", "version": "latest"},
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                               "managedDisk": {"storageAccountType": "Standard_LRS"}},
                },
                "networkProfile": {"networkInterfaceConfigurations": [{
                    "name": "nic1",
                    "properties": {"primary": True, "ipConfigurations": [{
                        "name": "ip1",
                        "properties": {"subnet": {"id": SUBNET},
                                       "publicIPAddressConfiguration": {
                                           "name": "pub1", "properties": {"idleTimeoutInMinutes": 10}}},
                    }]},
                }]},
                "extensionProfile": {"extensions": [{
                    "name": "custom",
                    "properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript",
                                   "typeHandlerVersion": "2.1",
                                   "protectedSettings": {"commandToExecute": SECRETS[2]}},
                }]},
            },
        },
    }


def make_network(resource: ResourceManagementClient) -> None:
    """The virtual network the scale sets stand on, made first as a real client does (Azure, and the
    emulator, refuse a scale set whose subnet does not exist)."""
    path, body = network_request(SUBNET)
    vnet, _, version = path.partition("?api-version=")
    resource.resources.begin_create_or_update_by_id(vnet.lstrip("/"), body, api_version=version).result()


async def make_network_aio(resource: Any) -> None:
    path, body = network_request(SUBNET)
    vnet, _, version = path.partition("?api-version=")
    await (await resource.resources.begin_create_or_update_by_id(vnet.lstrip("/"), body, api_version=version)).result()


def run_command_body(**source: Any) -> dict[str, Any]:
    return {"location": "westus", "properties": {
        "source": source or {"script": "echo hello"},
        "runAsUser": "azureuser", "runAsPassword": SECRETS[3],
        "protectedParameters": [{"name": "token", "value": SECRETS[4]}],
        "timeoutInSeconds": 60}}


# ----------------------------------------------------------------------------- servers and clients

@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emulator-tls")


def start(tls_dir: Path, capture: Capture | None = None, lro_polls: int = 1, strict: bool = False) -> BackgroundServer:
    def factory() -> web.Application:
        app = create_app(lro_polls=lro_polls, strict_operations=strict)
        if capture is not None:
            app.middlewares.insert(0, capture.middleware)
        return app

    return BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()


@pytest.fixture
def server(tls_dir: Path) -> Iterator[BackgroundServer]:
    srv = start(tls_dir)
    yield srv
    srv.stop()


def clients(srv: BackgroundServer) -> tuple[ComputeManagementClient, ResourceManagementClient]:
    kwargs = {"base_url": srv.url, "connection_verify": str(srv.ca_path), "retry_total": 0}
    return (ComputeManagementClient(StaticCredential(), SUB, **kwargs),
            ResourceManagementClient(StaticCredential(), SUB, **kwargs))


def raw_get(compute: ComputeManagementClient, path: str) -> Any:
    """GET through the SDK's own pipeline (auth, TLS) for what it has no method for."""
    response = compute.send_request(HttpRequest("GET", path))
    response.raise_for_status()
    return response.json()


def refused(call: Any, status: int, code: str) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as info:
        call()
    assert info.value.status_code == status, info.value.message
    assert info.value.error is not None and info.value.error.code == code, info.value.message
    return info.value


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# ----------------------------------------------------------------------------- the lifecycle

def sync_lifecycle(compute: ComputeManagementClient, resource: ResourceManagementClient) -> None:
    vmss_ops, vm_ops = compute.virtual_machine_scale_sets, compute.virtual_machine_scale_set_vms
    rc_ops = compute.virtual_machine_scale_set_vm_run_commands

    refused(lambda: vmss_ops.begin_create_or_update(RG, "vmss1", scale_set_body()).result(),
            404, "ResourceGroupNotFound")
    group = resource.resource_groups.create_or_update(RG, {"location": "westus"})
    make_network(resource)
    assert group.name == RG and resource.resource_groups.check_existence(RG)
    assert [g.name for g in resource.resource_groups.list()] == [RG]

    created = vmss_ops.begin_create_or_update(RG, "vmss1", scale_set_body()).result()
    assert created.properties.provisioning_state == "Succeeded"
    assert created.sku.capacity == 2 and created.location == "westus"
    got = vmss_ops.get(RG, "vmss1")
    assert got.properties.provisioning_state == "Succeeded"
    assert got.properties.virtual_machine_profile.os_profile.admin_username == "azureuser"
    assert_no_secrets(str(got.as_dict()))

    view = vmss_ops.get_instance_view(RG, "vmss1")
    assert [s.code for s in view.statuses] == ["ProvisioningState/succeeded"]
    assert view.virtual_machine.statuses_summary[0].count == 2

    vms = list(vm_ops.list(RG, "vmss1"))
    assert [v.instance_id for v in vms] == ["0", "1"]
    vm0 = vm_ops.get(RG, "vmss1", "0")
    assert vm0.properties.latest_model_applied is True
    assert vm0.properties.os_profile.computer_name == "emu000000"
    codes = {s.code for s in vm_ops.get_instance_view(RG, "vmss1", "0").statuses}
    assert codes == {"ProvisioningState/succeeded", "PowerState/running"}

    # PATCH merges: a model change in Manual mode leaves instances behind.
    patched = vmss_ops.begin_update(RG, "vmss1", {"tags": {"stage": "patched"}, "properties": {
        "virtualMachineProfile": {"storageProfile": {"imageReference": {"version": "18.04.202401161"}}}}}).result()
    assert patched.tags == {"stage": "patched"}
    assert patched.properties.virtual_machine_profile.storage_profile.image_reference.offer == "UbuntuServer"
    assert [v.properties.latest_model_applied for v in vm_ops.list(RG, "vmss1")] == [False, False]

    # PUT on the existing scale set: 200 (Updating), scales out with fresh ids on the new model.
    body = scale_set_body(capacity=3)
    body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["version"] = "18.04.202401161"
    updated = vmss_ops.begin_create_or_update(RG, "vmss1", body).result()
    assert updated.sku.capacity == 3 and updated.tags == {}
    latest = {v.instance_id: v.properties.latest_model_applied for v in vm_ops.list(RG, "vmss1")}
    assert latest == {"0": False, "1": False, "2": True}

    vmss_ops.begin_update_instances(RG, "vmss1", {"instanceIds": ["0"]}).result()
    vmss_ops.begin_reimage(RG, "vmss1", {"instanceIds": ["1"]}).result()
    latest = {v.instance_id: v.properties.latest_model_applied for v in vm_ops.list(RG, "vmss1")}
    assert latest == {"0": True, "1": True, "2": True}

    vmss_ops.begin_update(RG, "vmss1", {"sku": {"capacity": 2}}).result()
    assert [v.instance_id for v in vm_ops.list(RG, "vmss1")] == ["0", "1"]

    # Run commands: create 201 -> Succeeded, update 200, instance view on $expand.
    rc = rc_ops.begin_create_or_update(RG, "vmss1", "0", "hello", run_command_body()).result()
    assert rc.properties.provisioning_state == "Succeeded"
    rc = rc_ops.begin_create_or_update(RG, "vmss1", "0", "hello",
                                       run_command_body(script="echo again")).result()
    assert rc.properties.source.script == "echo again"
    rc = rc_ops.get(RG, "vmss1", "0", "hello", expand="instanceView")
    assert rc.properties.instance_view.execution_state == "Succeeded"
    assert_no_secrets(str(rc.as_dict()))

    # Per-instance PUT: the VM model as read, with a change, goes back.
    vm1 = vm_ops.get(RG, "vmss1", "1").as_dict()
    vm1["tags"] = {"role": "canary"}
    result = vm_ops.begin_update(RG, "vmss1", "1", vm1).result()
    assert result.tags == {"role": "canary"} and result.properties.provisioning_state == "Succeeded"

    ips = raw_get(compute, f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/"
                           "virtualMachineScaleSets/vmss1/publicipaddresses?api-version=2017-03-30")["value"]
    assert sorted(ip["id"].split("/virtualMachines/")[1].split("/")[0] for ip in ips) == ["0", "1"]
    assert all(ip["properties"]["ipAddress"] for ip in ips)

    # Refusals: the ARM code, and nothing changed.
    before = vmss_ops.get(RG, "vmss1").as_dict()
    bad = scale_set_body()
    bad["sku"]["capacity"] = "lots"
    refused(lambda: vmss_ops.begin_create_or_update(RG, "vmss1", bad).result(), 400, "InvalidParameter")
    refused(lambda: vmss_ops.begin_update(RG, "vmss1", {"bogus": 1}).result(), 400, "InvalidRequestContent")
    refused(lambda: vmss_ops.begin_update(RG, "vmss1", {"properties": {"virtualMachineProfile": {"storageProfile": {
        "imageReference": {"offer": "Debian"}}}}}).result(), 409, "PropertyChangeNotAllowed")
    two_primary = scale_set_body()
    nics = two_primary["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
    nics.append(copy.deepcopy(nics[0]) | {"name": "nic2"})
    refused(lambda: vmss_ops.begin_create_or_update(RG, "vmss1", two_primary).result(), 400, "InvalidParameter")
    refused(lambda: rc_ops.begin_create_or_update(
        RG, "vmss1", "0", "two-sources", run_command_body(script="echo", commandId="RunShellScript")).result(),
        400, "InvalidParameter")
    after = vmss_ops.get(RG, "vmss1").as_dict()
    assert after == before
    refused(lambda: rc_ops.get(RG, "vmss1", "0", "two-sources"), 404, "ResourceNotFound")

    vmss_ops.begin_delete(RG, "vmss1").result()
    with pytest.raises(ResourceNotFoundError):
        vmss_ops.get(RG, "vmss1")
    resource.resource_groups.begin_delete(RG).result()
    assert not resource.resource_groups.check_existence(RG)


def test_sync_sdk_lifecycle_takes_seconds(server: BackgroundServer) -> None:
    compute, resource = clients(server)
    started = time.monotonic()
    sync_lifecycle(compute, resource)
    assert time.monotonic() - started < 20  # one 30 s default poll sleep would blow this


def test_single_placement_group_never_goes_back_to_true(server: BackgroundServer) -> None:
    compute, resource = clients(server)
    resource.resource_groups.create_or_update(RG, {"location": "westus"})
    make_network(resource)
    vmss_ops = compute.virtual_machine_scale_sets
    vmss_ops.begin_create_or_update(RG, "spg", scale_set_body(capacity=1)).result()
    vmss_ops.begin_update(RG, "spg", {"properties": {"singlePlacementGroup": False}}).result()
    refused(lambda: vmss_ops.begin_update(RG, "spg", {"properties": {"singlePlacementGroup": True}}).result(),
            409, "PropertyChangeNotAllowed")
    assert vmss_ops.get(RG, "spg").properties.single_placement_group is False


def test_zones_are_fixed_at_creation(server: BackgroundServer) -> None:
    compute, resource = clients(server)
    resource.resource_groups.create_or_update(RG, {"location": "westus"})
    make_network(resource)
    vmss_ops = compute.virtual_machine_scale_sets
    vmss_ops.begin_create_or_update(RG, "zoned", scale_set_body(capacity=2) | {"zones": ["1", "2"]}).result()
    assert [vm.zones for vm in compute.virtual_machine_scale_set_vms.list(RG, "zoned")] == [["1"], ["2"]]
    before = vmss_ops.get(RG, "zoned").as_dict()
    moved = scale_set_body(capacity=5) | {"zones": ["3"]}
    refused(lambda: vmss_ops.begin_create_or_update(RG, "zoned", moved).result(), 409, "PropertyChangeNotAllowed")
    assert vmss_ops.get(RG, "zoned").as_dict() == before
    assert len(list(compute.virtual_machine_scale_set_vms.list(RG, "zoned"))) == 2


def test_automatic_mode_applies_model_changes_at_once(server: BackgroundServer) -> None:
    compute, resource = clients(server)
    resource.resource_groups.create_or_update(RG, {"location": "westus"})
    make_network(resource)
    vmss_ops, vm_ops = compute.virtual_machine_scale_sets, compute.virtual_machine_scale_set_vms
    vmss_ops.begin_create_or_update(RG, "auto", scale_set_body(capacity=2, mode="Automatic")).result()
    vmss_ops.begin_update(RG, "auto", {"properties": {"virtualMachineProfile": {
        "storageProfile": {"imageReference": {"version": "18.04.202401161"}}}}}).result()
    vms = list(vm_ops.list(RG, "auto"))
    assert [v.properties.latest_model_applied for v in vms] == [True, True]
    image = vm_ops.get(RG, "auto", "1").properties.storage_profile.image_reference
    assert image.version == "18.04.202401161"


async def test_aio_sdk_lifecycle(server: BackgroundServer) -> None:
    """The same lifecycle through the `aio` clients (their own pollers and transport)."""
    from azure.mgmt.compute.aio import ComputeManagementClient as AioCompute
    from azure.mgmt.resource.resources.aio import ResourceManagementClient as AioResource

    kwargs = {"base_url": server.url, "connection_verify": str(server.ca_path), "retry_total": 0}
    async with AioCompute(AsyncStaticCredential(), SUB, **kwargs) as compute, \
            AioResource(AsyncStaticCredential(), SUB, **kwargs) as resource:
        vmss_ops, vm_ops = compute.virtual_machine_scale_sets, compute.virtual_machine_scale_set_vms
        rc_ops = compute.virtual_machine_scale_set_vm_run_commands

        async def done(poller_coro: Any) -> Any:
            return await (await poller_coro).result()

        async def latest() -> dict[str, bool]:
            return {vm.instance_id: vm.properties.latest_model_applied async for vm in vm_ops.list(RG, "aio")}

        await resource.resource_groups.create_or_update(RG, {"location": "westus"})
        await make_network_aio(resource)
        created = await done(vmss_ops.begin_create_or_update(RG, "aio", scale_set_body()))
        assert created.properties.provisioning_state == "Succeeded"
        assert (await vmss_ops.get(RG, "aio")).sku.capacity == 2
        view = await vmss_ops.get_instance_view(RG, "aio")
        assert view.virtual_machine.statuses_summary[0].count == 2
        assert (await vm_ops.get(RG, "aio", "1")).properties.os_profile.computer_name == "emu000001"
        assert "PowerState/running" in {s.code for s in (await vm_ops.get_instance_view(RG, "aio", "1")).statuses}

        image = {"properties": {"virtualMachineProfile": {"storageProfile": {"imageReference": {"version": "18.04.202208100"}}}}}
        await done(vmss_ops.begin_update(RG, "aio", image))
        assert await latest() == {"0": False, "1": False}
        body = scale_set_body(capacity=3)
        body["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["version"] = "18.04.202208100"
        assert (await done(vmss_ops.begin_create_or_update(RG, "aio", body))).sku.capacity == 3
        await done(vmss_ops.begin_update_instances(RG, "aio", {"instanceIds": ["0"]}))
        await done(vmss_ops.begin_reimage(RG, "aio", {"instanceIds": ["1"]}))
        assert await latest() == {"0": True, "1": True, "2": True}

        await done(rc_ops.begin_create_or_update(RG, "aio", "2", "rc", run_command_body()))
        updated = await done(rc_ops.begin_create_or_update(RG, "aio", "2", "rc", run_command_body(script="ls")))
        assert updated.properties.source.script == "ls"
        got = await rc_ops.get(RG, "aio", "2", "rc", expand="instanceView")
        assert got.properties.instance_view.execution_state == "Succeeded"
        assert_no_secrets(str(got.as_dict()))

        ips = await compute.send_request(HttpRequest("GET", f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
                                                           "Microsoft.Compute/virtualMachineScaleSets/aio/"
                                                           "publicipaddresses?api-version=2017-03-30"))
        assert len(ips.json()["value"]) == 3

        before = (await vmss_ops.get(RG, "aio")).as_dict()
        with pytest.raises(HttpResponseError) as info:
            await done(vmss_ops.begin_update(RG, "aio", {"sku": {"capacity": "three"}}))
        assert (info.value.status_code, info.value.error.code) == (400, "InvalidParameter")
        offer = {"properties": {"virtualMachineProfile": {"storageProfile": {"imageReference": {"offer": "Debian"}}}}}
        with pytest.raises(HttpResponseError) as info:
            await done(vmss_ops.begin_update(RG, "aio", offer))
        assert (info.value.status_code, info.value.error.code) == (409, "PropertyChangeNotAllowed")
        assert (await vmss_ops.get(RG, "aio")).as_dict() == before

        await done(vmss_ops.begin_delete(RG, "aio"))
        with pytest.raises(ResourceNotFoundError):
            await vmss_ops.get(RG, "aio")
        await done(resource.resource_groups.begin_delete(RG))
        assert not await resource.resource_groups.check_existence(RG)


def test_every_lifecycle_answer_passes_the_checker(tls_dir: Path) -> None:
    capture = Capture()
    srv = start(tls_dir, capture, lro_polls=2, strict=True)  # the SDK waits for every operation
    try:
        sync_lifecycle(*clients(srv))
    finally:
        srv.stop()
    assert len(capture.interactions) > 40
    assert_no_secrets("".join(i.response.body or "" for i in capture.interactions if isinstance(i.response.body, str)))
    report = check(capture.interactions)
    assert_no_violations(report)
    assert report.checked > 40


def test_extensions_nics_skus_and_other_actions_through_the_sdk(tls_dir: Path) -> None:
    """The rest of the documented surface a scale set user touches, every answer checked."""
    capture = Capture()
    srv = start(tls_dir, capture)
    try:
        compute, resource = clients(srv)
        resource.resource_groups.create_or_update(RG, {"location": "westus"})
        make_network(resource)
        vmss_ops, vm_ops = compute.virtual_machine_scale_sets, compute.virtual_machine_scale_set_vms
        ext_ops = compute.virtual_machine_scale_set_extensions
        vmss_ops.begin_create_or_update(RG, "more", scale_set_body(capacity=2)).result()

        assert [e.name for e in ext_ops.list(RG, "more")] == ["custom"]
        assert_no_secrets(str(ext_ops.get(RG, "more", "custom").as_dict()))
        health = {"properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                                 "typeHandlerVersion": "1.0", "settings": {"protocol": "tcp", "port": 22}}}
        created = ext_ops.begin_create_or_update(RG, "more", "health", health).result()
        assert created.properties.provisioning_state == "Succeeded"
        assert sorted(e.name for e in ext_ops.list(RG, "more")) == ["custom", "health"]
        assert [v.properties.latest_model_applied for v in vm_ops.list(RG, "more")] == [False, False]
        patched = ext_ops.begin_update(RG, "more", "health", {"properties": {"settings": {"port": 80}}}).result()
        assert patched.properties.settings == {"protocol": "tcp", "port": 80} and patched.properties.type == "ApplicationHealthLinux"
        ext_ops.begin_delete(RG, "more", "health").result()
        with pytest.raises(ResourceNotFoundError):
            ext_ops.get(RG, "more", "health")

        vm_ext_ops = compute.virtual_machine_scale_set_vm_extensions
        assert [e.name for e in vm_ext_ops.list(RG, "more", "0").value] == ["custom"]
        vm_ext = vm_ext_ops.begin_create_or_update(RG, "more", "0", "health", health).result()
        assert vm_ext.properties.provisioning_state == "Succeeded"
        assert sorted(e.name for e in vm_ext_ops.list(RG, "more", "0").value) == ["custom", "health"]
        assert [e.name for e in vm_ext_ops.list(RG, "more", "1").value] == ["custom"]
        vm_ext_ops.begin_delete(RG, "more", "0", "custom").result()
        assert [e.name for e in vm_ext_ops.list(RG, "more", "0").value] == ["health"]
        assert vmss_ops.get(RG, "more").properties.provisioning_state == "Succeeded"

        vmss_ops.begin_reapply(RG, "more").result()
        with pytest.raises(HttpResponseError) as refused:  # no platform maintenance is ever pending here
            vmss_ops.begin_perform_maintenance(RG, "more").result()
        assert refused.value.status_code == 409 and refused.value.error.code == "OperationNotAllowed"
        vm_ops.begin_restart(RG, "more", "1").result()
        assert [s.sku.name for s in vmss_ops.list_skus(RG, "more")] == ["Standard_D1_v2"]
        assert [v.name for v in vmss_ops.list_by_location("westus")] == ["more"]
        assert [v.name for v in vmss_ops.list_all()] == ["more"]

        nics = raw_get(compute, f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/"
                                "virtualMachineScaleSets/more/virtualMachines/1/networkInterfaces?api-version=2018-10-01")
        assert [n["name"] for n in nics["value"]] == ["nic1"]
        ip_config = nics["value"][0]["properties"]["ipConfigurations"][0]["properties"]
        assert ip_config["subnet"]["id"] == SUBNET and ip_config["privateIPAddress"].startswith("10.0.")
        public = raw_get(compute, ip_config["publicIPAddress"]["id"] + "?api-version=2018-10-01")
        assert public["properties"]["ipConfiguration"]["id"].endswith("/virtualMachines/1/networkInterfaces/nic1/"
                                                                     "ipConfigurations/ip1")
    finally:
        srv.stop()
    report = check(capture.interactions)
    assert_no_violations(report)


def test_classic_run_command_returns_its_result_through_the_monitor(tls_dir: Path) -> None:
    capture = Capture()
    srv = start(tls_dir, capture)
    try:
        compute, resource = clients(srv)
        resource.resource_groups.create_or_update(RG, {"location": "westus"})
        make_network(resource)
        compute.virtual_machine_scale_sets.begin_create_or_update(RG, "classic", scale_set_body(capacity=1)).result()
        result = compute.virtual_machine_scale_set_vms.begin_run_command(
            RG, "classic", "0", {"commandId": "RunShellScript", "script": ["uptime"]}).result()
        assert [s.code for s in result.value] == ["ComponentStatus/StdOut/succeeded", "ComponentStatus/StdErr/succeeded"]
        assert result.value[0].message == ""  # nothing ran: the emulator has no guest OS, and says so
        assert "RunShellScript" in result.value[1].message and "not executed" in result.value[1].message
    finally:
        srv.stop()
    report = check(capture.interactions)
    assert_no_violations(report)
