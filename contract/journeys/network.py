"""The network a scale set stands on (issue 13): made, read, used by a scale set, refused while in use, deleted.

`network_steps` is the lifecycle's minimal network (a virtual network and subnet made before its scale set:
Azure refuses a subnet that does not exist). `network_journey` is the whole of Microsoft.Network the contract
documents: virtual network and subnets, NSG and security rules, ASG, public IPs and a prefix, a Standard load
balancer with backend and NAT pools, probe, rule and NAT rule, an application gateway, a NIC; then a scale set
using all of them with a user-assigned identity and a role assigned to its own principal; then every delete
Azure refuses while something uses the resource, and the referential refusals (`references:` in
specs/rules.yaml, each with its code); then everything deleted again.
"""
from __future__ import annotations

from typing import Any

from contract.arm_client import Answer
from contract.journeys import tour
from contract.journeys.bodies import scale_set_body
from contract.journeys.step import AUTHORIZATION_API, COMPUTE_API, IDENTITY_API, NETWORK_API, Step, Target
from contract.journeys.tour import at, create, reads, refused, removal, tag

GROUP = "network"
API = NETWORK_API
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"  # the built-in Reader role's id (the same in every tenant)


def network_steps(target: Target) -> list[Step]:
    """Azure checks that the subnet a scale set names exists (so does the emulator, with
    network_integrity): make it first."""
    vnet = target.subnet_id.rsplit("/subnets/", 1)[0]
    body = {"location": target.location, "properties": {
        "addressSpace": {"addressPrefixes": ["10.42.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.42.0.0/24"}}]}}
    return [Step("virtual network", "PUT", f"{vnet}?api-version={NETWORK_API}", body, (200, 201), "setup", True)]


class _Net:
    """The ids of the journey's resources (one place, so bodies and steps agree)."""

    def __init__(self, t: Target) -> None:
        self.t = t
        self.net = f"{t.rg_path}/providers/Microsoft.Network"
        self.all = f"/subscriptions/{t.subscription}/providers/Microsoft.Network"
        self.vnet = f"{self.net}/virtualNetworks/vmss-contract-net"
        self.subnet = f"{self.vnet}/subnets/vmss"
        self.gateway_subnet = f"{self.vnet}/subnets/gateway"
        self.guarded_subnet = f"{self.vnet}/subnets/guarded"
        self.nsg = f"{self.net}/networkSecurityGroups/vmss-contract-nsg"
        self.guard_nsg = f"{self.net}/networkSecurityGroups/vmss-contract-subnet-nsg"
        self.asg = f"{self.net}/applicationSecurityGroups/vmss-contract-asg"
        self.lb_ip = f"{self.net}/publicIPAddresses/vmss-contract-lb-ip"
        self.gateway_ip = f"{self.net}/publicIPAddresses/vmss-contract-gateway-ip"
        self.prefix = f"{self.net}/publicIPPrefixes/vmss-contract-prefix"
        self.lb = f"{self.net}/loadBalancers/vmss-contract-lb"
        self.frontend = f"{self.lb}/frontendIPConfigurations/front"
        self.pool = f"{self.lb}/backendAddressPools/pool"
        self.nat_pool = f"{self.lb}/inboundNatPools/ssh"
        self.probe = f"{self.lb}/probes/tcp"
        self.gateway = f"{self.net}/applicationGateways/vmss-contract-gateway"
        self.gateway_pool = f"{self.gateway}/backendAddressPools/pool"
        self.nic = f"{self.net}/networkInterfaces/vmss-contract-nic"
        self.identity = (f"{t.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
                         f"vmss-contract-net-id")
        self.vmss = f"{t.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-contract-net"

    def body(self, **members: Any) -> dict[str, Any]:
        return {"location": self.t.location, **members}


def _ref(rid: str) -> dict[str, str]:
    return {"id": rid}


def network_journey(target: Target) -> list[Step]:
    n = _Net(target)
    return [*_build(n), *_scale_set_on_it(n), *_refusals(n), *_take_down(n)]


def _top(n: _Net, label: str, path: str, body: dict[str, Any], *, again: bool = True) -> list[Step]:
    """Create (201, then 200 again), read, list in the group and the subscription, tag."""
    collection = path.rsplit("/", 2)[-2]
    return [*create(label, path, body, API, GROUP, again=again),
            *reads(label, path, API, GROUP, f"{n.net}/{collection}", f"{n.all}/{collection}"),
            tag(label, path, API, GROUP)]


def _child(label: str, path: str, body: dict[str, Any]) -> list[Step]:
    """A child resource (subnet, rule, pool...) on its own path: create, again, read, list."""
    return [*create(label, path, body, API, GROUP), *reads(label, path, API, GROUP, path.rsplit("/", 1)[0])]


