"""What `vmss-contract run` sends: journeys of `Step`s, one cassette each.

Each module builds the steps of one journey (the scale set's own, its network, its
deployment, generated payloads, a read-only look); `plan()` puts them in the order a
run sends them. A journey is plain data, fixed before recording starts, so the replay
phase sends exactly what was recorded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract.journeys.deployment import deployment_steps, deployments_journey, subscription_deployments_journey
from contract.journeys.identity import identity_journey
from contract.journeys.synchronous_arm import synchronous_arm_steps
from contract.journeys.resources import group_deletion_journey, resources_journey
from contract.journeys.fuzzed import fuzz_steps
from contract.journeys.network import network_journey, network_steps
from contract.journeys.readonly import readonly_steps
from contract.journeys.bodies import scale_set_body
from contract.journeys.scale_set import lifecycle_steps, more_operations
from contract.journeys.scale_set_actions import actions_steps
from contract.journeys.synchronous import synchronous_steps
from contract.journeys.maintenance import maintenance_steps
from contract.journeys.upgrades import upgrades_steps
from contract.journeys.catalog import catalog_steps, flexible_steps
from contract.journeys.refusals import refusal_steps
from contract.journeys.step import Step, Target

__all__ = [
    "Journey", "Step", "Target", "deployment_steps", "fuzz_steps", "lifecycle_steps", "more_operations",
    "network_steps", "plan", "readonly_steps", "scale_set_body",
]


@dataclass
class Journey:
    """A named list of steps recorded into its own cassette.

    `emulator`: keyword arguments for a dedicated embedded emulator (e.g. one that answers
    synchronously); empty means the run's shared emulator, whose state earlier journeys built.
    `local_only`: only sent to an embedded emulator, never to a real upstream.
    """

    name: str
    steps: list[Step]
    emulator: dict[str, Any] = field(default_factory=dict)
    local_only: bool = False


def plan(target: Target, local: bool, allow_writes: bool, examples: int, seed: int) -> list[Journey]:
    """The journeys of a run in the order they are sent."""
    if not local and not allow_writes:
        return [Journey("readonly", readonly_steps(target))]
    lifecycle = lifecycle_steps(target)
    lifecycle[1:1] = network_steps(target)  # right after the resource group: Azure wants the subnet first
    journeys = [Journey("lifecycle", lifecycle)]
    # local only: it attaches a managed disk the contract has no operation to create (Azure refuses a missing one)
    journeys.append(Journey("scale-set-actions", actions_steps(target), local_only=True))
    journeys.append(Journey("synchronous", synchronous_steps(target), local_only=True,
                            emulator={"synchronous": True, "scheduled_maintenance": True}))
    journeys.append(Journey("maintenance", maintenance_steps(target), emulator={"scheduled_maintenance": True},
                            local_only=True))
    journeys.append(Journey("upgrades", upgrades_steps(target), local_only=True))  # its Service Fabric node needs a cluster
    journeys.append(Journey("catalog", catalog_steps(target)))
    journeys.append(Journey("flexible", flexible_steps(target)))
    journeys.append(Journey("refusals", refusal_steps(target)))
    journeys.append(Journey("network", network_journey(target), local_only=True))  # an application gateway costs money
    journeys.append(Journey("identity", identity_journey(target), local_only=True))  # writes at subscription scope
    journeys.append(Journey("resources", resources_journey(target)))
    journeys.append(Journey("deployments", deployments_journey(target)))
    journeys.append(Journey("subscription-deployments", subscription_deployments_journey(target), local_only=True))
    journeys.append(Journey("synchronous-arm", synchronous_arm_steps(target), emulator={"synchronous": True}, local_only=True))
    journeys.append(Journey("group-deletion", group_deletion_journey(target), local_only=True))
    fuzz = fuzz_steps(target, examples, seed)
    if fuzz:
        journeys.append(Journey("fuzz", fuzz))
    return [j for j in journeys if local or not j.local_only]
