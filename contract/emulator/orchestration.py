"""Orchestration services of a scale set (today Azure has one: AutomaticRepairs).

The service runs when the scale set's `automaticRepairsPolicy.enabled` is true, and
SetOrchestrationServiceState suspends or resumes it; the scale set instance view reports it
under `orchestrationServices` (the documented GetInstanceView example shows
`{"serviceName": "AutomaticRepairs", "serviceState": "NotRunning"}`). A set without the policy
has no entry, as the recorded instance views (test_vmss_create_and_modify.yaml) show.
"""
from __future__ import annotations

from typing import Any

from contract.emulator.http import Refused
from contract.emulator.state import JSON, ScaleSet, obj
from contract.servers import arm_error

AUTOMATIC_REPAIRS = "AutomaticRepairs"
_ACTIONS = {"resume": "Resume", "suspend": "Suspend"}


def _policy(vmss: ScaleSet) -> JSON | None:
    policy = vmss.properties.get("automaticRepairsPolicy")
    return policy if isinstance(policy, dict) else None


def services(vmss: ScaleSet) -> list[JSON] | None:
    """`orchestrationServices` of the instance view, or None when the set has no repairs policy."""
    policy = _policy(vmss)
    if policy is None:
        return None
    if policy.get("enabled") is not True:
        state = "NotRunning"
    else:
        state = "Suspended" if AUTOMATIC_REPAIRS in vmss.suspended_services else "Running"
    return [{"serviceName": AUTOMATIC_REPAIRS, "serviceState": state}]


def set_state(vmss: ScaleSet, body: Any) -> None:
    """Apply SetOrchestrationServiceState, or raise ARM's refusal; changes nothing when refused."""
    body = obj(body)
    name, action = str(body.get("serviceName", "")), str(body.get("action", ""))
    if name.lower() != AUTOMATIC_REPAIRS.lower():
        raise Refused(arm_error(400, "InvalidParameter",
                                f"Orchestration service '{name}' is not known; the only one is '{AUTOMATIC_REPAIRS}'.",
                                target="serviceName"))
    if action.lower() not in _ACTIONS:
        raise Refused(arm_error(400, "InvalidParameter",
                                f"Action '{action}' is not valid; use 'Resume' or 'Suspend'.", target="action"))
    if obj(_policy(vmss)).get("enabled") is not True:
        raise Refused(arm_error(409, "OperationNotAllowed",
                                f"The orchestration service '{AUTOMATIC_REPAIRS}' of scale set '{vmss.name}' cannot be "
                                "suspended or resumed: automaticRepairsPolicy is not enabled on it."))
    if action.lower() == "suspend":
        vmss.suspended_services.add(AUTOMATIC_REPAIRS)
    else:
        vmss.suspended_services.discard(AUTOMATIC_REPAIRS)
