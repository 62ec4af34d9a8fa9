"""The resource-group client, built from the plugin's endpoint and credential like any ARM client."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

GROUP = "fleet-rg"
LOCATION = "westus"


@pytest.fixture
def resource_client(vmss_endpoint: Any, vmss_credential: Any, vmss_subscription_id: str) -> Iterator[Any]:
    from azure.mgmt.resource.resources import ResourceManagementClient

    client = ResourceManagementClient(vmss_credential, vmss_subscription_id, base_url=vmss_endpoint.url,
                                      connection_verify=vmss_endpoint.connection_verify,
                                      credential_scopes=["https://management.azure.com/.default"])
    yield client
    client.close()


@pytest.fixture
def group(resource_client: Any) -> str:
    resource_client.resource_groups.create_or_update(GROUP, {"location": LOCATION})
    return GROUP


@pytest.fixture
def subnet_id(group: str, vmss_subnet_id: str) -> str:
    """The subnet the fleet's scale sets stand on: the plugin's `vmss_subnet_id` creates virtual network
    `fleet-vnet` (ini `vmss_virtual_network`) in `fleet-rg` (ini `vmss_resource_group`) through the endpoint
    first, because Azure refuses a scale set whose subnet does not exist."""
    return vmss_subnet_id
