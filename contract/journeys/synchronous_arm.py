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
    return [
        Step("resource group", "PUT", at(t.rg_path, RESOURCES_API), {"location": t.location}, (200, 201), "setup"),
        Step("what-if (the prediction at once)", "POST",
             at(f"{t.rg_path}/providers/Microsoft.Resources/deployments/sync-what-if/whatIf", RESOURCES_API),
             {"properties": {"mode": "Incremental", "template": group_template}}, (200,), GROUP),
        Step("what-if at subscription scope (at once)", "POST",
             at(f"/subscriptions/{t.subscription}/providers/Microsoft.Resources/deployments/sync-what-if/whatIf",
                RESOURCES_API),
             {"location": t.location, "properties": {"mode": "Incremental", "template": subscription_template}},
             (200,), GROUP),
        Step("validate (the result at once)", "POST",
             at(f"{t.rg_path}/providers/Microsoft.Resources/deployments/sync-validate/validate", RESOURCES_API),
             {"properties": {"mode": "Incremental", "template": group_template}}, (200,), GROUP),
        Step("validate at subscription scope (at once)", "POST",
             at(f"/subscriptions/{t.subscription}/providers/Microsoft.Resources/deployments/sync-validate/validate",
                RESOURCES_API),
             {"location": t.location, "properties": {"mode": "Incremental", "template": subscription_template}},
             (200,), GROUP),
        *[Step(f"{action} at {label} scope (at once)", "POST",
               at(f"{root}/providers/Microsoft.Resources/deployments/sync-{action}/{action}", RESOURCES_API),
               {"location": t.location, "properties": {"mode": "Incremental", "template": subscription_template}},
               (200,), GROUP)
          for label, root in (("management group", "/providers/Microsoft.Management/managementGroups/vmss-contract-mg"),
                              ("tenant", ""))
          for action in ("whatIf", "validate")],
    ]
