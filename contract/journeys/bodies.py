"""Request bodies the journeys share: the scale set every journey builds on."""
from __future__ import annotations

from typing import Any

from contract.journeys.step import Target


def scale_set_body(target: Target, name: str, capacity: int = 2, public_ip: bool = False) -> dict[str, Any]:
    """A Linux scale set in Manual upgrade mode, the shape of the documented ssh example."""
    ip_config: dict[str, Any] = {"name": f"{name}-ip", "properties": {"subnet": {"id": target.subnet_id}, "primary": True}}
    if public_ip:
        ip_config["properties"]["publicIPAddressConfiguration"] = {
            "name": f"{name}-pip", "properties": {"idleTimeoutInMinutes": 15}
        }
    return {
        "location": target.location,
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": capacity},
        "properties": {
            "overprovision": False,
            "singlePlacementGroup": True,
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {
                    "computerNamePrefix": name[:9],
                    "adminUsername": "azureuser",
                    "linuxConfiguration": {
                        "disablePasswordAuthentication": True,
                        "ssh": {"publicKeys": [{
                            "path": "/home/azureuser/.ssh/authorized_keys",
                            "keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2m2f0XHwKXs1N0Ov1sZ0rB3vZ3n9m2o0g5n8yJ6wK vmss-contract",
                        }]},
                    },
                },
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                        "sku": "22_04-lts-gen2", "version": "latest",
                    },
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                               "managedDisk": {"storageAccountType": "Standard_LRS"}},
                },
                "networkProfile": {"networkInterfaceConfigurations": [{
                    "name": f"{name}-nic",
                    "properties": {"primary": True, "ipConfigurations": [ip_config]},
                }]},
            },
        },
    }
