"""Deploy, scale and roll out a scale set with the Azure SDK, the way application code would."""
from __future__ import annotations

from typing import Any

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2m2f0XHwKXs1N0Ov1sZ0rB3vZ3n9m2o0g5n8yJ6wK fleet"


def model(location: str, name: str, capacity: int, subnet_id: str, image_version: str = "latest") -> dict[str, Any]:
    """A Linux scale set in Manual upgrade mode: rollouts are ours to drive."""
    return {
        "location": location,
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": capacity},
        "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "overprovision": False,
            "virtualMachineProfile": {
                "osProfile": {
                    "computerNamePrefix": name[:9],
                    "adminUsername": "fleet",
                    "linuxConfiguration": {
                        "disablePasswordAuthentication": True,
                        "ssh": {"publicKeys": [{"path": "/home/fleet/.ssh/authorized_keys", "keyData": SSH_KEY}]},
                    },
                },
                "storageProfile": {
                    "imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                       "sku": "22_04-lts-gen2", "version": image_version},
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                               "managedDisk": {"storageAccountType": "Standard_LRS"}},
                },
                "networkProfile": {"networkInterfaceConfigurations": [{
                    "name": f"{name}-nic",
                    "properties": {"primary": True, "ipConfigurations": [
                        {"name": f"{name}-ip", "properties": {"subnet": {"id": subnet_id}, "primary": True}}]},
                }]},
            },
        },
    }


def deploy(compute: Any, group: str, name: str, location: str, capacity: int, subnet_id: str) -> Any:
    return compute.virtual_machine_scale_sets.begin_create_or_update(
        group, name, model(location, name, capacity, subnet_id)).result()


def scale(compute: Any, group: str, name: str, capacity: int) -> Any:
    return compute.virtual_machine_scale_sets.begin_update(group, name, {"sku": {"capacity": capacity}}).result()


def set_image_version(compute: Any, group: str, name: str, version: str) -> Any:
    patch = {"properties": {"virtualMachineProfile": {"storageProfile": {"imageReference": {"version": version}}}}}
    return compute.virtual_machine_scale_sets.begin_update(group, name, patch).result()


def outdated_instances(compute: Any, group: str, name: str) -> list[str]:
    """Instance ids still running an older model (Manual mode leaves them behind)."""
    return sorted(vm.instance_id for vm in compute.virtual_machine_scale_set_vms.list(group, name)
                  if not vm.properties.latest_model_applied)


def roll_out(compute: Any, group: str, name: str) -> list[str]:
    """Upgrade every outdated instance; returns the ids it upgraded."""
    ids = outdated_instances(compute, group, name)
    if ids:
        compute.virtual_machine_scale_sets.begin_update_instances(group, name, {"instanceIds": ids}).result()
    return ids


def teardown(compute: Any, group: str, name: str) -> None:
    compute.virtual_machine_scale_sets.begin_delete(group, name).result()