def _build(n: _Net) -> list[Step]:
    ssh_rule = {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "22", "sourceAddressPrefix": "*",
                "destinationAddressPrefix": "*", "access": "Allow", "priority": 1000, "direction": "Inbound"}
    https_rule = {**ssh_rule, "destinationPortRange": "443", "priority": 1010, "sourceAddressPrefix": None,
                  "sourceApplicationSecurityGroups": [_ref(n.asg)]}
    https_rule = {k: v for k, v in https_rule.items() if v is not None}
    standard_ip = n.body(sku={"name": "Standard"}, properties={"publicIPAllocationMethod": "Static",
                                                               "publicIPAddressVersion": "IPv4"})
    lb = n.body(sku={"name": "Standard"}, properties={
        "frontendIPConfigurations": [{"name": "front", "properties": {"publicIPAddress": _ref(n.lb_ip)}}],
        "backendAddressPools": [{"name": "pool"}],
        "inboundNatPools": [{"name": "ssh", "properties": {
            "frontendIPConfiguration": _ref(n.frontend), "protocol": "Tcp", "frontendPortRangeStart": 50000,
            "frontendPortRangeEnd": 50099, "backendPort": 22}}],
        "probes": [{"name": "tcp", "properties": {"protocol": "Tcp", "port": 80, "intervalInSeconds": 5,
                                                  "numberOfProbes": 2}}],
        "loadBalancingRules": [{"name": "http", "properties": {
            "frontendIPConfiguration": _ref(n.frontend), "backendAddressPool": _ref(n.pool), "probe": _ref(n.probe),
            "protocol": "Tcp", "frontendPort": 80, "backendPort": 80}}]})
    gw_front = f"{n.gateway}/frontendIPConfigurations/front"
    gateway = n.body(properties={
        "sku": {"name": "Standard_v2", "tier": "Standard_v2", "capacity": 1},
        "gatewayIPConfigurations": [{"name": "ipconfig", "properties": {"subnet": _ref(n.gateway_subnet)}}],
        "frontendIPConfigurations": [{"name": "front", "properties": {"publicIPAddress": _ref(n.gateway_ip)}}],
        "frontendPorts": [{"name": "http", "properties": {"port": 80}}],
        "backendAddressPools": [{"name": "pool"}],
        "backendHttpSettingsCollection": [{"name": "settings", "properties": {
            "port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled"}}],
        "httpListeners": [{"name": "listener", "properties": {
            "frontendIPConfiguration": _ref(gw_front), "frontendPort": _ref(f"{n.gateway}/frontendPorts/http"),
            "protocol": "Http"}}],
        "requestRoutingRules": [{"name": "rule", "properties": {
            "ruleType": "Basic", "priority": 100, "httpListener": _ref(f"{n.gateway}/httpListeners/listener"),
            "backendAddressPool": _ref(n.gateway_pool),
            "backendHttpSettings": _ref(f"{n.gateway}/backendHttpSettingsCollection/settings")}}]})
    nic = n.body(properties={
        "networkSecurityGroup": _ref(n.guard_nsg),
        "ipConfigurations": [{"name": "ipconfig", "properties": {
            "subnet": _ref(n.subnet), "applicationSecurityGroups": [_ref(n.asg)]}}]})
    return [
        *_top(n, "virtual network", n.vnet, n.body(properties={
            "addressSpace": {"addressPrefixes": ["10.50.0.0/16"]},
            "subnets": [{"name": "vmss", "properties": {"addressPrefix": "10.50.0.0/24"}}]})),
        *_child("subnet", n.gateway_subnet, {"properties": {"addressPrefix": "10.50.1.0/24"}}),
        *_top(n, "application security group", n.asg, n.body(properties={})),
        *_top(n, "network security group", n.nsg, n.body(properties={"securityRules": [
            {"name": "ssh", "properties": ssh_rule}]})),
        *_child("security rule", f"{n.nsg}/securityRules/https", {"properties": https_rule}),
        *create("subnet NSG", n.guard_nsg, n.body(properties={}), API, GROUP, again=False),
        *create("subnet with an NSG", n.guarded_subnet, {"properties": {
            "addressPrefix": "10.50.2.0/24", "networkSecurityGroup": _ref(n.guard_nsg)}}, API, GROUP, again=False),
        *_top(n, "public IP", n.lb_ip, standard_ip),
        *create("gateway public IP", n.gateway_ip, standard_ip, API, GROUP, again=False),
        *_top(n, "public IP prefix", n.prefix, n.body(sku={"name": "Standard"}, properties={
            "prefixLength": 30, "publicIPAddressVersion": "IPv4"})),
        *_top(n, "load balancer", n.lb, lb),
        *_child("backend pool", f"{n.lb}/backendAddressPools/spare", {"properties": {}}),
        *_child("inbound NAT rule", f"{n.lb}/inboundNatRules/admin", {"properties": {
            "frontendIPConfiguration": _ref(n.frontend), "protocol": "Tcp", "frontendPort": 60022,
            "backendPort": 22}}),
        *reads("frontend", n.frontend, API, GROUP, f"{n.lb}/frontendIPConfigurations"),
        *reads("probe", n.probe, API, GROUP, f"{n.lb}/probes"),
        *reads("load-balancing rule", f"{n.lb}/loadBalancingRules/http", API, GROUP, f"{n.lb}/loadBalancingRules"),
        *_top(n, "application gateway", n.gateway, gateway),
        *_top(n, "network interface", n.nic, nic),
    ]


