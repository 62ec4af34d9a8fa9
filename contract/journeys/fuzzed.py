"""Generated create payloads for a run, drawn once so that replay sends the very same bodies."""
from __future__ import annotations

from typing import Any

from contract.journeys.step import COMPUTE_API, Step, Target


def fuzz_steps(target: Target, examples: int, seed: int) -> list[Step]:
    """Generated create payloads, drawn once: valid ones must be created (201) on fresh scale
    sets, then deleted; invalid ones must be refused with the status and code they name."""
    if examples <= 0:
        return []
    operation = "VirtualMachineScaleSets_CreateOrUpdate"
    valid, invalid = _draw_payloads(operation, examples, seed, target)
    steps: list[Step] = []
    for i, payload in enumerate(valid):
        name = f"vmss-fuzz-{i}"
        payload = {**payload, "location": target.location}  # beside its subnet: Azure refuses another region
        steps.append(Step(f"fuzz valid #{i}", "PUT", target.vmss(name), payload, (201,), "fuzz-valid", True))
        steps.append(Step(f"fuzz cleanup #{i}", "DELETE", target.vmss(name), expect=(200, 202, 204), group="cleanup", follow=True))
    for i, bad in enumerate(invalid):
        steps.append(Step(f"fuzz invalid #{i}: {bad.rule} at {bad.path}"[:90], "PUT",
                          target.vmss(f"vmss-fuzz-bad-{i}", api=bad.api_version or COMPUTE_API), bad.payload,
                          (bad.status,), "fuzz-invalid", expect_code=bad.code))
    return steps


def _draw_payloads(operation_id: str, examples: int, seed: int,
                   target: Target | None = None) -> tuple[list[Any], list[Any]]:
    """Draw from `contract.strategies` once, deterministically (seeded, no example database),
    so that recording and replay send the very same bodies. Valid bodies name only the target's
    own subnet (`network_steps` made it), since Azure refuses a reference to anything missing."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    from contract import strategies

    def draw(strategy: Any) -> list[Any]:
        drawn: list[Any] = []

        @hseed(seed)
        # Scale set bodies are big (large_base_example) and slow to generate (too_slow); filter_too_much and
        # data_too_large stay on, as they say a strategy stopped producing data.
        @settings(max_examples=examples, database=None, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
        @given(strategy)
        def collect(value: Any) -> None:
            drawn.append(value)

        collect()
        return drawn[:examples]

    network = None
    if target is not None:
        vnet = target.subnet_id.rsplit("/subnets/", 1)[0].rsplit("/", 1)[1]
        network = strategies.NetworkContext(target.subscription, target.resource_group, vnet, ("default",),
                                            "lb", "agw", "kv")
    valid = draw(strategies.valid_payloads(operation_id, COMPUTE_API, network=network, references=network is None))
    invalid = draw(strategies.invalid_payloads(operation_id, COMPUTE_API))
    return valid, invalid
