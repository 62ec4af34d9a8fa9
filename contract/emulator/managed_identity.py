"""A scale set's `identity` member, as Azure settles it on every PUT and PATCH.

- `type` is read leniently ("SystemAssigned,UserAssigned" with or without the space, any case)
  and answered in Azure's canonical spelling.
- A user-assigned identity the request adds must exist: Azure answers 400
  FailedIdentityOperation (rules.yaml `user-assigned-identity-exists`).
- ARM's PATCH is a JSON merge patch (RFC 7396): `{"userAssignedIdentities": {"<id>": null}}`
  unassigns that identity; with none left, `UserAssigned` drops out of the type, and a type of
  None (or nothing left) leaves `identity` out of the answer, as Azure does.
- SystemAssigned gets a principal (kept while it stays enabled) and the tenant.
"""
from __future__ import annotations

import copy
from typing import Any

from contract.emulator import identities, principals
from contract.emulator.http import Call, Refused
from contract.emulator.state import JSON, obj
from contract.servers import arm_error

SYSTEM, USER = "SystemAssigned", "UserAssigned"


def parse_type(value: Any) -> set[str]:
    """The identity kinds a `type` names; unknown words are left to the schema check."""
    kinds: set[str] = set()
    for word in str(value or "").split(","):
        word = word.strip().lower()
        if word == "systemassigned":
            kinds.add(SYSTEM)
        elif word == "userassigned":
            kinds.add(USER)
    return kinds


def canonical_type(kinds: set[str]) -> str:
    if kinds == {SYSTEM, USER}:
        return "SystemAssigned, UserAssigned"
    return next(iter(kinds)) if kinds else "None"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _failed(call: Call, owner_id: str, missing: str) -> Refused:
    # The shape real Azure answers (FailedIdentityOperation wrapping MSI's BadRequest "was not found"):
    # Azure/azure-policy#1311 (a VM) and Azure/azure-cli#31837; see rules.yaml user-assigned-identity-exists.
    inner = f'{{"error":{{"code":"BadRequest","message":"Resource \'{missing}\' was not found."}}}}'
    return Refused(arm_error(400, "FailedIdentityOperation",
                             f"Identity operation for resource '{owner_id}' failed with error 'Failed to perform "
                             f"resource identity operation. Status: 'BadRequest'. Response: '{inner}'.'."))


def settle(call: Call, model: JSON, before: JSON | None, owner_id: str) -> None:
    """Rewrite `model["identity"]` as Azure stores it, or raise its refusal (nothing stored yet)."""
    previous = obj((before or {}).get("identity"))
    requested: Any = model.get("identity")
    raw = call.body.get("identity") if isinstance(call.body, dict) else None
    if call.request.method == "PATCH" and "identity" in (call.body or {}):
        requested = merge_patch(previous, raw) if raw is not None else None
    if not isinstance(requested, dict):
        model.pop("identity", None)
        return
    kinds = parse_type(requested.get("type"))
    wanted = {k: v for k, v in obj(requested.get("userAssignedIdentities")).items() if v is not None}
    removed = any(v is None for v in obj(obj(raw).get("userAssignedIdentities")).values())
    if USER in kinds and not wanted:
        if not removed:
            raise Refused(arm_error(400, "MissingIdentityIds",
                                    "The identity ids must not be null or empty for 'UserAssigned' identity type."))
        kinds.discard(USER)  # the last one was unassigned by a merge-patch null
    if not kinds:
        model.pop("identity", None)
        return
    known = {k.lower() for k in obj(previous.get("userAssignedIdentities"))}
    assigned: JSON = {}
    if USER in kinds:
        for resource_id in wanted:
            found = identities.find(call, resource_id)
            if found is None:
                if resource_id.lower() in known:  # deleted after it was assigned: Azure keeps the reference
                    # ("Deleting a user-assigned managed identity won't remove the reference from any resource it
                    # was assigned to", learn.microsoft.com .../how-manage-user-assigned-managed-identities)
                    assigned[resource_id] = copy.deepcopy(obj(previous["userAssignedIdentities"].get(resource_id)))
                    continue
                raise _failed(call, owner_id, resource_id)
            props = obj(found.model.get("properties"))
            assigned[resource_id] = {"principalId": props.get("principalId"), "clientId": props.get("clientId")}
    identity: JSON = {"type": canonical_type(kinds)}
    if SYSTEM in kinds:
        keep = SYSTEM in parse_type(previous.get("type")) and previous.get("principalId")
        identity["principalId"] = keep or principals.new_principal()
        identity["tenantId"] = principals.TENANT_ID
    if assigned:
        identity["userAssignedIdentities"] = assigned
    model["identity"] = identity
