"""ARM's own resources (Microsoft.Resources): what a client asks first (cloud endpoints, subscriptions,
providers), the run's resource group read every way ARM offers, the generic resource lists, and, on an
emulator only, a second group replaced, patched and deleted as ARM deletes one (202, its Location polled
until done, its resources gone with it): a real run never rewrites the tags of the group it works in."""
from __future__ import annotations

from contract.journeys.step import IDENTITY_API, RESOURCES_API, SUBSCRIPTIONS_API, Step, Target
from contract.journeys.tour import at, local_path, refused

GROUP = "resources"


def resources_journey(target: Target) -> list[Step]:
    t = target
    sub = f"/subscriptions/{t.subscription}"
    missing_group = f"{sub}/resourcegroups/{t.resource_group}-missing"
    vnets = "&$filter=resourceType%20eq%20%27Microsoft.Network%2FvirtualNetworks%27"
    return [
        Step("cloud endpoints", "GET", at("/metadata/endpoints", RESOURCES_API), group=GROUP),
        Step("subscriptions", "GET", at("/subscriptions", SUBSCRIPTIONS_API), group=GROUP),
        Step("subscription", "GET", at(sub, SUBSCRIPTIONS_API), group=GROUP),
        Step("resource providers", "GET", at(f"{sub}/providers", RESOURCES_API), group=GROUP),
        Step("resource provider Microsoft.Compute", "GET", at(f"{sub}/providers/Microsoft.Compute", RESOURCES_API),
             group=GROUP),
        refused("a resource provider that does not exist", "GET", f"{sub}/providers/Microsoft.Nowhere", RESOURCES_API,
                None, 404, "InvalidResourceNamespace", GROUP),
        Step("resource group exists", "HEAD", at(t.rg_path, RESOURCES_API), expect=(204,), group=GROUP),
        Step("resource group that does not exist", "HEAD", at(missing_group, RESOURCES_API), expect=(404,),
             group=GROUP),
        Step("resource group get", "GET", at(t.rg_path, RESOURCES_API), group=GROUP),
        Step("resource groups", "GET", at(f"{sub}/resourcegroups", RESOURCES_API), group=GROUP),
        refused("a resource group that does not exist", "GET", missing_group, RESOURCES_API, None, 404,
                "ResourceGroupNotFound", GROUP),
        Step("resources in the subscription", "GET", at(f"{sub}/resources", RESOURCES_API), group=GROUP),
        Step("virtual networks in the subscription", "GET", at(f"{sub}/resources", RESOURCES_API) + vnets,
             group=GROUP),
        Step("resources in the group", "GET", at(f"{t.rg_path}/resources", RESOURCES_API), group=GROUP),
        Step("virtual networks in the group", "GET", at(f"{t.rg_path}/resources", RESOURCES_API) + vnets,
             group=GROUP),
    ]


def group_deletion_journey(target: Target) -> list[Step]:
    """A second group with a resource in it, deleted: 202 with a Location answering 202 while ARM deletes,
    then 200; what was inside is gone with the group. Emulator only: a real run writes in one group."""
    t = target
    group = f"/subscriptions/{t.subscription}/resourcegroups/{t.resource_group}-doomed"
    identity = f"{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/vmss-contract-doomed"

    def poll_by_hand(answer: object) -> list[Step]:
        location = answer.header("Location")  # type: ignore[attr-defined]
        if not location:
            return []
        return [Step("group deletion still running", "GET", local_path(location), expect=(202,), group=GROUP),
                Step("group deletion done", "GET", local_path(location), expect=(200,), group=GROUP)]

    return [
        Step("another resource group", "PUT", at(group, RESOURCES_API), {"location": t.location}, (201,), GROUP),
        Step("the group PUT again", "PUT", at(group, RESOURCES_API), {"location": t.location, "tags": {"journey": GROUP}},
             (200,), GROUP),
        Step("the group's tags changed (PATCH)", "PATCH", at(group, RESOURCES_API), {"tags": {"journey": "patched"}},
             group=GROUP),
        Step("an identity in it", "PUT", at(identity, IDENTITY_API), {"location": t.location}, (201,), GROUP),
        Step("delete the group", "DELETE", at(group, RESOURCES_API), expect=(202,), group=GROUP, expand=poll_by_hand),
        refused("the deleted group", "GET", group, RESOURCES_API, None, 404, "ResourceGroupNotFound", GROUP),
        refused("what was in the deleted group", "GET", identity, IDENTITY_API, None, 404, "ResourceGroupNotFound",
                GROUP),
        refused("delete the deleted group", "DELETE", group, RESOURCES_API, None, 404, "ResourceGroupNotFound", GROUP),
    ]
