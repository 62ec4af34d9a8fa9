"""The six scale set operations the emulator served last, driven by the real azure-mgmt-compute SDK.

ConvertToSinglePlacementGroup, ForceRecoveryServiceFabricPlatformUpdateDomainWalk,
RollingUpgrades_GetLatest, VMs_SimulateEviction, VMs_AttachDetachDataDisks and
VMs_RetrieveBootDiagnosticsData: each answer as the spec says (status, LRO headers, body),
each refusal an ARM CloudError that changes nothing, and every recorded interaction
passes the project's checker.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.core.rest import HttpRequest
from support import Capture, assert_no_violations
from test_emulator_sdk import RG, SUB, clients, make_network, refused, scale_set_body, start

from contract.checker import check
from contract.servers import BackgroundServer

API = "api-version=2024-07-01"
DISK = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/disks/"
SERVICE_FABRIC = {"name": "sf", "properties": {"publisher": "Microsoft.Azure.ServiceFabric",
                                                "type": "ServiceFabricLinuxNode", "typeHandlerVersion": "1.1",
                                                "settings": {"durabilityLevel": "Bronze"}}}
HEALTH = {"name": "health", "properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                                           "typeHandlerVersion": "1.0", "settings": {"protocol": "tcp", "port": 22}}}


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("more-ops-tls")


class World:
    """One emulator (every interaction captured), its SDK client and raw-request helpers."""

    def __init__(self, srv: BackgroundServer, capture: Capture) -> None:
        self.srv, self.capture = srv, capture
        self.compute, resource = clients(srv)
        resource.resource_groups.create_or_update(RG, {"location": "westus"})
        make_network(resource)
        self.vmss, self.vms = self.compute.virtual_machine_scale_sets, self.compute.virtual_machine_scale_set_vms

    def create(self, name: str, body: dict[str, Any]) -> None:
        self.vmss.begin_create_or_update(RG, name, body).result()

    def raw(self, method: str, path: str, body: Any = None, query: str = API) -> Any:
        """A plain HTTP request through the SDK's pipeline (TLS, bearer token); the raw answer."""
        url = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/{path}"
        return self.compute.send_request(HttpRequest(method, f"{url}?{query}", json=body))

    def refused_raw(self, status: int, code: str, method: str, path: str, body: Any = None,
                    query: str = API) -> dict[str, Any]:
        answer = self.raw(method, path, body, query)
        assert answer.status_code == status, answer.text()
        error: dict[str, Any] = answer.json()["error"]
        assert error["code"] == code, error
        assert "Retry-After" not in answer.headers  # azure-core would retry it
        return error


@pytest.fixture
def world(tls_dir: Path) -> Iterator[World]:
    capture = Capture()
    srv = start(tls_dir, capture)
    try:
        world = World(srv, capture)
        yield world
    finally:
        srv.stop()
    # every answer of every test, refusals included, must satisfy the contract
    report = check(capture.interactions)
    assert_no_violations(report)
    assert report.checked >= 10


def with_profile(capacity: int = 2, mode: str = "Manual", **profile: Any) -> dict[str, Any]:
    body = scale_set_body(capacity=capacity, mode=mode)
    body["properties"]["virtualMachineProfile"].update(copy.deepcopy(profile))
    return body


def extensions(*items: dict[str, Any]) -> dict[str, Any]:
    return {"extensions": [copy.deepcopy(e) for e in items]}


# ----------------------------------------------------------------------------- scale set operations

