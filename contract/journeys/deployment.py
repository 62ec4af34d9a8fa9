"""How `az vmss create`, Bicep and the portal make a scale set: a template deployment."""
from __future__ import annotations

from typing import Any

from contract.arm_client import Answer
from contract.journeys.bodies import scale_set_body
from contract.journeys.step import COMPUTE_API, NETWORK_API, RESOURCES_API, Step, Target
from contract.journeys.tour import at, create, refused, removal


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


def deployments_journey(target: Target) -> list[Step]:
    """Every deployment operation at resource-group scope: validate (valid 200, invalid 400 InvalidTemplate),
    what-if (202, its Location polled to the predicted changes),
    deploy (201, followed to its end), read it every way (GET, HEAD, list, export, its operations one by one),
    deploy again under the same name (200); a deployment refused while it runs (409 DeploymentActive), then
    cancelled (204) and not cancelled twice (409); delete (202, its Location polled by hand) and delete again
    (204: nothing to delete)."""
    t = target
    group = "deployments"
    deployments = f"{t.rg_path}/providers/Microsoft.Resources/deployments"
    done, running = f"{deployments}/vmss-contract-nsg", f"{deployments}/vmss-contract-running"
    legacy_ops = f"{t.rg_path}/deployments/vmss-contract-nsg/operations"  # the swagger's path for operations
    resource = {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": NETWORK_API,
                "name": "[parameters('name')]", "location": "[resourceGroup().location]", "properties": {}}
    template = {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}}, "resources": [resource],
                "outputs": {"nsg": {"type": "string", "value": "[resourceId('Microsoft.Network/"
                                                                "networkSecurityGroups', parameters('name'))]"}}}

    def deployment(name: str) -> dict[str, Any]:
        return {"properties": {"mode": "Incremental", "template": template, "parameters": {"name": {"value": name}}}}

    broken = {"properties": {"mode": "Incremental", "template": {
        **template, "resources": [{**resource, "name": "[noSuchFunction('x')]"}]}, "parameters": {"name": {"value": "x"}}}}

    def operation_by_id(answer: Answer) -> list[Step]:
        ops = (answer.body or {}).get("value") if isinstance(answer.body, dict) else None
        op_id = ops[0].get("operationId") if ops and isinstance(ops[0], dict) else None
        return [Step("deployment operation", "GET", at(f"{legacy_ops}/{op_id}", RESOURCES_API), group=group)] if op_id else []

    return [
        Step("validate a template", "POST", at(f"{done}/validate", RESOURCES_API), deployment("vmss-contract-dnsg"),
             (202,), group, follow=True),
        refused("validate a template with an unknown function", "POST", f"{done}/validate", RESOURCES_API, broken,
                400, "InvalidTemplate", group),
        Step("what-if", "POST", at(f"{done}/whatIf", RESOURCES_API), deployment("vmss-contract-dnsg"), (202,), group,
             follow=True),
        Step("deployment that does not exist yet", "HEAD", at(done, RESOURCES_API), expect=(404,), group=group),
        *create("deployment", done, deployment("vmss-contract-dnsg"), RESOURCES_API, group, follow_again=True),
        Step("deployment exists", "HEAD", at(done, RESOURCES_API), expect=(204,), group=group),
        Step("deployment get", "GET", at(done, RESOURCES_API), group=group),
        Step("deployments in the group", "GET", at(f"{deployments}/", RESOURCES_API), group=group),
        Step("deployment template export", "POST", at(f"{done}/exportTemplate", RESOURCES_API), group=group),
        Step("deployment operations", "GET", at(legacy_ops, RESOURCES_API), group=group, expand=operation_by_id),
        Step("deployment still running", "PUT", at(running, RESOURCES_API), deployment("vmss-contract-dnsg2"),
             (201,), group),
        refused("replace a running deployment", "PUT", running, RESOURCES_API, deployment("vmss-contract-dnsg2"),
                409, "DeploymentActive", group),
        refused("delete a running deployment", "DELETE", running, RESOURCES_API, None, 409, "DeploymentActive", group),
        Step("cancel the running deployment", "POST", at(f"{running}/cancel", RESOURCES_API), expect=(204,),
             group=group),
        refused("cancel it again", "POST", f"{running}/cancel", RESOURCES_API, None, 409,
                "DeploymentCannotBeCancelled", group),
        *removal("deployment", done, RESOURCES_API, group, "DeploymentNotFound", by_hand=True),
        Step("delete the cancelled deployment", "DELETE", at(running, RESOURCES_API), expect=(202,), group=group,
             follow=True),
        Step("the deployment's network security group", "DELETE",
             at(f"{t.rg_path}/providers/Microsoft.Network/networkSecurityGroups/vmss-contract-dnsg", NETWORK_API),
             expect=(202,), group=group, follow=True),
    ]


