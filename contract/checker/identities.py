"""User-assigned identities, as `checker.existence` tracks them.

A scale set body assigns identities under `identity.userAssignedIdentities` (a merge-patch
null unassigns, and is not an assignment). Azure refuses a missing one with 400
FailedIdentityOperation.
"""
from __future__ import annotations

import re
from typing import Any

from contract.checker.existence import Tracked

_IDENTITY = re.compile(r"^(?:https?://[^/]+)?(?P<id>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                       r"microsoft\.managedidentity/userassignedidentities/[^/?]+)/?(?:\?|$)", re.IGNORECASE)


def identity_id(uri: str) -> str | None:
    m = _IDENTITY.match(uri)
    return m["id"] if m else None


def assigned_identities(body: Any) -> list[str]:
    """The identity ids a scale set body assigns (null values unassign)."""
    identity = body.get("identity") if isinstance(body, dict) else None
    assigned = identity.get("userAssignedIdentities") if isinstance(identity, dict) else None
    if not isinstance(assigned, dict):
        return []
    return [k for k, v in assigned.items() if v is not None]


IDENTITIES = Tracked("/microsoft.managedidentity/", identity_id, assigned_identities,
                     "user-assigned-identity-exists", "400 FailedIdentityOperation", "assigning")
