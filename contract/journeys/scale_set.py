"""The scale set's own journey: create, read, scale, change the model, act, refuse, delete."""
from __future__ import annotations

import json
from typing import Any

from contract.journeys.deployment import deployment_steps
from contract.journeys.bodies import scale_set_body
from contract.journeys.step import COMPUTE_API, PUBLIC_IP_API, RESOURCES_API, Step, Target


def lifecycle_steps(target: Target, name: str = "vmss-contract-1") -> list[Step]:
    """Create, read, scale, change the model, upgrade, reimage, per-VM update, run commands,
    public IPs, refused requests, delete: every documented operation, in an order ARM allows; then
    one scale set created the way `az vmss create` does it, through a template deployment."""
    t, body = target, scale_set_body(target, name, capacity=2, public_ip=True)
    changed = json.loads(json.dumps(body))
    changed["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["version"] = "22.04.202411010"
    vm0 = lambda suffix="", **kw: t.vmss(name, "/virtualMachines/0" + suffix, **kw)  # noqa: E731
    nic = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
    run_command = {"location": t.location, "properties": {"source": {"script": "echo hello"}, "asyncExecution": False}}
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        Step("get before create", "GET", t.vmss(name), expect=(404,)),
        Step("create", "PUT", t.vmss(name), body, (201,), follow=True),
        Step("get", "GET", t.vmss(name)),
        Step("list in resource group", "GET", f"{t.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version={COMPUTE_API}"),
        Step("instance view", "GET", t.vmss(name, "/instanceView")),
        Step("list VMs", "GET", t.vmss(name, "/virtualMachines")),
        Step("VM get", "GET", vm0()),
        Step("VM instance view", "GET", vm0("/instanceView")),
        Step("scale out (PATCH)", "PATCH", t.vmss(name), {"sku": {"capacity": 3}}, follow=True),
        Step("list VMs after scale", "GET", t.vmss(name, "/virtualMachines")),
        Step("model change (PUT)", "PUT", t.vmss(name), changed, (200,), follow=True),
        Step("VMs behind the model", "GET", t.vmss(name, "/virtualMachines")),
        Step("manual upgrade", "POST", t.vmss(name, "/manualupgrade"), {"instanceIds": ["0", "1"]}, (200, 202), follow=True),
        Step("reimage", "POST", t.vmss(name, "/reimage"), {"instanceIds": ["0"]}, (200, 202), follow=True),
        Step("VMs on the new model", "GET", t.vmss(name, "/virtualMachines")),
        Step("VM update (PUT)", "PUT", vm0(), {"location": t.location, "properties": {
            "networkProfileConfiguration": {"networkInterfaceConfigurations": nic}}}, (200, 202), follow=True),
        Step("public IPs", "GET", t.vmss(name, "/publicipaddresses", api=PUBLIC_IP_API)),
        Step("run command create", "PUT", vm0("/runCommands/hello"), run_command, (201,), follow=True),
        Step("run command update", "PUT", vm0("/runCommands/hello"), run_command, (200,), follow=True),
        Step("run command get", "GET", vm0("/runCommands/hello", query="&$expand=instanceView")),
        *more_operations(t, name),
        Step("singlePlacementGroup true->false", "PATCH", t.vmss(name), {"properties": {"singlePlacementGroup": False}}, follow=True),
        Step("refused: singlePlacementGroup false->true", "PATCH", t.vmss(name),
             {"properties": {"singlePlacementGroup": True}}, (400, 409), "refused"),
        Step("refused: image publisher changed", "PATCH", t.vmss(name), {"properties": {"virtualMachineProfile": {
            "storageProfile": {"imageReference": {"publisher": "MicrosoftWindowsServer"}}}}}, (400, 409), "refused"),
        Step("refused: Windows computerNamePrefix of 16", "PUT", t.vmss(name + "-bad"), _windows(body, "p" * 16), (400,), "refused"),
        Step("refused: PATCH of a missing scale set", "PATCH", t.vmss(name + "-missing"), {"sku": {"capacity": 1}}, (404,), "refused"),
        Step("refused: two script sources", "PUT", vm0("/runCommands/bad"), {"location": t.location, "properties": {
            "source": {"script": "echo a", "scriptUri": "https://example.com/a.sh"}}}, (400,), "refused"),
        Step("delete", "DELETE", t.vmss(name), expect=(200, 202, 204), follow=True),
        Step("get after delete", "GET", t.vmss(name), expect=(404,)),
        *deployment_steps(t),
    ]