def subscription_deployments_journey(target: Target) -> list[Step]:
    """Deployments at subscription scope, every operation (the template makes a resource group), then the
    management-group and tenant scopes, every operation too (the template makes a nested deployment in the
    subscription; a type the emulator does not serve there is refused naming it)."""
    t = target
    group = "subscription-deployments"
    sub = f"/subscriptions/{t.subscription}"
    deployments = f"{sub}/providers/Microsoft.Resources/deployments"
    done, running = f"{deployments}/vmss-contract-sub", f"{deployments}/vmss-contract-sub-running"
    made_group = f"{t.resource_group}-from-template"
    template = {"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
                "contentVersion": "1.0.0.0", "parameters": {"group": {"type": "string"}},
                "resources": [{"type": "Microsoft.Resources/resourceGroups", "apiVersion": RESOURCES_API,
                               "name": "[parameters('group')]", "location": "[deployment().location]"}],
                "outputs": {"group": {"type": "string", "value": "[parameters('group')]"}}}
    body = {"location": t.location, "properties": {"mode": "Incremental", "template": template,
                                                   "parameters": {"group": {"value": made_group}}}}
    broken = {**body, "properties": {**body["properties"], "template": {
        **template, "outputs": {"x": {"type": "string", "value": "[noSuchFunction()]"}}}}}

    def operation_by_id(answer: Answer) -> list[Step]:
        ops = (answer.body or {}).get("value") if isinstance(answer.body, dict) else None
        op_id = ops[0].get("operationId") if ops and isinstance(ops[0], dict) else None
        return [Step("subscription deployment operation", "GET", at(f"{done}/operations/{op_id}", RESOURCES_API),
                     group=group)] if op_id else []

    return [
        Step("subscription deployment validate", "POST", at(f"{done}/validate", RESOURCES_API), body, (202,), group,
             follow=True),
        refused("subscription deployment with an unknown function", "POST", f"{done}/validate", RESOURCES_API, broken,
                400, "InvalidTemplate", group),
        refused("subscription deployment without a location", "PUT", done, RESOURCES_API,
                {"properties": body["properties"]}, 400, "InvalidDeployment", group),
        Step("subscription what-if", "POST", at(f"{done}/whatIf", RESOURCES_API), body, (202,), group, follow=True),
        Step("subscription deployment not there yet", "HEAD", at(done, RESOURCES_API), expect=(404,), group=group),
        *create("subscription deployment", done, body, RESOURCES_API, group, follow_again=True),
        Step("subscription deployment exists", "HEAD", at(done, RESOURCES_API), expect=(204,), group=group),
        Step("subscription deployment get", "GET", at(done, RESOURCES_API), group=group),
        Step("subscription deployments", "GET", at(f"{deployments}/", RESOURCES_API), group=group),
        Step("subscription deployment export", "POST", at(f"{done}/exportTemplate", RESOURCES_API), group=group),
        Step("subscription deployment operations", "GET", at(f"{done}/operations", RESOURCES_API), group=group,
             expand=operation_by_id),
        Step("subscription deployment still running", "PUT", at(running, RESOURCES_API), body, (201,), group),
        Step("cancel it", "POST", at(f"{running}/cancel", RESOURCES_API), expect=(204,), group=group),
        *removal("subscription deployment", done, RESOURCES_API, group, "DeploymentNotFound", by_hand=True),
        Step("delete the cancelled one", "DELETE", at(running, RESOURCES_API), expect=(202,), group=group),
        Step("the group the template made", "DELETE", at(f"{sub}/resourcegroups/{made_group}", RESOURCES_API),
             expect=(202,), group=group),
        *_scoped(group, t),
    ]


