"""Validate and what-if answered synchronously (the 200 their swagger declares beside the 202 + Location), at
resource-group, subscription, management-group and tenant scope, on the emulator built with
`create_app(synchronous=True)` (the synchronous journey sends Compute's and Network's synchronous forms to the same
emulator). ARM may finish a POST before it answers; a client must take both forms."""
from __future__ import annotations

from contract.journeys.step import NETWORK_API, RESOURCES_API, Step, Target
from contract.journeys.tour import at

GROUP = "synchronous-arm"


def synchronous_arm_steps(target: Target) -> list[Step]:
    t = target
    nsg = {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NETWORK_API, "name": "sync-what-if-nsg",
           "location": "[resourceGroup().location]", "properties": {}}
    group_template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                      "contentVersion": "1.0.0.0", "resources": [nsg]}
    subscription_template = {"$schema": "https://schema.management.azure.com/schemas/2018-05-01/"
                                        "subscriptionDeploymentTemplate.json#",
                             "contentVersion": "1.0.0.0", "resources": []}
    group_body = {"properties": {"mode": "Incremental", "template": group_template}}
    scoped_body = {"location": t.location, "properties": {"mode": "Incremental", "template": subscription_template}}
    scopes = (("resource group", t.rg_path, group_body),
              ("subscription", f"/subscriptions/{t.subscription}", scoped_body),
              ("management group", "/providers/Microsoft.Management/managementGroups/vmss-contract-mg", scoped_body),
              ("tenant", "", scoped_body))
    return [
        Step("resource group", "PUT", at(t.rg_path, RESOURCES_API), {"location": t.location}, (200, 201), "setup"),
        *[Step(f"{action} at {label} scope (at once)", "POST",
               at(f"{root}/providers/Microsoft.Resources/deployments/sync-{action}/{action}", RESOURCES_API),
               body, (200,), GROUP)
          for action in ("whatIf", "validate") for label, root, body in scopes],
    ]
