"""The fleet code against the VMSS API: replayed from tests/cassettes, recorded with --vmss-record-mode."""
from __future__ import annotations

from typing import Any

import pytest

import fleet
import fleet.ops

LOCATION = "westus"


def test_deploy_scale_and_teardown(vmss_compute_client: Any, group: str, subnet_id: str) -> None:
    created = fleet.deploy(vmss_compute_client, group, "web", LOCATION, 2, subnet_id)
    assert created.properties.provisioning_state == "Succeeded"
    assert created.sku.capacity == 2

    scaled = fleet.scale(vmss_compute_client, group, "web", 3)
    assert scaled.sku.capacity == 3
    assert len(list(vmss_compute_client.virtual_machine_scale_set_vms.list(group, "web"))) == 3

    fleet.teardown(vmss_compute_client, group, "web")
    names = [s.name for s in vmss_compute_client.virtual_machine_scale_sets.list(group)]
    assert "web" not in names


def test_rollout_brings_every_instance_to_the_latest_model(vmss_compute_client: Any, group: str, subnet_id: str) -> None:
    fleet.deploy(vmss_compute_client, group, "api", LOCATION, 2, subnet_id)
    assert fleet.outdated_instances(vmss_compute_client, group, "api") == []

    fleet.set_image_version(vmss_compute_client, group, "api", "22.04.202411010")
    assert fleet.outdated_instances(vmss_compute_client, group, "api") == ["0", "1"]

    assert fleet.roll_out(vmss_compute_client, group, "api") == ["0", "1"]
    assert fleet.outdated_instances(vmss_compute_client, group, "api") == []


@pytest.mark.vmss(cassette="shared/missing_scale_set.yaml")
def test_missing_scale_set_is_a_clean_404(vmss_compute_client: Any) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ResourceNotFoundError) as caught:
        vmss_compute_client.virtual_machine_scale_sets.get("fleet-rg", "nope")
    assert caught.value.error is not None


@pytest.mark.asyncio
async def test_instance_view_async(vmss_compute_client_aio: Any, group: str, subnet_id: str) -> None:
    poller = await vmss_compute_client_aio.virtual_machine_scale_sets.begin_create_or_update(
        group, "worker", fleet.ops.model(LOCATION, "worker", 1, subnet_id))
    created = await poller.result()
    assert created.properties.provisioning_state == "Succeeded"
    view = await vmss_compute_client_aio.virtual_machine_scale_sets.get_instance_view(group, "worker")
    assert view.virtual_machine.statuses_summary[0].count == 1