def _scale_set_on_it(n: _Net) -> list[Step]:
    """A scale set using the pools, NSG, ASG, gateway pool and a user-assigned identity; a role assigned
    to its own (system-assigned) principal, at its own scope."""
    t = n.t
    body = scale_set_body(t, "vmss-contract-net", capacity=1)
    nic = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    nic["properties"]["networkSecurityGroup"] = _ref(n.nsg)
    nic["properties"]["ipConfigurations"][0]["properties"].update({
        "subnet": _ref(n.subnet),
        "loadBalancerBackendAddressPools": [_ref(n.pool)],
        "loadBalancerInboundNatPools": [_ref(n.nat_pool)],
        "applicationGatewayBackendAddressPools": [_ref(n.gateway_pool)],
        "applicationSecurityGroups": [_ref(n.asg)]})
    body["identity"] = {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {n.identity: {}}}
    assignment = f"{n.vmss}/providers/Microsoft.Authorization/roleAssignments/5c6a3e29-8f2b-4a57-9d1e-6b0c2f7d4a10"

    def assign_to_its_principal(answer: Answer) -> list[Step]:
        principal = ((answer.body or {}).get("identity") or {}).get("principalId") if isinstance(answer.body, dict) else None
        if not principal:
            return []
        role = {"properties": {"roleDefinitionId": f"/subscriptions/{t.subscription}/providers/Microsoft."
                                                   f"Authorization/roleDefinitions/{READER}",
                               "principalId": principal, "principalType": "ServicePrincipal"}}
        return [Step("role for the scale set's identity", "PUT", at(assignment, AUTHORIZATION_API), role, (201,),
                     GROUP),
                Step("role assignments at the scale set", "GET",
                     at(f"{n.vmss}/providers/Microsoft.Authorization/roleAssignments", AUTHORIZATION_API), group=GROUP)]

    return [
        *create("scale set's identity", n.identity, n.body(), IDENTITY_API, GROUP, again=False),
        Step("scale set on the network", "PUT", at(n.vmss, COMPUTE_API), body, (201,), GROUP, follow=True),
        Step("scale set on the network get", "GET", at(n.vmss, COMPUTE_API), group=GROUP,
             expand=assign_to_its_principal),
        Step("backend pool lists the scale set's NICs", "GET", at(n.pool, API), group=GROUP),
        Step("subnet lists its users", "GET", at(n.subnet, API), group=GROUP),
    ]


