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
from contract.journeys.step import NETWORK_API, RESOURCES_API, Step, Target


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
        ok("perform the pending maintenance", "performMaintenance", {"instanceIds": ["0"]}),
        vm_ok("VM perform the pending maintenance", 1, "performMaintenance"),
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
        *synchronous_network_steps(t),
        Step("the group and all in it (finished: 200)", "DELETE", f"{t.rg_path}?api-version={RESOURCES_API}",
             expect=(200,), group="synchronous"),
    ]
def synchronous_network_steps(target: Target) -> list[Step]:
    """Network resources made and deleted with the synchronous emulator: each DELETE answers 200 (the
    swagger's synchronous delete) instead of 202."""
    t = target
    net = f"{t.rg_path}/providers/Microsoft.Network"
    vnet, asg, nsg = f"{net}/virtualNetworks/sync-net", f"{net}/applicationSecurityGroups/sync-asg", \
        f"{net}/networkSecurityGroups/sync-nsg"
    ip, gw_ip, prefix = f"{net}/publicIPAddresses/sync-ip", f"{net}/publicIPAddresses/sync-gw-ip", \
        f"{net}/publicIPPrefixes/sync-prefix"
    lb, gateway, nic = f"{net}/loadBalancers/sync-lb", f"{net}/applicationGateways/sync-gw", \
        f"{net}/networkInterfaces/sync-nic"
    at = lambda path: f"{path}?api-version={NETWORK_API}"  # noqa: E731
    ref = lambda rid: {"id": rid}  # noqa: E731
    standard_ip = {"location": t.location, "sku": {"name": "Standard"},
                   "properties": {"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"}}
    rule = {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*", "access": "Allow", "priority": 1000, "direction": "Inbound"}
    front = f"{lb}/frontendIPConfigurations/front"
    gw_front = f"{gateway}/frontendIPConfigurations/front"
    gateway_body = {"location": t.location, "properties": {
        "sku": {"name": "Standard_v2", "tier": "Standard_v2", "capacity": 1},
        "gatewayIPConfigurations": [{"name": "ipconfig", "properties": {"subnet": ref(f"{vnet}/subnets/gateway")}}],
        "frontendIPConfigurations": [{"name": "front", "properties": {"publicIPAddress": ref(gw_ip)}}],
        "frontendPorts": [{"name": "http", "properties": {"port": 80}}],
        "backendAddressPools": [{"name": "pool"}],
        "backendHttpSettingsCollection": [{"name": "settings", "properties": {
            "port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled"}}],
        "httpListeners": [{"name": "listener", "properties": {
            "frontendIPConfiguration": ref(gw_front), "frontendPort": ref(f"{gateway}/frontendPorts/http"),
            "protocol": "Http"}}],
        "requestRoutingRules": [{"name": "rule", "properties": {
            "ruleType": "Basic", "priority": 100, "httpListener": ref(f"{gateway}/httpListeners/listener"),
            "backendAddressPool": ref(f"{gateway}/backendAddressPools/pool"),
            "backendHttpSettings": ref(f"{gateway}/backendHttpSettingsCollection/settings")}}]}}
    made = [
        ("virtual network", vnet, {"location": t.location, "properties": {
            "addressSpace": {"addressPrefixes": ["10.60.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.60.0.0/24"}}]}}),
        ("subnet", f"{vnet}/subnets/spare", {"properties": {"addressPrefix": "10.60.2.0/24"}}),
        ("gateway subnet", f"{vnet}/subnets/gateway", {"properties": {"addressPrefix": "10.60.1.0/24"}}),
        ("application security group", asg, {"location": t.location, "properties": {}}),
        ("network security group", nsg, {"location": t.location, "properties": {}}),
        ("security rule", f"{nsg}/securityRules/ssh", {"properties": rule}),
        ("public IP", ip, standard_ip),
        ("gateway public IP", gw_ip, standard_ip),
        ("public IP prefix", prefix, {"location": t.location, "sku": {"name": "Standard"},
                                      "properties": {"prefixLength": 30, "publicIPAddressVersion": "IPv4"}}),
        ("load balancer", lb, {"location": t.location, "sku": {"name": "Standard"}, "properties": {
            "frontendIPConfigurations": [{"name": "front", "properties": {"publicIPAddress": ref(ip)}}],
            "backendAddressPools": [{"name": "pool"}]}}),
        ("backend pool", f"{lb}/backendAddressPools/spare", {"properties": {}}),
        ("inbound NAT rule", f"{lb}/inboundNatRules/admin", {"properties": {
            "frontendIPConfiguration": ref(front), "protocol": "Tcp", "frontendPort": 60022, "backendPort": 22}}),
        ("application gateway", gateway, gateway_body),
        ("network interface", nic, {"location": t.location, "properties": {"ipConfigurations": [
            {"name": "ipconfig", "properties": {"subnet": ref(f"{vnet}/subnets/default")}}]}}),
    ]
    creates = [Step(f"{label} create", "PUT", at(path), body, (201,), "synchronous") for label, path, body in made]
    order = ["network interface", "application gateway", "inbound NAT rule", "backend pool", "load balancer",
             "public IP", "gateway public IP", "public IP prefix", "security rule", "network security group",
             "application security group", "subnet", "virtual network"]
    paths = {label: path for label, path, _ in made}
    deletes = [Step(f"{label} delete (finished: 200)", "DELETE", at(paths[label]), expect=(200,), group="synchronous")
               for label in order]
    return [*creates, *deletes]
