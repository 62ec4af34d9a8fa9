"""The checker reads what a cassette shows about the network: a deleted network resource must not be
answered again, and a scale set write referencing a resource the traffic showed missing must not be 2xx."""
from __future__ import annotations

import json
from typing import Any

from contract.cassette import Interaction, Request, Response
from contract.checker import check

HOST = "https://management.azure.com"
NET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network"
VMSS = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss"


def hit(method: str, path: str, status: int, body: Any = None, api: str = "2024-05-01") -> Interaction:
    text = json.dumps(body) if body is not None else None
    return Interaction(Request(method, f"{HOST}{path}?api-version={api}", text, {}),
                       Response(status, "", {"Content-Type": ["application/json"]}, "{}" if status < 300 else
                                json.dumps({"error": {"code": "ResourceNotFound", "message": "gone"}})))


def scale_set_body(subnet: str) -> dict[str, Any]:
    return {"location": "westus", "properties": {"virtualMachineProfile": {"networkProfile": {
        "networkInterfaceConfigurations": [{"name": "nic", "properties": {"ipConfigurations": [
            {"name": "ip", "properties": {"subnet": {"id": subnet}}}]}}]}}}}


def rules_of(interactions: list[Interaction]) -> list[str]:
    return [v.rule for v in check(interactions).violations if v.rule in ("deleted-resource-answered",
                                                                          "reference-must-exist")]


def test_a_deleted_network_resource_answered_again_is_a_violation() -> None:
    vnet = f"{NET}/virtualNetworks/vnet1"
    assert rules_of([hit("PUT", vnet, 201), hit("DELETE", vnet, 200), hit("GET", vnet, 200)]) == \
        ["deleted-resource-answered"]
    assert rules_of([hit("GET", vnet, 404), hit("PUT", vnet, 201), hit("GET", vnet, 200)]) == []
    assert rules_of([hit("GET", "/subscriptions/s/resourcegroups/rg", 404), hit("GET", f"{vnet}/subnets/a", 200)]) == \
        ["deleted-resource-answered"]


def test_a_scale_set_referencing_what_the_traffic_showed_missing_is_a_violation() -> None:
    subnet = f"{NET}/virtualNetworks/vnet1/subnets/default"
    missing = [hit("GET", f"{NET}/virtualNetworks/vnet1", 404),
               hit("PUT", VMSS, 201, scale_set_body(subnet), api="2024-03-01")]
    assert rules_of(missing) == ["reference-must-exist"]
    refused = missing[:1] + [Interaction(missing[1].request, Response(400, "", {}, json.dumps(
        {"error": {"code": "InvalidResourceReference", "message": "not found"}})))]
    assert rules_of(refused) == []
    recreated = [missing[0], hit("PUT", f"{NET}/virtualNetworks/vnet1", 201), missing[1]]
    assert rules_of(recreated) == []


def test_other_hosts_are_never_judged() -> None:
    vault = Interaction(Request("GET", "https://myvault.vault.azure.net/secrets/x?api-version=7.4", None, {}),
                        Response(401, "", {}, None))
    raw = Interaction(Request("GET", "https://raw.githubusercontent.com/Azure/x/network/a.json", None, {}),
                      Response(200, "", {}, "{}"))
    assert rules_of([vault, raw, vault]) == []


def in_use_rules(interactions: list[Interaction]) -> list[str]:
    return [v.rule for v in check(interactions).violations if v.rule.endswith("-in-use") or "-in-use-by-" in v.rule]


def test_deleting_what_a_live_scale_set_uses_answered_2xx_is_a_violation() -> None:
    """Azure refuses these deletes with 400 (specs/rules.yaml references: subnet-in-use and the
    *-in-use-by-scale-set entries); a server that accepts one breaks the contract."""
    vnet = f"{NET}/virtualNetworks/vnet1"
    subnet = f"{vnet}/subnets/default"
    pool = f"{NET}/loadBalancers/lb/backendAddressPools/pool"
    body = scale_set_body(subnet)
    body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]["properties"][
        "ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"] = [{"id": pool}]
    created = [hit("PUT", vnet, 201), hit("PUT", VMSS, 201, body, api="2024-03-01")]
    assert in_use_rules(created + [hit("DELETE", subnet, 200)]) == ["subnet-in-use"]
    assert in_use_rules(created + [hit("DELETE", vnet, 202)]) == ["subnet-in-use"]  # the subnet goes with its vnet
    assert in_use_rules(created + [hit("DELETE", f"{NET}/loadBalancers/lb", 202)]) == ["load-balancer-in-use-by-scale-set"]
    refused = Interaction(hit("DELETE", subnet, 400).request, Response(400, "", {}, json.dumps(
        {"error": {"code": "InUseSubnetCannotBeDeleted", "message": "in use"}})))
    assert in_use_rules(created + [refused]) == []  # Azure's answer
    # Once the scale set (or its group) is deleted, what it used is free.
    assert in_use_rules(created + [hit("DELETE", VMSS, 202), hit("DELETE", subnet, 200)]) == []
    assert in_use_rules(created + [hit("DELETE", "/subscriptions/s/resourceGroups/rg", 202),
                                   hit("DELETE", subnet, 200)]) == []
    # A PATCH that does not restate the network profile keeps the references; one that does replaces them.
    assert in_use_rules(created + [hit("PATCH", VMSS, 200, {"sku": {"capacity": 3}}, api="2024-03-01"),
                                   hit("DELETE", subnet, 200)]) == ["subnet-in-use"]
    moved = scale_set_body(f"{NET}/virtualNetworks/vnet2/subnets/default")
    assert in_use_rules(created + [hit("PATCH", VMSS, 200, moved, api="2024-03-01"), hit("DELETE", subnet, 200)]) == []