def _refusals(n: _Net) -> list[Step]:
    """What Azure refuses while something uses it, and references to what does not exist or has the wrong type."""
    t = n.t
    def scale_set(name: str, change: Any) -> dict[str, Any]:
        body = scale_set_body(t, name, capacity=1)
        change(body)
        return body

    def on_pool_with_basic_ip(body: dict[str, Any]) -> None:
        ip = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0][
            "properties"]["ipConfigurations"][0]["properties"]
        ip.update({"subnet": _ref(n.subnet), "loadBalancerBackendAddressPools": [_ref(n.pool)],
                   "publicIPAddressConfiguration": {"name": "pip", "sku": {"name": "Basic"},
                                                    "properties": {"idleTimeoutInMinutes": 15}}})

    missing_identity = f"{n.identity}-missing"
    bad = f"{t.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-contract-net-bad"
    return [
        refused("delete a subnet a scale set uses", "DELETE", n.subnet, API, None, 400, "InUseSubnetCannotBeDeleted",
                GROUP),
        refused("delete a virtual network whose subnet is used", "DELETE", n.vnet, API, None, 400,
                "InUseSubnetCannotBeDeleted", GROUP),
        refused("delete an NSG a scale set names", "DELETE", n.nsg, API, None, 400,
                "NetworkSecurityGroupInUseByVirtualMachineScaleSet", GROUP),
        refused("delete an NSG a subnet uses", "DELETE", n.guard_nsg, API, None, 400,
                "InUseNetworkSecurityGroupCannotBeDeleted", GROUP),
        refused("delete a load balancer a scale set uses", "DELETE", n.lb, API, None, 400,
                "LoadBalancerInUseByVirtualMachineScaleSet", GROUP),
        refused("delete a backend pool a scale set uses", "DELETE", n.pool, API, None, 400,
                "LoadBalancerInUseByVirtualMachineScaleSet", GROUP),
        refused("delete a public IP a load balancer uses", "DELETE", n.lb_ip, API, None, 400,
                "PublicIPAddressCannotBeDeleted", GROUP),
        refused("NIC on a subnet that does not exist", "PUT", f"{n.net}/networkInterfaces/vmss-contract-bad-nic", API,
                n.body(properties={"ipConfigurations": [{"name": "ipconfig", "properties": {
                    "subnet": _ref(f"{n.vnet}/subnets/missing")}}]}), 400, "InvalidResourceReference", GROUP),
        refused("NIC naming a NAT rule as its backend pool", "PUT", f"{n.net}/networkInterfaces/vmss-contract-bad-nic",
                API, n.body(properties={"ipConfigurations": [{"name": "ipconfig", "properties": {
                    "subnet": _ref(n.subnet),
                    "loadBalancerBackendAddressPools": [_ref(f"{n.lb}/inboundNatRules/admin")]}}]}), 400,
                "InvalidRequestFormat", GROUP),
        refused("Basic load balancer on a Standard public IP", "PUT", f"{n.net}/loadBalancers/vmss-contract-basic-lb",
                API, n.body(sku={"name": "Basic"}, properties={"frontendIPConfigurations": [
                    {"name": "front", "properties": {"publicIPAddress": _ref(n.lb_ip)}}]}), 400,
                "DifferentSkuLoadBalancersAndPublicIPAddressNotAllowed", GROUP),
        refused("scale set with Basic instance IPs behind a Standard load balancer", "PUT", bad, COMPUTE_API,
                scale_set("vmss-contract-net-bad", on_pool_with_basic_ip), 400,
                "DifferentSkuLoadBalancerAndPublicIPAddressNotAllowedInVMSS", GROUP),
        refused("scale set naming an identity that does not exist", "PUT", bad, COMPUTE_API,
                scale_set("vmss-contract-net-bad", lambda b: b.update(identity={
                    "type": "UserAssigned", "userAssignedIdentities": {missing_identity: {}}})), 400,
                "FailedIdentityOperation", GROUP),
        refused("scale set with UserAssigned and no identities", "PUT", bad, COMPUTE_API,
                scale_set("vmss-contract-net-bad", lambda b: b.update(identity={"type": "UserAssigned"})), 400,
                "MissingIdentityIds", GROUP),
        Step("the refused scale set does not exist", "GET", at(bad, COMPUTE_API), expect=(404,), group=GROUP),
    ]


def _take_down(n: _Net) -> list[Step]:
    """The scale set first; then what it used can go, each delete followed to its end or polled by hand."""
    return [
        Step("delete the scale set on the network", "DELETE", at(n.vmss, COMPUTE_API), expect=(202,), group=GROUP,
             expand=tour.polled_by_hand("scale set on the network", GROUP)),
        *removal("network interface", n.nic, API, GROUP, "ResourceNotFound", by_hand=True),
        *removal("application gateway", n.gateway, API, GROUP, "ResourceNotFound"),
        *removal("inbound NAT rule", f"{n.lb}/inboundNatRules/admin", API, GROUP, "NotFound"),
        *removal("backend pool", f"{n.lb}/backendAddressPools/spare", API, GROUP, "NotFound"),
        *removal("load balancer", n.lb, API, GROUP, "ResourceNotFound", follow=True),
        *removal("public IP", n.lb_ip, API, GROUP, "ResourceNotFound"),
        *removal("gateway public IP", n.gateway_ip, API, GROUP, "ResourceNotFound")[:1],
        *removal("public IP prefix", n.prefix, API, GROUP, "ResourceNotFound"),
        *removal("security rule", f"{n.nsg}/securityRules/https", API, GROUP, "NotFound"),
        *removal("network security group", n.nsg, API, GROUP, "ResourceNotFound"),
        *removal("subnet", n.guarded_subnet, API, GROUP, "NotFound"),
        *removal("subnet NSG", n.guard_nsg, API, GROUP, "ResourceNotFound")[:1],
        *removal("application security group", n.asg, API, GROUP, "ResourceNotFound"),
        *removal("virtual network", n.vnet, API, GROUP, "ResourceNotFound", follow=True),
        Step("delete the scale set's identity", "DELETE", at(n.identity, IDENTITY_API), expect=(200,), group=GROUP),
    ]