def _scoped(group: str, t: Target) -> list[Step]:
    """Each management-group and tenant scope deployment operation, served as at subscription scope: validate,
    what-if, an unsupported resource type refused naming it, create (201, polled; 200 again) with a template whose one
    resource is a nested deployment into the subscription, exists, get, list, export, operations, a running one
    cancelled, delete (202, polled by hand), delete again (204), get 404."""
    steps: list[Step] = []
    inner = {"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
             "contentVersion": "1.0.0.0", "resources": []}
    for scope, root, where, short in (
            ("management group", "/providers/Microsoft.Management/managementGroups/vmss-contract-mg",
             "[managementGroup().name]", "mg"),
            ("tenant", "", "[tenant().tenantId]", "tenant")):
        base = f"{root}/providers/Microsoft.Resources/deployments"
        one, running = f"{base}/vmss-contract-{short}", f"{base}/vmss-contract-{short}-running"
        template = {"$schema": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
                    "contentVersion": "1.0.0.0",
                    "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": RESOURCES_API,
                                   "name": f"vmss-contract-from-{short}", "subscriptionId": t.subscription,
                                   "location": "[deployment().location]",
                                   "properties": {"mode": "Incremental", "template": inner}}],
                    "outputs": {"where": {"type": "string", "value": where}}}
        body = {"location": t.location, "properties": {"mode": "Incremental", "template": template}}
        policy = {**body, "properties": {**body["properties"], "template": {**template, "resources": [
            {"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": "2021-06-01",
             "name": "vmss-contract-policy", "properties": {"policyRule": {}}}]}}}

        def operation_by_id(answer: Answer, one: str = one, scope: str = scope) -> list[Step]:
            ops = (answer.body or {}).get("value") if isinstance(answer.body, dict) else None
            op_id = ops[0].get("operationId") if ops and isinstance(ops[0], dict) else None
            return [Step(f"{scope} deployment operation", "GET", at(f"{one}/operations/{op_id}", RESOURCES_API),
                         group=group)] if op_id else []

        steps += [
            Step(f"{scope} deployment validate", "POST", at(f"{one}/validate", RESOURCES_API), body, (202,), group,
                 follow=True),
            refused(f"{scope} deployment of a type the emulator does not serve there", "POST", f"{one}/validate",
                    RESOURCES_API, policy, 400, "InvalidTemplateDeployment", group),
            Step(f"{scope} what-if", "POST", at(f"{one}/whatIf", RESOURCES_API), body, (202,), group, follow=True),
            Step(f"{scope} deployment not there yet", "HEAD", at(one, RESOURCES_API), expect=(404,), group=group),
            *create(f"{scope} deployment", one, body, RESOURCES_API, group, follow_again=True),
            Step(f"{scope} deployment exists", "HEAD", at(one, RESOURCES_API), expect=(204,), group=group),
            Step(f"{scope} deployment get", "GET", at(one, RESOURCES_API), group=group),
            Step(f"{scope} deployments", "GET", at(f"{base}/", RESOURCES_API), group=group),
            Step(f"{scope} deployment export", "POST", at(f"{one}/exportTemplate", RESOURCES_API), group=group),
            Step(f"{scope} deployment operations", "GET", at(f"{one}/operations", RESOURCES_API), group=group,
                 expand=operation_by_id),
            Step(f"{scope} deployment still running", "PUT", at(running, RESOURCES_API), body, (201,), group),
            Step(f"cancel the {scope} one", "POST", at(f"{running}/cancel", RESOURCES_API), expect=(204,), group=group),
            *removal(f"{scope} deployment", one, RESOURCES_API, group, "DeploymentNotFound", by_hand=True),
            Step(f"delete the cancelled {scope} one", "DELETE", at(running, RESOURCES_API), expect=(202,), group=group),
            Step(f"the {scope} deployment's nested one", "DELETE",
                 at(f"/subscriptions/{t.subscription}/providers/Microsoft.Resources/deployments/vmss-contract-from-{short}",
                    RESOURCES_API), expect=(202,), group=group),
        ]
    return steps
