"""computerNamePrefix is limited by the scale set's OS (rules.yaml computer-name-prefix-length): Windows 15 (NetBIOS;
ARM answers 400 InvalidParameter "Windows computer name ... cannot be more than ..."), Linux 64. The emulator and
the checker both run the rule, on the documented 2026-04-01 create body (VirtualMachineScaleSet_Create_WithSkuProfile)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import requests

from contract import check
from contract.cassette import Cassette, Interaction, Request, Response
from contract.emulator import create_app
from contract.servers import BackgroundServer
from support import network_request

EXAMPLE = (Path(__file__).parent / "data" / "examples" / "Compute-2026-04-01" / "virtualMachineScaleSetExamples"
           / "VirtualMachineScaleSet_Create_WithSkuProfile.json")
SUB = "00000000-0000-0000-0000-0000000000cf"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-prefix"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
AUTH = {"Authorization": "Bearer test"}
API = "2026-04-01"
PREFIX = "$.properties.virtualMachineProfile.osProfile.computerNamePrefix"


def documented(prefix: str, windows: bool) -> dict[str, Any]:
    """The documented create body (Flexible, Spot, skuProfile; a Windows Server 2016 image), its placeholders
    filled, with this prefix; as Linux: an Ubuntu image of the catalogue, linuxConfiguration, and no password."""
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))["parameters"]["parameters"]
    vmp = body["properties"]["virtualMachineProfile"]
    vmp["networkProfile"]["networkInterfaceConfigurations"][0]["properties"]["ipConfigurations"][0]["properties"][
        "subnet"]["id"] = SUBNET
    vmp["osProfile"].update(computerNamePrefix=prefix, adminUsername="azureuser", adminPassword="Contract#Passw0rd")
    if windows:
        vmp["osProfile"]["windowsConfiguration"] = {"provisionVMAgent": True}
    else:
        vmp["osProfile"]["linuxConfiguration"] = {"disablePasswordAuthentication": False}
        vmp["storageProfile"]["imageReference"] = {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                                   "sku": "22_04-lts-gen2", "version": "latest"}
    return body


def test_the_emulator_accepts_a_long_linux_prefix_and_refuses_a_long_windows_one() -> None:
    with BackgroundServer(lambda: create_app()) as srv:
        put = lambda path, payload, v=API: requests.put(f"{srv.url}{path}?api-version={v}", json=payload,  # noqa: E731
                                                        headers=AUTH, timeout=10)
        assert put(RG, {"location": "westus"}, "2022-09-01").status_code == 201
        vnet_path, vnet = network_request(SUBNET)
        assert requests.put(f"{srv.url}{vnet_path}", json=vnet, headers=AUTH, timeout=10).status_code == 201
        vmss = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets"
        linux = put(f"{vmss}/linux24", documented("myVirtualMachineScaleSet", windows=False))
        assert linux.status_code == 201, linux.text  # 24 characters on Linux, as real traffic shows (AKS: 27)
        got = linux.json()["properties"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"]
        assert got == "myVirtualMachineScaleSet"
        assert put(f"{vmss}/linux64", documented("p" * 64, windows=False)).status_code == 201
        assert put(f"{vmss}/linux65", documented("p" * 65, windows=False)).status_code == 400
        assert put(f"{vmss}/win15", documented("p" * 15, windows=True)).status_code == 201
        for name, prefix in (("win16", "p" * 16), ("win24", "myVirtualMachineScaleSet")):
            refused = put(f"{vmss}/{name}", documented(prefix, windows=True))
            assert refused.status_code == 400, refused.text
            error = refused.json()["error"]
            assert error["code"] == "InvalidParameter"
            assert error["target"] == "properties.virtualMachineProfile.osProfile.computerNamePrefix"
            assert error["message"].startswith("Windows computer name prefix cannot be more than 15 characters long")
            assert requests.get(f"{srv.url}{vmss}/{name}?api-version={API}", headers=AUTH, timeout=10).status_code == 404


def test_the_checker_flags_a_long_windows_prefix_answered_2xx_only() -> None:
    uri = f"https://management.azure.com{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/ss?api-version={API}"

    def accepted(body: dict[str, Any]) -> Cassette:
        answer = copy.deepcopy(body)
        answer.update(name="ss", id=uri.split("?")[0].removeprefix("https://management.azure.com"),
                      type="Microsoft.Compute/virtualMachineScaleSets")
        answer["properties"]["provisioningState"] = "Creating"
        answer["properties"]["virtualMachineProfile"]["osProfile"].pop("adminPassword")
        headers = {"Content-Type": ["application/json"]}
        return Cassette([Interaction(Request("PUT", uri, json.dumps(body), headers),
                                     Response(201, json.dumps(answer), headers))], path="prefix.yaml")

    linux = check([accepted(documented("myVirtualMachineScaleSet", windows=False))])
    assert [v for v in linux.violations if v.path == PREFIX] == []
    windows = check([accepted(documented("p" * 16, windows=True))])
    found = [v for v in windows.violations if v.path == PREFIX]
    assert [v.rule for v in found] == ["invalid-request-accepted"]
    assert "computer-name-prefix-length" in found[0].message and "400 InvalidParameter" in found[0].message