def more_operations(t: Target, name: str) -> list[Step]:
    """The rest of what the spec documents and ARM offers on a running scale set: listings,
    power actions, per-VM actions, extensions, run-command housekeeping, NICs, scale-in."""
    vm0 = lambda suffix="", **kw: t.vmss(name, "/virtualMachines/0" + suffix, **kw)  # noqa: E731
    sub = f"/subscriptions/{t.subscription}/providers/Microsoft.Compute"
    health = {"properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                             "typeHandlerVersion": "1.0", "autoUpgradeMinorVersion": True,
                             "settings": {"protocol": "tcp", "port": 22}}}
    action = lambda label, verb, body=None: Step(label, "POST", t.vmss(name, "/" + verb), body, (200, 202), follow=True)  # noqa: E731
    vm_action = lambda label, verb: Step(label, "POST", vm0("/" + verb), None, (200, 202), follow=True)  # noqa: E731
    return [
        Step("list in subscription", "GET", f"{sub}/virtualMachineScaleSets?api-version={COMPUTE_API}"),
        Step("list by location", "GET", f"{sub}/locations/{t.location}/virtualMachineScaleSets?api-version={COMPUTE_API}"),
        Step("SKUs", "GET", t.vmss(name, "/skus")),
        Step("OS upgrade history", "GET", t.vmss(name, "/osUpgradeHistory")),
        Step("NICs", "GET", t.vmss(name, "/networkInterfaces", api=PUBLIC_IP_API)),
        Step("VM NICs", "GET", vm0("/networkInterfaces", api=PUBLIC_IP_API)),
        action("power off", "poweroff"),
        action("start", "start"),
        action("restart", "restart"),
        action("deallocate", "deallocate"),
        action("start after deallocate", "start"),
        action("redeploy", "redeploy"),
        action("reimage all", "reimageall"),
        vm_action("VM restart", "restart"),
        vm_action("VM power off", "poweroff"),
        vm_action("VM start", "start"),
        vm_action("VM reimage", "reimage"),
        Step("extension create", "PUT", t.vmss(name, "/extensions/health"), health, (201,), follow=True),
        Step("extension get", "GET", t.vmss(name, "/extensions/health")),
        Step("extension list", "GET", t.vmss(name, "/extensions")),
        Step("extension delete", "DELETE", t.vmss(name, "/extensions/health"), expect=(200, 202, 204), follow=True),
        Step("run command list", "GET", vm0("/runCommands")),
        Step("run command patch", "PATCH", vm0("/runCommands/hello"), {"properties": {"timeoutInSeconds": 120}},
             (200,), follow=True),
        Step("run command delete", "DELETE", vm0("/runCommands/hello"), expect=(200, 202, 204), follow=True),
        action("scale in (delete instance 1)", "delete", {"instanceIds": ["1"]}),
        Step("VMs after scale in", "GET", t.vmss(name, "/virtualMachines")),
        Step("get after scale in", "GET", t.vmss(name)),
    ]


def _windows(body: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The body as a Windows scale set (a catalogue image, windowsConfiguration, a password) with this prefix:
    Windows allows 15 characters, Linux 64 (rules.yaml computer-name-prefix-length; ARM: 400 InvalidParameter)."""
    out = json.loads(json.dumps(body))
    vmp = out["properties"]["virtualMachineProfile"]
    vmp["osProfile"] = {"computerNamePrefix": prefix, "adminUsername": "azureuser",
                        "adminPassword": "Contract#Passw0rd", "windowsConfiguration": {"provisionVMAgent": True}}
    vmp["storageProfile"]["imageReference"] = {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                                               "sku": "2019-Datacenter", "version": "latest"}
    return out


