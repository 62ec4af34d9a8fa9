"""How `az vmss create`, Bicep and the portal make a scale set: a template deployment."""
from __future__ import annotations

from contract.journeys.bodies import scale_set_body
from contract.journeys.step import COMPUTE_API, RESOURCES_API, Step, Target


def deployment_steps(target: Target, name: str = "vmss-contract-tpl") -> list[Step]:
    """How `az vmss create`, Bicep and the portal create a scale set: an ARM template deployment holding it
    (polled to its end like any long-running operation), then the scale set it made is read and deleted."""
    t, body = target, scale_set_body(target, name, capacity=1)
    resource = {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": COMPUTE_API,
                "name": "[parameters('vmssName')]", "location": "[resourceGroup().location]",
                "sku": {**body["sku"], "capacity": "[parameters('instances')]"}, "properties": body["properties"]}
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"vmssName": {"type": "string"},
                       "instances": {"type": "int", "defaultValue": 1, "minValue": 0, "maxValue": 100}},
        "resources": [resource],
        "outputs": {"vmssId": {"type": "string",
                               "value": "[resourceId('Microsoft.Compute/virtualMachineScaleSets', parameters('vmssName'))]"}},
    }
    deployment = {"properties": {"mode": "Incremental", "template": template,
                                 "parameters": {"vmssName": {"value": name}}}}
    path = f"{t.rg_path}/providers/Microsoft.Resources/deployments/{name}-deploy"
    return [
        Step("template deployment", "PUT", f"{path}?api-version={RESOURCES_API}", deployment, (201,), follow=True),
        Step("template deployment get", "GET", f"{path}?api-version={RESOURCES_API}"),
        Step("template deployment operations", "GET",
             f"{t.rg_path}/deployments/{name}-deploy/operations?api-version={RESOURCES_API}"),
        Step("scale set from the template", "GET", t.vmss(name)),
        Step("delete the template's scale set", "DELETE", t.vmss(name), expect=(200, 202, 204), follow=True),
    ]
