"""The network a scale set stands on, made before it (Azure refuses a subnet that does not exist)."""
from __future__ import annotations

from contract.journeys.step import NETWORK_API, Step, Target


def network_steps(target: Target) -> list[Step]:
    """Azure checks that the subnet a scale set names exists (so does the emulator, with
    network_integrity): make it first."""
    vnet = target.subnet_id.rsplit("/subnets/", 1)[0]
    body = {"location": target.location, "properties": {
        "addressSpace": {"addressPrefixes": ["10.42.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.42.0.0/24"}}]}}
    return [Step("virtual network", "PUT", f"{vnet}?api-version={NETWORK_API}", body, (200, 201), "setup", True)]
