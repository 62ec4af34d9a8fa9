"""The same operations answered synchronously, as ARM's RPC allows and the swagger documents.

Sent only to an emulator built with `create_app(synchronous=True)`: every long-running
operation finishes within its request, so PUTs answer 200/201 in a terminal state, DELETEs 200
and actions 200, with no Azure-AsyncOperation to poll. A client must handle both forms (the
swagger lists both); Azure's Compute answers the asynchronous one, which every other journey sees.
"""
from __future__ import annotations

from contract.journeys.bodies import scale_set_body
from contract.journeys.network import network_steps
from contract.journeys.scale_set_actions import CUSTOM_SCRIPT, HEALTH_EXTENSION, actions_body
from contract.journeys.step import RESOURCES_API, Step, Target


def synchronous_steps(target: Target, name: str = "vmss-contract-sync") -> list[Step]:
    t = target
    vm = lambda i, suffix="": t.vmss(name, f"/virtualMachines/{i}{suffix}")  # noqa: E731
    ok = lambda label, verb, body=None: Step(label, "POST", t.vmss(name, "/" + verb), body, (200,), "synchronous")  # noqa: E731
    vm_ok = lambda label, i, verb, body=None: Step(label, "POST", vm(i, "/" + verb), body, (200,), "synchronous")  # noqa: E731
    body = actions_body(t, name)
    body["properties"]["singlePlacementGroup"] = True
    body["sku"]["capacity"] = 3
    rolling = scale_set_body(t, name + "-r", capacity=2)
    rolling["properties"]["upgradePolicy"] = {"mode": "Rolling"}
    rolling["properties"]["virtualMachineProfile"]["extensionProfile"] = {
        "extensions": [{"name": "health", "properties": dict(HEALTH_EXTENSION)}]}
    disk = f"{t.rg_path}/providers/Microsoft.Compute/disks/{name}-data"
    run_command = {"location": t.location, "properties": {"source": {"script": "echo hello"}}}
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        *network_steps(t),
        Step("create (finished: 201, Succeeded)", "PUT", t.vmss(name), body, (201,), "synchronous"),
        Step("update (PATCH, finished)", "PATCH", t.vmss(name), {"tags": {"answer": "synchronous"}}, (200,), "synchronous"),
        ok("power off", "poweroff"),
        ok("start", "start"),
        ok("restart", "restart"),
        ok("deallocate", "deallocate"),
        ok("start after deallocate", "start"),
        ok("redeploy", "redeploy"),
        ok("reimage", "reimage"),
        ok("reimage all", "reimageall"),
        ok("reapply", "reapply"),
        ok("manual upgrade", "manualupgrade", {"instanceIds": ["0"]}),
        ok("suspend automatic repairs", "setOrchestrationServiceState",
           {"serviceName": "AutomaticRepairs", "action": "Suspend"}),
        vm_ok("VM power off", 0, "poweroff"),
        vm_ok("VM start", 0, "start"),
        vm_ok("VM restart", 0, "restart"),
        vm_ok("VM deallocate", 0, "deallocate"),
        vm_ok("VM start after deallocate", 0, "start"),
        vm_ok("VM redeploy", 0, "redeploy"),
        vm_ok("VM reimage", 0, "reimage"),
        vm_ok("VM reimage all", 0, "reimageall"),
        vm_ok("VM run command (classic: the result in the answer)", 0, "runCommand",
              {"commandId": "RunShellScript", "script": ["echo hello"]}),
        vm_ok("VM attach a data disk", 0, "attachDetachDataDisks",
              {"dataDisksToAttach": [{"diskId": disk, "lun": 1}]}),
        Step("VM update (PUT, finished)", "PUT", vm(0), {"location": t.location, "properties": {}}, (200,), "synchronous"),
        Step("extension create", "PUT", t.vmss(name, "/extensions/script"), {"properties": CUSTOM_SCRIPT}, (201,), "synchronous"),
        Step("extension replace", "PUT", t.vmss(name, "/extensions/script"), {"properties": CUSTOM_SCRIPT}, (200,), "synchronous"),
        Step("extension update", "PATCH", t.vmss(name, "/extensions/script"),
             {"properties": {"settings": {"commandToExecute": "echo again"}}}, (200,), "synchronous"),
        Step("extension delete", "DELETE", t.vmss(name, "/extensions/script"), expect=(200,), group="synchronous"),
        Step("VM extension create", "PUT", vm(0, "/extensions/script"), {"location": t.location, "properties": CUSTOM_SCRIPT},
             (201,), "synchronous"),
        Step("VM extension replace", "PUT", vm(0, "/extensions/script"), {"location": t.location, "properties": CUSTOM_SCRIPT},
             (200,), "synchronous"),
        Step("VM extension update", "PATCH", vm(0, "/extensions/script"),
             {"properties": {"settings": {"commandToExecute": "echo again"}}}, (200,), "synchronous"),
        Step("VM extension delete", "DELETE", vm(0, "/extensions/script"), expect=(200,), group="synchronous"),
        Step("run command create", "PUT", vm(0, "/runCommands/hello"), run_command, (201,), "synchronous"),
        Step("run command delete", "DELETE", vm(0, "/runCommands/hello"), expect=(200,), group="synchronous"),
        ok("scale in (delete instance 2)", "delete", {"instanceIds": ["2"]}),
        Step("VM delete", "DELETE", vm(1), expect=(200,), group="synchronous"),
        Step("get (every answer was final)", "GET", t.vmss(name), group="synchronous"),
        Step("delete", "DELETE", t.vmss(name), expect=(200,), group="synchronous"),
        Step("get after delete", "GET", t.vmss(name), expect=(404,), group="synchronous"),
        # rolling upgrades, finished before the answer
        Step("rolling scale set create", "PUT", t.vmss(name + "-r"), rolling, (201,), "synchronous"),
        Step("OS rolling upgrade", "POST", t.vmss(name + "-r", "/osRollingUpgrade"), None, (200,), "synchronous"),
        Step("extension rolling upgrade", "POST", t.vmss(name + "-r", "/extensionRollingUpgrade"), None, (200,), "synchronous"),
        Step("cancel (nothing left to cancel)", "POST", t.vmss(name + "-r", "/rollingUpgrades/cancel"), None, (200,), "synchronous"),
        Step("latest rolling upgrade", "GET", t.vmss(name + "-r", "/rollingUpgrades/latest"), group="synchronous"),
        Step("rolling scale set delete", "DELETE", t.vmss(name + "-r"), expect=(200,), group="synchronous"),
    ]
