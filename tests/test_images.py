"""The platform image catalogue: its data, `latest`, extension from a file, and Azure's refusal of a
scale set naming an image outside it (404 PlatformImageNotFound, target imageReference)."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from contract.emulator import create_app
from contract.emulator.images import Catalogue, builtin, is_platform_reference, urn, version_key
from contract.servers import BackgroundServer
from support import network_request

SUB = "00000000-0000-0000-0000-0000000000ac"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-images"
VMSS = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/web"
AUTH = {"Authorization": "Bearer test"}
RECORDINGS = Path(__file__).parent / "data" / "recordings"


def body(image: dict[str, Any]) -> dict[str, Any]:
    return {"location": "westus", "sku": {"name": "Standard_D2s_v3", "capacity": 1}, "properties": {
        "upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser", "adminPassword": "Secret#Pass123"},
            "storageProfile": {"imageReference": image, "osDisk": {"createOption": "FromImage"}},
            "networkProfile": {"networkInterfaceConfigurations": [{"name": "n", "properties": {"primary": True,
                "ipConfigurations": [{"name": "i", "properties": {"subnet": {"id": f"{RG}/providers/Microsoft.Network/"
                                                                                    "virtualNetworks/v/subnets/s"}}}]}}]}}}}


def call(base: str, method: str, path: str, payload: Any = None, version: str = "2024-07-01") -> requests.Response:
    return requests.request(method, f"{base}{path}?api-version={version}", json=payload, headers=AUTH, timeout=10)


def test_the_built_in_catalogue_holds_every_recorded_image_and_the_az_aliases() -> None:
    catalogue = builtin()
    recorded = set()
    for cassette in RECORDINGS.glob("*.yaml"):
        for ref in set(re.findall(r'"imageReference":\s*\{([^}]*)\}', cassette.read_text())):
            fields = dict(re.findall(r'"(publisher|offer|sku|version)":\s*"([^"]*)"', ref))
            if len(fields) == 4:
                recorded.add(tuple(fields[k] for k in ("publisher", "offer", "sku", "version")))
    assert recorded, "the recordings name platform images"
    for publisher, offer, sku, version in recorded:
        assert catalogue.resolve({"publisher": publisher, "offer": offer, "sku": sku, "version": version}), urn(
            {"publisher": publisher, "offer": offer, "sku": sku, "version": version})
    aliases = {a for image in catalogue.images for a in image.aliases}
    assert {"Ubuntu2204", "Ubuntu2404", "Debian12", "Win2019Datacenter", "Win2022Datacenter", "CentOS85Gen2",
            "RHELRaw8LVMGen2", "UbuntuLTS"} <= aliases


def test_latest_is_the_newest_version_in_numeric_order() -> None:
    assert sorted(["1.0.10", "1.0.2", "1.0.9"], key=version_key) == ["1.0.2", "1.0.9", "1.0.10"]
    ubuntu = builtin().image("canonical", "ubuntuserver", "18.04-lts")  # ARM names are case-insensitive
    assert ubuntu is not None
    assert builtin().resolve({"publisher": "Canonical", "offer": "UbuntuServer", "sku": "18.04-LTS",
                              "version": "latest"}) == (ubuntu, ubuntu.versions[-1])
    assert builtin().resolve({"publisher": "Canonical", "offer": "UbuntuServer", "sku": "18.04-LTS",
                              "version": "18.04.000000000"}) is None
    assert not is_platform_reference({"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/"
                                            "x/images/y/versions/1"})


def test_the_catalogue_is_extended_from_a_file(tmp_path: Path) -> None:
    extra = tmp_path / "images.yaml"
    extra.write_text("images:\n- {publisher: Contoso, offer: app, sku: v1, os: Linux, versions: ['1.0.2', '1.0.10']}\n"
                     "- {publisher: canonical, offer: UbuntuServer, sku: 18.04-lts, versions: ['18.04.209901010']}\n")
    catalogue: Catalogue = builtin().extended(extra)
    assert catalogue.resolve({"publisher": "contoso", "offer": "APP", "sku": "v1"})[1] == "1.0.10"
    ubuntu = catalogue.image("Canonical", "UbuntuServer", "18.04-LTS")
    assert ubuntu is not None and ubuntu.latest == "18.04.209901010" and "18.04.202305220" in ubuntu.versions
    assert builtin().image("Contoso", "app", "v1") is None  # the built-in one is untouched
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"images": [{"publisher": "P", "offer": "O", "sku": "S"}]}))
    with pytest.raises(ValueError, match="versions"):
        builtin().extended(broken)
    from contract.commands.emulate import command

    result = CliRunner().invoke(command, ["--images", str(broken), "--port", "0"])
    assert result.exit_code == 2 and "--images" in result.output


def test_a_scale_set_naming_an_unknown_image_is_refused_as_azure_does(tmp_path: Path) -> None:
    extra = tmp_path / "images.json"
    extra.write_text(json.dumps([{"publisher": "Contoso", "offer": "app", "sku": "v1", "versions": ["1.0.0"]}]))
    with BackgroundServer(lambda: create_app(images=extra)) as srv:
        assert call(srv.url, "PUT", RG, {"location": "westus"}, "2022-09-01").status_code == 201
        vnet_path, vnet = network_request(f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/s")
        assert requests.put(f"{srv.url}{vnet_path}", json=vnet, headers=AUTH, timeout=10).status_code == 201
        unknown = {"publisher": "Canonical", "offer": "UbuntuServer", "sku": "12.04-LTS", "version": "latest"}
        refused = call(srv.url, "PUT", VMSS, body(unknown))
        assert refused.status_code == 404
        error = refused.json()["error"]
        assert error["code"] == "PlatformImageNotFound" and error["target"] == "imageReference"
        assert "'Canonical:UbuntuServer:12.04-LTS:latest' is not available" in error["message"]
        assert call(srv.url, "GET", VMSS).status_code == 404  # nothing was created
        ok = call(srv.url, "PUT", VMSS, body({"publisher": "contoso", "offer": "app", "sku": "v1", "version": "latest"}))
        assert ok.status_code == 201, ok.text  # an image from the --images file
        bad_version = copy.deepcopy(body({"publisher": "Contoso", "offer": "app", "sku": "v1", "version": "9.9.9"}))
        assert call(srv.url, "PUT", VMSS + "2", bad_version).json()["error"]["code"] == "PlatformImageNotFound"
        gallery = {"id": f"{RG}/providers/Microsoft.Compute/galleries/g/images/i/versions/1.0.0"}
        other = call(srv.url, "PUT", VMSS.replace("/web", "/gal"), body(gallery))
        assert other.status_code == 201, other.text  # a gallery image is not the catalogue's business
