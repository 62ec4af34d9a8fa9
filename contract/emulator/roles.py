"""Azure's built-in role definitions the emulator knows: the ones scale-set journeys assign.

Names and GUIDs are Azure's own (learn.microsoft.com/azure/role-based-access-control/built-in-roles);
a built-in role has the same GUID in every subscription and the assignable scope "/".
The permissions are abridged to each role's headline actions.
"""
from __future__ import annotations

from dataclasses import dataclass

from contract.emulator.state import JSON

TYPE = "Microsoft.Authorization/roleDefinitions"


@dataclass(frozen=True)
class Role:
    guid: str
    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()


BUILT_IN: tuple[Role, ...] = (
    Role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
         "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.", ("*",)),
    Role("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
         "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC.",
         ("*",), ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                  "Microsoft.Authorization/elevateAccess/Action")),
    Role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", "View all resources, but does not allow you to make any changes.",
         ("*/read",)),
    Role("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
         "Lets you manage user access to Azure resources.", ("*/read", "Microsoft.Authorization/*")),
    Role("9980e02c-c2be-4d73-94e8-173b1dc7cf3c", "Virtual Machine Contributor",
         "Create and manage virtual machines, manage disks, install and run software.",
         ("Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachineScaleSets/*")),
    Role("4d97b98b-1d4f-4787-a291-c67834d212e7", "Network Contributor",
         "Lets you manage networks, but not access to them.", ("Microsoft.Network/*",)),
    Role("f1a07417-d97a-45cb-824c-7a7467783830", "Managed Identity Operator", "Read and Assign User Assigned Identity",
         ("Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
          "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action")),
    Role("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "Storage Blob Data Contributor",
         "Read, write, and delete Azure Storage containers and blobs.",
         ("Microsoft.Storage/storageAccounts/blobServices/containers/*",),
         data_actions=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",)),
    Role("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "Storage Blob Data Reader",
         "Read and list Azure Storage containers and blobs.",
         ("Microsoft.Storage/storageAccounts/blobServices/containers/read",),
         data_actions=("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",)),
    Role("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User", "Read secret contents.", (),
         data_actions=("Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action")),
    Role("7f951dda-4ed3-4680-a7ca-43fe172d538d", "AcrPull", "acr pull", ("Microsoft.ContainerRegistry/registries/pull/read",)),
)


def find(key: str) -> Role | None:
    """A built-in role by GUID or by name (case-insensitive)."""
    key = key.lower()
    return next((r for r in BUILT_IN if key in (r.guid, r.name.lower())), None)


def definition_id(subscription: str | None, guid: str) -> str:
    """Azure names a role definition under the subscription it is read from."""
    prefix = f"/subscriptions/{subscription}" if subscription else ""
    return f"{prefix}/providers/{TYPE}/{guid}"


def view(role: Role, subscription: str | None) -> JSON:
    return {
        "id": definition_id(subscription, role.guid),
        "name": role.guid,
        "type": TYPE,
        "properties": {
            "roleName": role.name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": [{"actions": list(role.actions), "notActions": list(role.not_actions),
                             "dataActions": list(role.data_actions), "notDataActions": []}],
        },
    }
