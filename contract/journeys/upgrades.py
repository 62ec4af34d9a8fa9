"""Rolling upgrades and the scale sets some actions need: a Rolling set with the application health
extension (Azure requires a health probe or the extension), one whose OS upgrades wait for the user's
approval, a Service Fabric node type, and a Spot set whose VMs can be evicted."""
from __future__ import annotations

import json
from typing import Any

from contract.journeys.bodies import scale_set_body
from contract.journeys.scale_set_actions import HEALTH_EXTENSION
from contract.journeys.step import RESOURCES_API, Step, Target

# The Service Fabric node extension as a Service Fabric cluster template gives it (learn.microsoft.com
# service-fabric-azure-resource-manager-guardrails): publisher Microsoft.Azure.ServiceFabric.
SERVICE_FABRIC_NODE: dict[str, Any] = {
    "publisher": "Microsoft.Azure.ServiceFabric", "type": "ServiceFabricLinuxNode", "typeHandlerVersion": "1.1",
    "autoUpgradeMinorVersion": True,
    "settings": {"clusterEndpoint": "https://westus.servicefabric.azure.com/runtime/clusters/00000000-0000-0000-0000-000000000001",
                 "nodeTypeRef": "nt0", "durabilityLevel": "Silver", "enableParallelJobs": True},
}


def _with_health(body: dict[str, Any], mode: str, **policy: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    out["properties"]["upgradePolicy"] = {"mode": mode, **policy}
    out["properties"]["virtualMachineProfile"]["extensionProfile"] = {
        "extensions": [{"name": "health", "properties": dict(HEALTH_EXTENSION)}]}
    return out


def upgrades_steps(target: Target, name: str = "vmss-contract-up") -> list[Step]:
    t = target
    rolling, deferred, fabric, spot = name, name + "-defer", name + "-sf", name + "-spot"
    deferral = _with_health(scale_set_body(t, deferred, capacity=2), "Rolling", automaticOSUpgradePolicy={
        "enableAutomaticOSUpgrade": True, "osRollingUpgradeDeferral": True})
    sf = scale_set_body(t, fabric, capacity=2)
    sf["properties"]["virtualMachineProfile"]["extensionProfile"] = {
        "extensions": [{"name": "ServiceFabricNode", "properties": SERVICE_FABRIC_NODE}]}
    evictable = scale_set_body(t, spot, capacity=1)
    evictable["properties"]["virtualMachineProfile"].update(
        {"priority": "Spot", "evictionPolicy": "Deallocate", "billingProfile": {"maxPrice": -1}})
    post = lambda label, vmss, verb, body=None: Step(  # noqa: E731
        label, "POST", t.vmss(vmss, "/" + verb), body, (202,), "upgrades", follow=True)
    delete = lambda vmss: Step(f"delete {vmss}", "DELETE", t.vmss(vmss), expect=(202,), group="upgrades", follow=True)  # noqa: E731
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        Step("rolling scale set (health extension)", "PUT", t.vmss(rolling),
             _with_health(scale_set_body(t, rolling, capacity=2), "Rolling"), (201,), "upgrades", follow=True),
        post("OS rolling upgrade", rolling, "osRollingUpgrade"),
        Step("latest rolling upgrade", "GET", t.vmss(rolling, "/rollingUpgrades/latest"), group="upgrades"),
        Step("OS upgrade history", "GET", t.vmss(rolling, "/osUpgradeHistory"), group="upgrades"),
        post("extension rolling upgrade", rolling, "extensionRollingUpgrade"),
        post("cancel the rolling upgrade", rolling, "rollingUpgrades/cancel"),
        Step("latest rolling upgrade after cancel", "GET", t.vmss(rolling, "/rollingUpgrades/latest"), group="upgrades"),
        Step("deferred OS upgrades (user approval)", "PUT", t.vmss(deferred), deferral, (201,), "upgrades", follow=True),
        post("approve the deferred upgrade", deferred, "approveRollingUpgrade", {"instanceIds": ["0"]}),
        Step("approve it on one VM", "POST", t.vmss(deferred, "/virtualMachines/1/approveRollingUpgrade"), None, (202,),
             "upgrades", follow=True),
        Step("Service Fabric node type", "PUT", t.vmss(fabric), sf, (201,), "upgrades", follow=True),
        Step("Service Fabric update domain walk", "POST",
             t.vmss(fabric, "/forceRecoveryServiceFabricPlatformUpdateDomainWalk", query="&platformUpdateDomain=0"),
             None, (200,), "upgrades"),
        Step("Spot scale set", "PUT", t.vmss(spot), evictable, (201,), "upgrades", follow=True),
        Step("simulate the eviction of a Spot VM", "POST", t.vmss(spot, "/virtualMachines/0/simulateEviction"), None,
             (204,), "upgrades"),
        Step("the evicted VM is deallocated", "GET", t.vmss(spot, "/virtualMachines/0/instanceView"), group="upgrades"),
        delete(rolling), delete(deferred), delete(fabric), delete(spot),
    ]