def test_convert_to_single_placement_group_gathers_a_multi_group_set(world: World) -> None:
    body = scale_set_body(capacity=3)
    body["properties"]["singlePlacementGroup"] = False
    world.create("multi", body)
    world.create("single", scale_set_body(capacity=1))
    refused(lambda: world.vmss.convert_to_single_placement_group(RG, "single", {}), 409, "OperationNotAllowed")

    groups = {world.vms.get_instance_view(RG, "multi", i).placement_group_id for i in ("0", "1", "2")}
    assert len(groups) == 1 and None not in groups
    error = world.refused_raw(400, "InvalidParameter", "POST", "multi/convertToSinglePlacementGroup",
                              {"activePlacementGroupId": "00000000-0000-0000-0000-00000000ffff"})
    assert error["target"] == "activePlacementGroupId"
    world.refused_raw(400, "InvalidRequestContent", "POST", "multi/convertToSinglePlacementGroup", ["not", "an", "object"])
    world.refused_raw(404, "ResourceNotFound", "POST", "missing/convertToSinglePlacementGroup", {})
    assert world.vmss.get(RG, "multi").properties.single_placement_group is False  # refusals changed nothing

    assert world.vmss.convert_to_single_placement_group(RG, "multi", {"activePlacementGroupId": groups.pop()}) is None
    converted = world.vmss.get(RG, "multi")
    assert converted.properties.single_placement_group is True
    assert converted.properties.provisioning_state == "Succeeded"
    # now a single group: the capacity ceiling of 100 applies, and converting again is refused
    refused(lambda: world.vmss.begin_update(RG, "multi", {"sku": {"capacity": 101}}).result(), 400, "InvalidParameter")
    refused(lambda: world.vmss.convert_to_single_placement_group(RG, "multi", {}), 409, "OperationNotAllowed")

    # more VMs than one placement group holds: refused, nothing changes
    body = scale_set_body(capacity=101)
    body["properties"]["singlePlacementGroup"] = False
    world.create("large", body)
    assert len({world.vms.get_instance_view(RG, "large", i).placement_group_id for i in ("0", "100")}) == 2
    refused(lambda: world.vmss.convert_to_single_placement_group(RG, "large", {}), 409, "OperationNotAllowed")
    assert world.vmss.get(RG, "large").properties.single_placement_group is False


def test_service_fabric_update_domain_walk(world: World) -> None:
    world.create("fabric", with_profile(capacity=3, extensionProfile=extensions(SERVICE_FABRIC)))
    world.create("plain", scale_set_body(capacity=1))
    walk = world.vmss.force_recovery_service_fabric_platform_update_domain_walk
    first = walk(RG, "fabric", platform_update_domain=0)
    assert first.walk_performed is True and first.next_platform_update_domain == 1
    last = walk(RG, "fabric", platform_update_domain=2)  # instances 0..2 live in update domains 0..2
    assert last.walk_performed is True and last.next_platform_update_domain is None
    empty = walk(RG, "fabric", platform_update_domain=4)
    assert empty.walk_performed is False and empty.next_platform_update_domain is None
    group = world.vms.get_instance_view(RG, "fabric", "1").placement_group_id
    assert walk(RG, "fabric", platform_update_domain=1, placement_group_id=group).next_platform_update_domain == 2

    refused(lambda: walk(RG, "plain", platform_update_domain=0), 409, "OperationNotAllowed")
    error = refused(lambda: walk(RG, "fabric", platform_update_domain=5), 400, "InvalidParameter")
    assert error.error is not None and error.error.target == "platformUpdateDomain"
    assert refused(lambda: walk(RG, "fabric", platform_update_domain=0, zone="1"), 400,
                   "InvalidParameter").error.target == "zone"  # type: ignore[union-attr]
    action = "fabric/forceRecoveryServiceFabricPlatformUpdateDomainWalk"
    world.refused_raw(400, "InvalidParameter", "POST", action)
    world.refused_raw(400, "InvalidParameter", "POST", action, query=f"{API}&platformUpdateDomain=one")


def test_rolling_upgrade_latest_follows_the_upgrade(world: World) -> None:
    world.create("rolling", with_profile(capacity=2, mode="Rolling", extensionProfile=extensions(HEALTH)))
    upgrades = world.compute.virtual_machine_scale_set_rolling_upgrades
    refused(lambda: upgrades.get_latest(RG, "rolling"), 404, "ResourceNotFound")  # none has run yet
    refused(lambda: upgrades.get_latest(RG, "nothere"), 404, "ParentResourceNotFound")

    upgrades.begin_start_os_upgrade(RG, "rolling").result()
    latest = upgrades.get_latest(RG, "rolling")
    assert latest.location == "westus"
    assert latest.properties.running_status.code == "Completed"
    assert latest.properties.running_status.last_action == "Start"
    assert latest.properties.progress.successful_instance_count == 2
    assert latest.properties.policy.max_batch_instance_percent == 20  # ARM's default policy

    # a model change in Rolling mode is a rolling upgrade: rolling forward until its operation ends
    change = {"properties": {"virtualMachineProfile": {"licenseType": "RHEL_BYOS"}}}
    poller = world.vmss.begin_update(RG, "rolling", change, polling=False)  # nobody polls: it keeps running
    running = upgrades.get_latest(RG, "rolling")
    assert running.properties.running_status.code == "RollingForward"
    assert running.properties.progress.in_progress_instance_count == 2
    upgrades.begin_cancel(RG, "rolling").result()
    cancelled = upgrades.get_latest(RG, "rolling").properties.running_status
    assert (cancelled.code, cancelled.last_action) == ("Cancelled", "Cancel")
    assert poller.result().properties.provisioning_state == "Updating"  # the PATCH answer itself
    assert world.vmss.get(RG, "rolling").properties.provisioning_state == "Succeeded"  # cancel ended it


