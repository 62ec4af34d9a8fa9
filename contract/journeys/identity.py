"""Identities and who may do what: a user-assigned identity's whole life (Microsoft.ManagedIdentity), and role
assignments to its principal at subscription and resource-group scope with the role definitions they name
(Microsoft.Authorization), including the refusals `references:` in specs/rules.yaml documents."""
from __future__ import annotations

from typing import Any

from contract.arm_client import Answer
from contract.journeys.step import AUTHORIZATION_API, IDENTITY_API, Step, Target
from contract.journeys.tour import at, create, reads, refused, removal

GROUP = "identity"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # built-in roles have the same id in every tenant
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
# Role assignment names are GUIDs the client picks (az: uuid4); fixed here so a run is the same every time.
AT_SUBSCRIPTION = "0b9c6f3e-2a51-4c8e-9f6d-1e7a3b5c9d20"
AT_GROUP = "1c8d7e4f-3b62-4d9f-8a7e-2f8b4c6d0e31"
SAME_AGAIN = "2d9e8f50-4c73-4eaf-9b8f-3a9c5d7e1f42"
REFUSED = "3eaf9061-5d84-4fb0-8c9a-4bad6e8f2053"


def identity_journey(target: Target) -> list[Step]:
    t = target
    identity = f"{t.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/vmss-contract-id"
    body = {"location": t.location, "tags": {"journey": GROUP}}
    return [
        *create("user-assigned identity", identity, body, IDENTITY_API, GROUP),
        *reads("user-assigned identity", identity, IDENTITY_API, GROUP,
               f"{t.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
               f"/subscriptions/{t.subscription}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"),
        Step("user-assigned identity update", "PATCH", at(identity, IDENTITY_API), {"tags": {"journey": "patched"}},
             group=GROUP, expand=lambda answer: _roles_for(t, answer)),
        *roles_without_a_principal(t),
        *removal("user-assigned identity", identity, IDENTITY_API, GROUP, "ResourceNotFound", deleted=(200,)),
    ]


def roles_without_a_principal(t: Target) -> list[Step]:
    """Role definitions (built in, the same everywhere) and the refusals that need no principal of ours."""
    sub = f"/subscriptions/{t.subscription}"
    definitions = f"{sub}/providers/Microsoft.Authorization/roleDefinitions"
    nobody = {"properties": {"roleDefinitionId": f"{definitions}/{READER}",
                             "principalId": "9f0e1d2c-3b4a-4596-8877-66554433aa00"}}
    assignment = f"{t.rg_path}/providers/Microsoft.Authorization/roleAssignments/{REFUSED}"
    return [
        Step("role definitions", "GET", at(definitions, AUTHORIZATION_API), group=GROUP),
        Step("role definitions by name", "GET", at(definitions, AUTHORIZATION_API) + "&$filter=roleName%20eq%20%27Reader%27",
             group=GROUP),
        Step("role definition Reader", "GET", at(f"{definitions}/{READER}", AUTHORIZATION_API), group=GROUP),
        refused("a role definition that does not exist", "GET", f"{definitions}/00000000-0000-0000-0000-00000000beef",
                AUTHORIZATION_API, None, 404, "RoleDefinitionDoesNotExist", GROUP),
        refused("role for a principal the directory does not know", "PUT", assignment, AUTHORIZATION_API, nobody,
                400, "PrincipalNotFound", GROUP),
        refused("a role assignment that does not exist", "GET", assignment, AUTHORIZATION_API, None, 404,
                "RoleAssignmentNotFound", GROUP),
    ]


def _roles_for(t: Target, answer: Answer) -> list[Step]:
    """Role assignments to the identity's principal (known only from its answer): at the subscription and
    at the group, read and listed at each scope, refused twice, then removed."""
    principal = ((answer.body or {}).get("properties") or {}).get("principalId") if isinstance(answer.body, dict) else None
    if not principal:
        return []
    sub = f"/subscriptions/{t.subscription}"
    definitions = f"{sub}/providers/Microsoft.Authorization/roleDefinitions"

    def role(definition: str) -> dict[str, Any]:
        return {"properties": {"roleDefinitionId": f"{definitions}/{definition}", "principalId": principal,
                               "principalType": "ServicePrincipal"}}

    at_sub = f"{sub}/providers/Microsoft.Authorization/roleAssignments/{AT_SUBSCRIPTION}"
    at_group = f"{t.rg_path}/providers/Microsoft.Authorization/roleAssignments/{AT_GROUP}"
    return [
        *create("role at the subscription", at_sub, role(READER), AUTHORIZATION_API, GROUP),
        *reads("role at the subscription", at_sub, AUTHORIZATION_API, GROUP,
               f"{sub}/providers/Microsoft.Authorization/roleAssignments"),
        Step("roles of the principal", "GET", at(f"{sub}/providers/Microsoft.Authorization/roleAssignments",
                                                 AUTHORIZATION_API) + f"&$filter=principalId%20eq%20%27{principal}%27",
             group=GROUP),
        *create("role at the group", at_group, role(CONTRIBUTOR), AUTHORIZATION_API, GROUP, again=False),
        *reads("role at the group", at_group, AUTHORIZATION_API, GROUP,
               f"{t.rg_path}/providers/Microsoft.Authorization/roleAssignments"),
        Step("roles at the group's scope only", "GET", at(f"{t.rg_path}/providers/Microsoft.Authorization/"
                                                          f"roleAssignments", AUTHORIZATION_API)
             + "&$filter=atScope()", group=GROUP),
        refused("the same role, principal and scope under another name", "PUT",
                f"{t.rg_path}/providers/Microsoft.Authorization/roleAssignments/{SAME_AGAIN}", AUTHORIZATION_API,
                role(CONTRIBUTOR), 409, "RoleAssignmentExists", GROUP),
        refused("a role definition that does not exist", "PUT",
                f"{t.rg_path}/providers/Microsoft.Authorization/roleAssignments/{SAME_AGAIN}", AUTHORIZATION_API,
                role("00000000-0000-0000-0000-00000000beef"), 400, "RoleDefinitionDoesNotExist", GROUP),
        *removal("role at the group", at_group, AUTHORIZATION_API, GROUP, "RoleAssignmentNotFound", deleted=(200,)),
        Step("role at the subscription delete", "DELETE", at(at_sub, AUTHORIZATION_API), group=GROUP),
    ]
