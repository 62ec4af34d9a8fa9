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
def subnet_id(vmss_subscription_id: str) -> str:
    return (f"/subscriptions/{vmss_subscription_id}/resourceGroups/{GROUP}/providers/Microsoft.Network"
            "/virtualNetworks/fleet-vnet/subnets/default")
