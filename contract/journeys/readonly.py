"""What a run may do against a real subscription without --allow-writes: look, never touch."""
from __future__ import annotations

from contract.arm_client import Answer
from contract.journeys.step import COMPUTE_API, Step, Target


def readonly_steps(target: Target, per_scale_set: int = 3) -> list[Step]:
    """What a read-only run against a real subscription may do: look, never touch. The list
    answer decides what else to read (each scale set's model, instance view and VMs)."""

    def look_closer(answer: Answer) -> list[Step]:
        found = answer.body.get("value", []) if isinstance(answer.body, dict) else []
        names = [v["name"] for v in found if isinstance(v, dict) and isinstance(v.get("name"), str)]
        return [Step(f"{what} {name}", "GET", target.vmss(name, suffix))
                for name in names[:per_scale_set]
                for what, suffix in (("get", ""), ("instance view", "/instanceView"), ("list VMs", "/virtualMachines"))]

    return [
        Step("list in resource group", "GET",
             f"{target.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version={COMPUTE_API}",
             expect=(200, 404), expand=look_closer),
    ]
