"""The directory the emulator stands in for: which principals (service principals of managed
identities) exist, so a role assignment can be refused for a principal that does not.

Azure creates a service principal for every user-assigned identity and for every resource whose
identity includes SystemAssigned, and deletes the latter with the resource. The emulator keeps no
directory of its own: the principals are read off the identities in its store.
"""
from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

from contract.emulator.state import Store, obj

# The tenant every emulated identity belongs to (Azure: the subscription's tenant). A fixed,
# clearly synthetic GUID: a real tenant id in an answer would look like a leak to the sanitizer.
TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://vmss-contract.invalid/tenant"))

IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


def new_principal() -> str:
    return str(uuid.uuid4())


def principal_ids(store: Store) -> Iterator[str]:
    """Every principal the store's identities stand for: scale sets' system-assigned ones, and
    user-assigned identities' (the scale sets first: they are what role assignments usually name)."""
    for vmss in list(store.scale_sets.values()):
        principal = obj(vmss.model.get("identity")).get("principalId")
        if isinstance(principal, str):
            yield principal
    for resource in store.resources(type=IDENTITY_TYPE):
        principal = obj(resource.model.get("properties")).get("principalId")
        if isinstance(principal, str):
            yield principal


def caller(authorization: str | None) -> str | None:
    """The object id (`oid`) of the bearer token's principal, read without verifying the token:
    `az role assignment create --assignee <me>` names the signed-in principal."""
    token = (authorization or "").partition(" ")[2]
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    oid = claims.get("oid") if isinstance(claims, dict) else None
    return oid if isinstance(oid, str) else None


def exists(store: Store, principal_id: str, authorization: str | None = None) -> bool:
    """Whether the directory knows the principal: a managed identity's, or the caller's own."""
    wanted = principal_id.lower()
    if (caller(authorization) or "").lower() == wanted:
        return True
    return any(p.lower() == wanted for p in principal_ids(store))