# ----------------------------------------------------------------------------- scale set VM operations

def test_simulate_eviction_deallocates_or_deletes_spot_vms(world: World) -> None:
    spot = {"priority": "Spot", "evictionPolicy": "Deallocate", "billingProfile": {"maxPrice": -1}}
    world.create("spot", with_profile(capacity=2, **spot))
    world.create("spotdel", with_profile(capacity=2, **{**spot, "evictionPolicy": "Delete"}))
    world.create("regular", scale_set_body(capacity=1))

    assert world.vms.simulate_eviction(RG, "spot", "0") is None
    view = world.vms.get_instance_view(RG, "spot", "0")
    assert "PowerState/deallocated" in {s.code for s in view.statuses}
    assert view.placement_group_id is None  # a deallocated VM has no placement group
    assert "PowerState/running" in {s.code for s in world.vms.get_instance_view(RG, "spot", "1").statuses}
    refused(lambda: world.vms.simulate_eviction(RG, "spot", "0"), 409, "OperationNotAllowed")  # already evicted

    world.vms.simulate_eviction(RG, "spotdel", "1")
    assert [v.instance_id for v in world.vms.list(RG, "spotdel")] == ["0"]
    assert world.vmss.get(RG, "spotdel").sku.capacity == 1

    refused(lambda: world.vms.simulate_eviction(RG, "regular", "0"), 409, "OperationNotAllowed")
    assert "PowerState/running" in {s.code for s in world.vms.get_instance_view(RG, "regular", "0").statuses}
    world.refused_raw(404, "ResourceNotFound", "POST", "regular/virtualMachines/7/simulateEviction")
    world.refused_raw(404, "ParentResourceNotFound", "POST", "nothere/virtualMachines/0/simulateEviction")


