"""Platform maintenance a customer runs in its self-service window: only an emulator built with
`scheduled_maintenance` has it pending (instance views show `maintenanceRedeployStatus`), so
PerformMaintenance is accepted once per VM, then refused (nothing pending any more)."""
from __future__ import annotations

from contract.journeys.bodies import scale_set_body
from contract.journeys.network import network_steps
from contract.journeys.step import RESOURCES_API, Step, Target


def maintenance_steps(target: Target, name: str = "vmss-contract-mnt") -> list[Step]:
    t = target
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        *network_steps(t),
        Step("create", "PUT", t.vmss(name), scale_set_body(t, name, capacity=2), (201,), "maintenance", follow=True),
        Step("VM instance view (maintenance pending)", "GET", t.vmss(name, "/virtualMachines/0/instanceView"),
             group="maintenance"),
        Step("VM perform maintenance", "POST", t.vmss(name, "/virtualMachines/0/performMaintenance"), None, (202,),
             "maintenance", follow=True),
        Step("refused: VM maintenance already done", "POST", t.vmss(name, "/virtualMachines/0/performMaintenance"),
             None, (409,), "refused", expect_code="OperationNotAllowed"),
        Step("perform maintenance on the other instance", "POST", t.vmss(name, "/performMaintenance"),
             {"instanceIds": ["1"]}, (202,), "maintenance", follow=True),
        Step("VM instance view (maintenance completed)", "GET", t.vmss(name, "/virtualMachines/1/instanceView"),
             group="maintenance"),
        Step("delete", "DELETE", t.vmss(name), expect=(202,), group="maintenance", follow=True),
    ]
