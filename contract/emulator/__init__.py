"""A stateful, in-memory VMSS API that answers like ARM (see `routes.create_app`).

Split by idea: `state` (what exists), `lro` (operation-status resources),
`vms` and `runcommands` (how instances look), `contract` (specs + rules as ARM
refusals), `resources` / `scalesets` / `instances` ... (handlers, each module's `HANDLERS` keyed by
operationId), `routes` (dispatch through `Spec.match`, the checker's own lookup).
"""
from __future__ import annotations

from contract.emulator.routes import EMULATOR, create_app

__all__ = ["EMULATOR", "create_app"]
