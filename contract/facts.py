"""The values ARM defines once (terminal states, provisioning states, upgrade actions, the VM model, placement
group defaults, capacity limits), read from `specs/rules.yaml` so the checker and the emulator cannot disagree.

Every comparison here ignores case, as ARM does ("succeeded" in the documented examples, "manualUpgrade" in paths).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from contract.jsonpath import getter
from contract.specs import SpecError, specs_dir

__all__ = ["Facts", "load_facts"]

_NAMES = ("operation-terminal-states", "provisioning-states", "run-command-terminal-states", "upgrading-actions",
          "vm-model-paths", "single-placement-group-default", "convert-to-single-placement-group")


def _folded(values: Any) -> frozenset[str]:
    return frozenset(str(v).casefold() for v in values)


@dataclass(frozen=True)
class Facts:
    """`raw` is the `facts:` mapping as written (for listings and tests); the rest is ready to use."""

    raw: dict[str, Any]
    terminal: frozenset[str]  # operation status and provisioningState values that never change again
    provisioning: frozenset[str]  # every provisioningState ARM answers (extras per operation in `extras`)
    extras: dict[str, frozenset[str]]
    run_command_terminal: frozenset[str]
    upgrading_actions: frozenset[str]  # action path tails: "manualupgrade", "reimage", "reimageall"
    vm_model_paths: tuple[str, ...]
    spg_default: dict[str, bool]  # orchestrationMode (case-folded) -> singlePlacementGroup when left out
    convert_action: str  # "converttosingleplacementgroup"
    convert_sets: dict[str, Any]  # what the action sets in the model
    capacity_max_single_placement_group: int
    capacity_max: int

    def is_terminal(self, status: Any) -> bool:
        return isinstance(status, str) and status.casefold() in self.terminal

    def is_provisioning_state(self, state: Any, operation_id: str | None = None) -> bool:
        if not isinstance(state, str):
            return False
        folded = state.casefold()
        return folded in self.provisioning or (operation_id is not None and folded in self.extras.get(operation_id, ()))

    def single_placement_group(self, model: Any) -> bool:
        """singlePlacementGroup of a scale set model, its default when it leaves the member out."""
        props = model.get("properties") if isinstance(model, dict) else None
        props = props if isinstance(props, dict) else {}
        value = props.get("singlePlacementGroup")
        if isinstance(value, bool):
            return value
        mode = props.get("orchestrationMode")
        return self.spg_default.get(mode.casefold() if isinstance(mode, str) else "uniform", True)

    def capacity_limit(self, single_placement_group: bool) -> int:
        return self.capacity_max_single_placement_group if single_placement_group else self.capacity_max

    def model_changed(self, before: Any, after: Any) -> bool:
        """Did the VM model change between two scale set models (a change VMs must be upgraded to)?"""
        return any(get(before) != get(after) for get in self._model_getters)

    def vm_model(self, model: Any) -> list[Any]:
        """The parts of a scale set model its VMs take, in `vm_model_paths` order (shared, not copied)."""
        return [get(model) for get in self._model_getters]

    @property
    def _model_getters(self) -> tuple[Any, ...]:
        return _getters(self.vm_model_paths)


@lru_cache(maxsize=8)
def _getters(paths: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getter(p) for p in paths)


_DEFAULT: dict[str, Facts] = {}  # specs_dir() -> its Facts: the default is asked for on hot paths


def load_facts(path: str | os.PathLike[str] | None = None) -> Facts:
    """The `facts:` of `specs/rules.yaml` (cached per file); `path` is the file or its folder."""
    if path is None:
        env = os.environ.get("VMSS_CONTRACT_SPECS", "")
        found = _DEFAULT.get(env)
        if found is None:
            found = _DEFAULT[env] = load_facts(specs_dir())
        return found
    p = Path(path)
    if p.is_dir() or p.suffix not in (".yaml", ".yml"):
        p = p / "rules.yaml"
    return _load(str(p.resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> Facts:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SpecError(f"cannot read facts from {path}: {e}") from None
    facts = (raw or {}).get("facts") if isinstance(raw, dict) else None
    if not isinstance(facts, dict):
        raise SpecError(f"{path} has no 'facts' mapping")
    missing = [n for n in _NAMES if not isinstance(facts.get(n), dict) or "values" not in facts[n]]
    if missing:
        raise SpecError(f"{path}: facts lack {', '.join(missing)}")
    values = {n: facts[n]["values"] for n in _NAMES}
    limit = next((r for r in raw.get("rules") or () if isinstance(r, dict) and r.get("kind") == "capacity-limit"), None)
    if limit is None:
        raise SpecError(f"{path}: no capacity-limit rule to take the capacity limits from")
    convert = values["convert-to-single-placement-group"]
    return Facts(
        raw=facts,
        terminal=_folded(values["operation-terminal-states"]),
        provisioning=_folded(values["provisioning-states"]),
        extras={op: _folded(v) for op, v in (facts["provisioning-states"].get("extras") or {}).items()},
        run_command_terminal=_folded(values["run-command-terminal-states"]),
        upgrading_actions=_folded(values["upgrading-actions"]),
        vm_model_paths=tuple(values["vm-model-paths"]),
        spg_default={str(k).casefold(): bool(v) for k, v in values["single-placement-group-default"].items()},
        convert_action=str(convert["action"]).casefold(),
        convert_sets=dict(convert.get("sets") or {}),
        capacity_max_single_placement_group=int(limit["max_single_placement_group"]),
        capacity_max=int(limit["max"]),
    )
