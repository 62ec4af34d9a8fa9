"""Valid payloads: request bodies the schema and every rule accept, built around one scenario."""
from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from contract.strategies.bits import Bits
from contract.strategies.network import NetworkContext
from contract.strategies.paths import delete, get, has, parse_path, put
from contract.strategies.scenario import Scenario, draw_scenario, scenario_from_model, spec_vm_sizes
from contract.strategies.values import ZONAL_LOCATIONS
from contract.strategies.walker import Walker


def contract(spec: Any, rules: Any) -> tuple[Any, Any]:
    """The given spec and rules, or the project's own when None."""
    if spec is None:
        from contract.specs import load_spec

        spec = load_spec()
    if rules is None:
        from contract.rules import load_rules

        rules = load_rules()
    return spec, rules


def latest_version(spec: Any, operation_id: str) -> str | None:
    versions = spec.operations[operation_id].api_versions
    return versions[-1] if versions else None


def _pin_to_current(body: dict[str, Any], current: dict[str, Any], violations: list[Any]) -> bool:
    """Undo what a transition rule refuses: put back (or drop) the value at each target.

    Driven by the rules' own verdicts, so this module never lists the immutable fields.
    Returns False when a violation has no target to repair.
    """
    for v in violations:
        keys = parse_path(v.target)
        if not keys or not has(body, keys):
            return False
        if has(current, keys):
            put(body, keys, copy.deepcopy(get(current, keys)))
        else:
            delete(body, keys)
    return True


def valid_payloads(
    operation_id: str,
    api_version: str | None = None,
    *,
    current: dict[str, Any] | None = None,
    instance_ids: Iterable[str] | None = None,
    network: NetworkContext | None = None,
    references: bool = True,
    location: str | None = None,
    optional_rate: int = 50,
    spec: Any = None,
    rules: Any = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Request bodies for `operation_id` that the schema and every rule accept, with real-world values.

    `current` is the scale set's model as a GET returns it: updates are then drawn in its
    scenario (same region, image, network) and never touch what the rules fix after creation.
    `instance_ids` are the VMs that exist (for manualupgrade, reimage ...). Against real
    Azure pass the `network` that exists and `references=False` (no pools, NSG or vault
    the subscription lacks), so every payload points only at real resources. `location` puts a
    new scale set in that region (beside its network: Azure refuses a subnet in another region).
    """
    spec, rules = contract(spec, rules)
    if operation_id not in spec.operations:
        raise KeyError(f"unknown operation {operation_id!r}; known: {', '.join(sorted(spec.operations))}")
    version = api_version or latest_version(spec, operation_id)
    schema = spec.request_schema(operation_id)
    walker = Walker(schema, optional_rate=optional_rate, create=spec.operations[operation_id].method == "PUT")
    ids = tuple(str(i) for i in instance_ids) if instance_ids is not None else None
    sizes = spec_vm_sizes(spec)

    def scenario(draw: st.DrawFn) -> Scenario:
        scen = scenario_from_model(current) if current is not None else draw_scenario(draw, sizes)
        if ids:
            scen = replace(scen, instance_ids=ids)
        if network is not None and current is None:
            scen = replace(scen, network=network)
        if location is not None and current is None:
            region = location.replace(" ", "").lower()
            scen = replace(scen, location=region, zonal=scen.zonal and region in ZONAL_LOCATIONS)
        if not references:
            scen = replace(scen, references=False)
        return scen

    @st.composite
    def build(real_draw: st.DrawFn) -> dict[str, Any] | None:
        draw = Bits(real_draw)
        scen = scenario(draw)
        body = walker.fill(draw, schema, ("$",), scen)
        if current is not None:
            for _ in range(4):
                found = rules.check_request(operation_id, body, version, current=current)
                if not found or not _pin_to_current(body, current, found):
                    break
        if spec.validate_request(operation_id, body, version):
            return None
        if rules.check_request(operation_id, body, version, current=current):
            return None
        return body

    return build().filter(lambda b: b is not None)
