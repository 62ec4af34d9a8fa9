"""The checker reads what a cassette shows about user-assigned identities: a deleted identity must not be
answered again, and a scale set write assigning an identity the traffic showed missing must not be 2xx
(Azure: 400 FailedIdentityOperation); a merge-patch null unassigns and is never judged so."""
from __future__ import annotations

import json
from typing import Any

from contract.cassette import Interaction, Request, Response
from contract.checker import check

HOST = "https://management.azure.com"
UAI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
VMSS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss"


def hit(method: str, path: str, status: int, body: Any = None, api: str = "2023-01-31") -> Interaction:
    text = json.dumps(body) if body is not None else None
    return Interaction(Request(method, f"{HOST}{path}?api-version={api}", text, {}),
                       Response(status, "", {"Content-Type": ["application/json"]}, None if status in (200, 204) and
                                method == "DELETE" else "{}" if status < 300 else
                                json.dumps({"error": {"code": "ResourceNotFound", "message": "gone"}})))


def rules_of(interactions: list[Interaction]) -> list[str]:
    return [v.rule for v in check(interactions).violations if v.rule in ("deleted-resource-answered",
                                                                          "user-assigned-identity-exists")]


def assign(value: Any) -> dict[str, Any]:
    return {"identity": {"type": "UserAssigned", "userAssignedIdentities": {UAI: value}}}


def test_a_deleted_identity_answered_again_is_a_violation() -> None:
    assert rules_of([hit("DELETE", UAI, 200), hit("GET", UAI, 200)]) == ["deleted-resource-answered"]
    assert rules_of([hit("GET", UAI, 404), hit("PUT", UAI, 201), hit("GET", UAI, 200)]) == []


def test_a_scale_set_assigned_a_missing_identity_is_a_violation_unassigning_is_not() -> None:
    gone = hit("GET", UAI, 404)
    assert rules_of([gone, hit("PATCH", VMSS, 200, assign({}), api="2024-07-01")]) == ["user-assigned-identity-exists"]
    assert rules_of([gone, hit("PATCH", VMSS, 200, assign(None), api="2024-07-01")]) == []
    refused = Interaction(Request("PATCH", f"{HOST}{VMSS}?api-version=2024-07-01", json.dumps(assign({})), {}),
                          Response(400, "", {}, json.dumps({"error": {"code": "FailedIdentityOperation", "message": "x"}})))
    assert rules_of([gone, refused]) == []
    assert rules_of([hit("DELETE", "/subscriptions/s/resourceGroups/rg", 200, api="2022-09-01"),
                     hit("PUT", VMSS, 201, assign({}), api="2024-07-01")]) == ["user-assigned-identity-exists"]