def test_attach_detach_data_disks_is_a_long_running_change_of_the_vm_model(world: World) -> None:
    world.create("disks", scale_set_body(capacity=2))
    start = world.raw("POST", "disks/virtualmachines/0/attachDetachDataDisks",
                      {"dataDisksToAttach": [{"diskId": DISK + "first", "lun": 3, "caching": "ReadOnly"}]})
    assert start.status_code == 202 and start.text() == ""
    assert start.headers["Location"] == start.headers["Azure-AsyncOperation"] + "&monitor=true"
    assert start.headers["retry-after-ms"] == "1"

    storage = world.vms.begin_attach_detach_data_disks(
        RG, "disks", "0", {"dataDisksToAttach": [{"diskId": DISK + "second"}]}).result()
    assert [(d.lun, d.name, d.create_option) for d in storage.data_disks] == [(0, "second", "Attach"),
                                                                             (3, "first", "Attach")]
    vm = world.vms.get(RG, "disks", "0")
    assert [d.managed_disk.id for d in vm.properties.storage_profile.data_disks] == [DISK + "second", DISK + "first"]
    assert vm.properties.provisioning_state == "Succeeded"
    assert world.vms.get(RG, "disks", "1").properties.storage_profile.data_disks == []

    before = world.vms.get(RG, "disks", "0").as_dict()
    action = "disks/virtualmachines/0/attachDetachDataDisks"
    for body, target in (({}, None),
                         ({"dataDisksToDetach": [{"diskId": DISK + "never"}]}, "dataDisksToDetach[0].diskId"),
                         ({"dataDisksToAttach": [{"diskId": DISK + "third", "lun": 3}]}, "dataDisksToAttach[0].lun"),
                         ({"dataDisksToAttach": [{"diskId": DISK + "first"}]}, "dataDisksToAttach[0].diskId"),
                         ({"dataDisksToAttach": [{"diskId": "not-a-disk-id"}]}, "dataDisksToAttach[0].diskId"),
                         ({"dataDisksToAttach": [{"diskId": DISK + "far", "lun": 64}]}, "dataDisksToAttach[0].lun"),
                         ({"dataDisksToAttach": [{"lun": 1}]}, "dataDisksToAttach[0].diskId"),
                         ({"dataDisksToAttach": [{"diskId": DISK + "ok"}],
                           "dataDisksToDetach": [{"diskId": DISK + "never"}]}, "dataDisksToDetach[0].diskId")):
        error = world.refused_raw(400, "InvalidParameter", "POST", action, body)
        assert error.get("target") == target, (body, error)
    world.refused_raw(400, "InvalidParameter", "POST", action, {"dataDisksToAttach": []})  # minItems 1
    world.refused_raw(400, "InvalidRequestContent", "POST", action, "not an object")
    world.refused_raw(404, "ResourceNotFound", "POST", "disks/virtualmachines/9/attachDetachDataDisks",
                      {"dataDisksToDetach": [{"diskId": DISK + "first"}]})
    assert world.vms.get(RG, "disks", "0").as_dict() == before  # refusals changed nothing

    left = world.vms.begin_attach_detach_data_disks(
        RG, "disks", "0", {"dataDisksToDetach": [{"diskId": DISK + "FIRST"}],
                           "dataDisksToAttach": [{"diskId": DISK + "third", "lun": 3}]}).result()
    assert [(d.lun, d.name) for d in left.data_disks] == [(0, "second"), (3, "third")]

    # the disks are the VM's own: a reimage keeps them; a VM PUT that leaves one out detaches it
    world.vms.begin_reimage(RG, "disks", "0").result()
    vm = world.vms.get(RG, "disks", "0")
    assert [(d.lun, d.name) for d in vm.properties.storage_profile.data_disks] == [(0, "second"), (3, "third")]
    vm.properties.storage_profile.data_disks = vm.properties.storage_profile.data_disks[:1]
    world.vms.begin_update(RG, "disks", "0", vm).result()
    assert [d.name for d in world.vms.get(RG, "disks", "0").properties.storage_profile.data_disks] == ["second"]


def test_retrieve_boot_diagnostics_data_answers_placeholder_sas_uris(world: World) -> None:
    storage_uri = "https://diagaccount.blob.core.windows.net/"
    world.create("diag", with_profile(capacity=1, diagnosticsProfile={
        "bootDiagnostics": {"enabled": True, "storageUri": storage_uri}}))
    world.create("managed", with_profile(capacity=1, diagnosticsProfile={"bootDiagnostics": {"enabled": True}}))
    world.create("nodiag", scale_set_body(capacity=1))

    result = world.vms.retrieve_boot_diagnostics_data(RG, "diag", "0", sas_uri_expiration_time_in_minutes=10)
    assert result.console_screenshot_blob_uri.startswith(storage_uri + "bootdiagnostics-")
    assert ".screenshot.bmp?" in result.console_screenshot_blob_uri
    assert ".serialconsole.log?" in result.serial_console_log_blob_uri
    for uri in (result.console_screenshot_blob_uri, result.serial_console_log_blob_uri):
        assert "sp=r" in uri and "se=" in uri and "sig=EMULATED-NOT-A-SIGNATURE" in uri  # never a real secret
    managed = world.vms.retrieve_boot_diagnostics_data(RG, "managed", "0")
    assert managed.console_screenshot_blob_uri.startswith("https://md-emulator.blob.storage.azure.net/")

    refused(lambda: world.vms.retrieve_boot_diagnostics_data(RG, "nodiag", "0"), 409, "OperationNotAllowed")
    for minutes in (0, 1441):
        error = refused(lambda m=minutes: world.vms.retrieve_boot_diagnostics_data(  # type: ignore[misc]
            RG, "diag", "0", sas_uri_expiration_time_in_minutes=m), 400, "InvalidParameter")
        assert error.error is not None and error.error.target == "sasUriExpirationTimeInMinutes"
    world.refused_raw(400, "InvalidParameter", "POST", "diag/virtualmachines/0/retrieveBootDiagnosticsData",
                      query=f"{API}&sasUriExpirationTimeInMinutes=soon")
    world.refused_raw(404, "ResourceNotFound", "POST", "diag/virtualmachines/5/retrieveBootDiagnosticsData")

