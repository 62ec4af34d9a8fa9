"""What a running scale set offers beyond the lifecycle: the rest of its actions, per-VM actions and
extensions, disks, boot diagnostics, NICs and public IPs of one VM, run commands the classic way, and
the answers ARM gives when a write meets a running operation (409) or names what is not there (404)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from contract.arm_client import Answer

from contract.journeys.bodies import scale_set_body
from contract.journeys.step import PUBLIC_IP_API, RESOURCES_API, Step, Target

HEALTH_EXTENSION: dict[str, Any] = {
    "publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux", "typeHandlerVersion": "1.0",
    "autoUpgradeMinorVersion": True, "settings": {"protocol": "tcp", "port": 22},
}
CUSTOM_SCRIPT: dict[str, Any] = {
    "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
    "autoUpgradeMinorVersion": True, "settings": {"commandToExecute": "echo hello"},
}


def actions_body(target: Target, name: str) -> dict[str, Any]:
    """A scale set every action applies to: several placement groups (so it can be gathered into one),
    boot diagnostics on (so they can be retrieved), automatic repairs on, which Azure allows only with
    the application health extension (so the repairs service can be suspended)."""
    body = scale_set_body(target, name, capacity=2, public_ip=True)
    props = body["properties"]
    props["singlePlacementGroup"] = False
    props["automaticRepairsPolicy"] = {"enabled": True, "gracePeriod": "PT30M"}
    profile = props["virtualMachineProfile"]
    profile["diagnosticsProfile"] = {"bootDiagnostics": {"enabled": True}}
    profile["extensionProfile"] = {"extensions": [{"name": "health", "properties": dict(HEALTH_EXTENSION)}]}
    return body


def _monitor(answer: Answer) -> list[Step]:
    """The action's Location (monitor) URL read while it runs: 202, no body (ARM RPC: the Location URI
    answers 202 Accepted while the operation is in progress)."""
    location = answer.header("Location")
    if not location:
        return []
    url = urlsplit(location)
    return [Step("its monitor URL while it runs (202)", "GET", f"{url.path}?{url.query}", expect=(202,), group="actions")]


def actions_steps(target: Target, name: str = "vmss-contract-act") -> list[Step]:
    t = target
    vm = lambda i, suffix="", **kw: t.vmss(name, f"/virtualMachines/{i}{suffix}", **kw)  # noqa: E731
    nic, ip, pip = f"{name}-nic", f"{name}-ip", f"{name}-pip"
    action = lambda label, verb, body=None, expect=(202,): Step(  # noqa: E731
        label, "POST", t.vmss(name, "/" + verb), body, expect, "actions", follow=True)
    vm_action = lambda label, i, verb, body=None, expect=(202,): Step(  # noqa: E731
        label, "POST", vm(i, "/" + verb), body, expect, "actions", follow=True)
    disk = f"{t.rg_path}/providers/Microsoft.Compute/disks/{name}-data"
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        Step("create", "PUT", t.vmss(name), actions_body(t, name), (201,), "actions", follow=True),
        # placement
        Step("convert to single placement group", "POST", t.vmss(name, "/convertToSinglePlacementGroup"), {},
             (200,), "actions"),
        Step("refused: Service Fabric walk on a scale set without Service Fabric", "POST",
             t.vmss(name, "/forceRecoveryServiceFabricPlatformUpdateDomainWalk", query="&platformUpdateDomain=0"),
             None, (409,), "refused", expect_code="OperationNotAllowed"),
        # scale set actions not in the lifecycle
        action("reapply", "reapply"),
        action("suspend automatic repairs", "setOrchestrationServiceState",
               {"serviceName": "AutomaticRepairs", "action": "Suspend"}),
        action("resume automatic repairs", "setOrchestrationServiceState",
               {"serviceName": "AutomaticRepairs", "action": "Resume"}),
        Step("refused: maintenance nobody scheduled", "POST", t.vmss(name, "/performMaintenance"), {"instanceIds": ["0"]},
             (409,), "refused", expect_code="OperationNotAllowed"),
        # one VM's actions
        vm_action("VM deallocate", 0, "deallocate"),
        vm_action("VM start after deallocate", 0, "start"),
        vm_action("VM redeploy", 0, "redeploy"),
        vm_action("VM reimage all (OS and data disks)", 0, "reimageall"),
        Step("refused: VM maintenance nobody scheduled", "POST", vm(0, "/performMaintenance"), None, (409,), "refused",
             expect_code="OperationNotAllowed"),
        vm_action("VM run command (classic)", 0, "runCommand", {"commandId": "RunShellScript", "script": ["echo hello"]}),
        vm_action("VM attach a data disk", 0, "attachDetachDataDisks",
                  {"dataDisksToAttach": [{"diskId": disk, "lun": 1, "caching": "ReadOnly"}]}),
        vm_action("VM detach the data disk", 0, "attachDetachDataDisks", {"dataDisksToDetach": [{"diskId": disk}]}),
        Step("VM boot diagnostics data", "POST", vm(0, "/retrieveBootDiagnosticsData",
                                                    query="&sasUriExpirationTimeInMinutes=60"), None, (200,), "actions"),
        # one VM's NIC and public IP (served at the network api-version ARM-FACTS names)
        Step("VM NIC", "GET", vm(0, f"/networkInterfaces/{nic}", api=PUBLIC_IP_API), group="actions"),
        Step("VM public IPs", "GET", vm(0, f"/networkInterfaces/{nic}/ipconfigurations/{ip}/publicipaddresses",
                                        api=PUBLIC_IP_API), group="actions"),
        Step("VM public IP", "GET", vm(0, f"/networkInterfaces/{nic}/ipconfigurations/{ip}/publicipaddresses/{pip}",
                                       api=PUBLIC_IP_API), group="actions"),
        # one VM's extensions
        Step("VM extension create", "PUT", vm(0, "/extensions/script"), {"location": t.location, "properties": CUSTOM_SCRIPT},
             (201,), "actions", follow=True),
        Step("VM extension get", "GET", vm(0, "/extensions/script"), group="actions"),
        Step("VM extension list", "GET", vm(0, "/extensions"), group="actions"),
        Step("VM extension update (PATCH)", "PATCH", vm(0, "/extensions/script"),
             {"properties": {"settings": {"commandToExecute": "echo again"}}}, (200,), "actions", follow=True),
        Step("VM extension replace (PUT)", "PUT", vm(0, "/extensions/script"), {"location": t.location, "properties": CUSTOM_SCRIPT},
             (200,), "actions", follow=True),
        Step("VM extension delete", "DELETE", vm(0, "/extensions/script"), expect=(202,), group="actions", follow=True),
        Step("VM extension delete again (gone: 204)", "DELETE", vm(0, "/extensions/script"), expect=(204,), group="actions"),
        # the scale set's extensions
        Step("extension create", "PUT", t.vmss(name, "/extensions/script"), {"properties": CUSTOM_SCRIPT}, (201,),
             "actions", follow=True),
        Step("extension update (PATCH)", "PATCH", t.vmss(name, "/extensions/script"),
             {"properties": {"settings": {"commandToExecute": "echo again"}}}, (200,), "actions", follow=True),
        Step("extension delete", "DELETE", t.vmss(name, "/extensions/script"), expect=(202,), group="actions", follow=True),
        Step("extension delete again (gone: 204)", "DELETE", t.vmss(name, "/extensions/script"), expect=(204,), group="actions"),
        Step("run command delete of one never made (204)", "DELETE", vm(0, "/runCommands/none"), expect=(204,), group="actions"),
        # a write while an operation runs: ARM's 409, then the running one is seen to its end
        Step("restart (not waited for)", "POST", t.vmss(name, "/restart"), None, (202,), "actions", expand=_monitor),
        Step("conflict: power off while the restart runs", "POST", t.vmss(name, "/poweroff"), None, (409,), "conflict",
             expect_code="OperationNotAllowed"),
        Step("conflict: PATCH while the restart runs", "PATCH", t.vmss(name), {"tags": {"x": "y"}}, (409,), "conflict",
             expect_code="OperationNotAllowed"),
        Step("get (the restart is over)", "GET", t.vmss(name), group="actions"),
        # not found
        Step("not found: a VM that is not there", "GET", vm(42), expect=(404,), group="not-found",
             expect_code="ResourceNotFound"),
        Step("not found: VMs of a missing scale set", "GET", t.vmss(name + "-missing", "/virtualMachines"),
             expect=(404,), group="not-found", expect_code="ParentResourceNotFound"),
        Step("not found: an extension that is not there", "GET", t.vmss(name, "/extensions/none"), expect=(404,),
             group="not-found"),
        Step("not found: instance view of a missing scale set", "GET", t.vmss(name + "-missing", "/instanceView"),
             expect=(404,), group="not-found", expect_code="ResourceNotFound"),
        Step("not found: the latest rolling upgrade of a set that never had one", "GET", t.vmss(name, "/rollingUpgrades/latest"),
             expect=(404,), group="not-found"),
        Step("not found: action on a missing scale set", "POST", t.vmss(name + "-missing", "/restart"), None, (404,),
             "not-found", expect_code="ResourceNotFound"),
        # deleting one VM, then the set
        Step("VM delete", "DELETE", vm(1), expect=(202,), group="actions", follow=True),
        Step("VM delete again (gone: 204)", "DELETE", vm(1), expect=(204,), group="actions"),
        Step("delete", "DELETE", t.vmss(name), expect=(202,), group="actions", follow=True),
        Step("delete again (gone: 204)", "DELETE", t.vmss(name), expect=(204,), group="actions"),
    ]
