"""A 10-resource template deployment, end to end (PUT, every poll until Succeeded, the final GET), with
lro_polls 1, beside the same 10 scale sets PUT directly (each PUT plus its poll) in the same run.

The template is a copy loop of 10 scale sets (capacity 1) built the way az vmss create writes them;
every resource goes through the emulator's own scale set handler. Plain HTTP on 127.0.0.1.
Run: .venv/bin/python bench/deployment_run.py [--rounds N]   (target: < 50 ms per deployment)
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import requests

from contract.emulator import create_app
from contract.network_setup import virtual_network_request
from contract.servers import BackgroundServer

SUB = "00000000-0000-0000-0000-0000000000be"


def scale_set(name: str) -> dict[str, Any]:
    return {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2022-11-01", "name": name,
            "location": "westus", "sku": {"name": "Standard_D1_v2", "capacity": 1},
            "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "bench", "adminUsername": "azureuser",
                              "adminPassword": "[parameters('pw')]"},
                "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                                      "sku": "18.04-LTS", "version": "latest"}},
                "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                    "primary": True, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {
                        "id": "[concat(resourceGroup().id, '/providers/Microsoft.Network/virtualNetworks/v/subnets/s')]"
                    }}}]}}]}}}}


def deployment() -> dict[str, Any]:
    resource = scale_set("[concat('ss', copyIndex())]")
    resource["copy"] = {"name": "sets", "count": 10}
    return {"properties": {"mode": "Incremental", "parameters": {"pw": {"value": "Bench#Pass1234"}}, "template": {
        "contentVersion": "1.0.0.0", "parameters": {"pw": {"type": "secureString"}}, "resources": [resource],
        "outputs": {"first": {"type": "string", "value": "[reference('ss0').provisioningState]"}}}}}


def direct_body(name: str, group_id: str) -> dict[str, Any]:
    body = scale_set(name)
    for key in ("type", "apiVersion", "name"):
        body.pop(key)
    profile = body["properties"]["virtualMachineProfile"]
    profile["osProfile"]["adminPassword"] = "Bench#Pass1234"
    profile["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"][0][
        "properties"]["subnet"]["id"] = f"{group_id}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
    return body


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    server = BackgroundServer(lambda: create_app(lro_polls=1)).start()
    s = requests.Session()
    s.trust_env = False
    s.headers["Authorization"] = "Bearer bench"
    try:
        deploy_ms, direct_ms = [], []
        for i in range(args.rounds):
            group = f"{server.url}/subscriptions/{SUB}/resourcegroups/bench{i}"
            s.put(f"{group}?api-version=2022-09-01", json={"location": "westus"})
            group_id = group[len(server.url):]
            vnet_path, vnet = virtual_network_request(f"{group_id}/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
                                                      "westus")  # the subnet the scale sets name, made first (untimed)
            assert s.put(f"{server.url}{vnet_path}", json=vnet).status_code == 201
            start = time.perf_counter()
            put = s.put(f"{group}/providers/Microsoft.Resources/deployments/d?api-version=2022-09-01",
                        json=deployment())
            assert put.status_code == 201, put.text
            status = "Accepted"
            while status not in ("Succeeded", "Failed", "Canceled"):
                status = s.get(put.headers["Azure-AsyncOperation"]).json()["status"]
            final = s.get(f"{group}/providers/Microsoft.Resources/deployments/d?api-version=2022-09-01").json()
            deploy_ms.append((time.perf_counter() - start) * 1000)
            assert status == "Succeeded" and len(final["properties"]["outputResources"]) == 10, final

            start = time.perf_counter()
            for n in range(10):
                r = s.put(f"{group}/providers/Microsoft.Compute/virtualMachineScaleSets/direct{n}"
                          f"?api-version=2022-11-01", json=direct_body(f"direct{n}", group_id))
                assert r.status_code == 201, r.text
                while s.get(r.headers["Azure-AsyncOperation"]).json()["status"] != "Succeeded":
                    pass
            direct_ms.append((time.perf_counter() - start) * 1000)
        print(f"10-resource template deployment, lro_polls 1 (PUT + polls + GET), {args.rounds} rounds:")
        print(f"  deployment : median {statistics.median(deploy_ms):6.1f} ms   p90 "
              f"{sorted(deploy_ms)[int(len(deploy_ms) * 0.9) - 1]:6.1f} ms   (target < 50 ms)")
        print(f"  baseline, the same 10 scale sets PUT directly with their polls: median "
              f"{statistics.median(direct_ms):6.1f} ms")
        print(f"  ratio deployment/direct: {statistics.median(deploy_ms) / statistics.median(direct_ms):.2f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
