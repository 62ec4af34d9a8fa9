"""The read-only Compute catalogue (image lists, VM sizes, resource SKUs) and the standalone resources a
scale-set journey reads: Flexible orchestration VMs as `Microsoft.Compute/virtualMachines`, and disks."""
from __future__ import annotations

from typing import Any

import requests

from contract.checker import check
from contract.emulator import create_app
from contract.servers import BackgroundServer
from support import Capture, assert_no_violations, network_request

SUB = "00000000-0000-0000-0000-0000000000ad"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-catalog"
LOC = f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus"
AUTH = {"Authorization": "Bearer test"}


def flexible(capacity: int) -> dict[str, Any]:
    return {"location": "westus", "sku": {"name": "Standard_D2s_v3", "capacity": capacity}, "properties": {
        "orchestrationMode": "Flexible", "platformFaultDomainCount": 1, "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "flex", "adminUsername": "azureuser", "adminPassword": "Secret#Pass123"},
            "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                                  "sku": "22_04-lts-gen2", "version": "latest"},
                               "osDisk": {"createOption": "FromImage"}},
            "networkProfile": {"networkApiVersion": "2020-11-01", "networkInterfaceConfigurations": [
                {"name": "n", "properties": {"primary": True, "ipConfigurations": [{"name": "i", "properties": {
                    "subnet": {"id": f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"}}}]}}]}}}}


def test_catalogue_reads_and_flexible_vms_answer_in_azures_shape() -> None:
    capture = Capture()

    def factory() -> Any:
        app = create_app()
        app.middlewares.insert(0, capture.middleware)
        return app

    with BackgroundServer(factory) as srv:
        def get(path: str, version: str = "2024-07-01", **query: str) -> requests.Response:
            params = {"api-version": version, **query}
            return requests.get(srv.url + path, params=params, headers=AUTH, timeout=10)

        assert "Canonical" in [p["name"] for p in get(f"{LOC}/publishers").json()]
        offers = get(f"{LOC}/publishers/canonical/artifacttypes/vmimage/offers").json()  # names are case-insensitive
        assert "ubuntu-24_04-lts" in [o["name"] for o in offers]
        skus = get(f"{LOC}/publishers/Canonical/artifacttypes/vmimage/offers/UbuntuServer/skus").json()
        assert [s["name"] for s in skus] == ["18.04-LTS"]
        versions = f"{LOC}/publishers/Canonical/artifacttypes/vmimage/offers/UbuntuServer/skus/18.04-LTS/versions"
        names = [v["name"] for v in get(versions).json()]
        assert names == sorted(names) and len(names) > 1  # oldest first
        assert [v["name"] for v in get(versions, **{"$top": "2", "$orderby": "name desc"}).json()] == names[::-1][:2]
        missing = get(f"{versions}/18.04.000000000")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
        sizes = get(f"{LOC}/vmSizes").json()["value"]
        assert {"name": "Standard_D2s_v3", "numberOfCores": 2}.items() <= next(
            s for s in sizes if s["name"] == "Standard_D2s_v3").items()
        skus_list = get(f"/subscriptions/{SUB}/providers/Microsoft.Compute/skus", "2021-07-01",
                        **{"$filter": "location eq 'eastus'"}).json()["value"]
        assert skus_list and all(s["locations"] == ["eastus"] for s in skus_list)

        assert requests.put(f"{srv.url}{RG}?api-version=2022-09-01", json={"location": "westus"}, headers=AUTH,
                            timeout=10).status_code == 201
        vnet_path, vnet = network_request(f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s")
        assert requests.put(f"{srv.url}{vnet_path}", json=vnet, headers=AUTH, timeout=10).status_code == 201
        created = requests.put(f"{srv.url}{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/flex?api-version="
                               "2024-07-01", json=flexible(2), headers=AUTH, timeout=10)
        assert created.status_code == 201, created.text
        vms = get(f"{RG}/providers/Microsoft.Compute/virtualMachines").json()["value"]
        assert len(vms) == 2 and all(v["name"].startswith("flex_") and len(v["name"]) == 13 for v in vms)
        assert all(v["type"] == "Microsoft.Compute/virtualMachines" for v in vms)
        assert all(v["properties"]["virtualMachineScaleSet"]["id"].endswith("/virtualMachineScaleSets/flex")
                   for v in vms)
        one = get(f"{RG}/providers/Microsoft.Compute/virtualMachines/{vms[0]['name']}").json()
        assert one["id"] == vms[0]["id"]
        view = get(f"{RG}/providers/Microsoft.Compute/virtualMachines/{vms[0]['name']}/instanceView").json()
        assert any(s["code"].startswith("PowerState/") for s in view["statuses"])
        assert get(f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines").json()["value"] == vms
        nothing = get(f"{RG}/providers/Microsoft.Compute/virtualMachines/other")
        assert nothing.status_code == 404 and nothing.json()["error"]["code"] == "ResourceNotFound"
        # each VM's managed OS disk is a disk resource of the group, managed by that VM, readable by name
        disks = get(f"{RG}/providers/Microsoft.Compute/disks", "2024-03-02").json()["value"]
        assert sorted(d["managedBy"] for d in disks) == sorted(v["id"] for v in vms)
        assert sorted(d["id"] for d in disks) == sorted(v["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"]
                                                         for v in vms)
        assert get(f"{RG}/providers/Microsoft.Compute/disks/{disks[0]['name']}", "2024-03-02").json() == disks[0]
        assert get(f"/subscriptions/{SUB}/providers/Microsoft.Compute/disks", "2024-03-02").json()["value"] == disks
        assert get(f"{RG}/providers/Microsoft.Compute/disks/d1", "2024-03-02").status_code == 404
    assert_no_violations(check(capture.interactions))
