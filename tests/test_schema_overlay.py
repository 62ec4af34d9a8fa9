"""scripts/sdk_schema_overlay.py reads the official swagger itself: the overlay of an api-version derived from, and
our schemas compared with, that version's swagger files (here the 2024-03-01 swagger of ../shared/corpus)."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import requires

ROOT = Path(__file__).resolve().parents[1]
SWAGGER = ROOT.parent / "shared/corpus/swagger/specification/compute/resource-manager/Microsoft.Compute"
FILES = sorted((SWAGGER / "ComputeRP/stable/2024-03-01").glob("*.json")) + [SWAGGER / "common-types/v1/common.json"]


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sdk_schema_overlay", ROOT / "scripts" / "sdk_schema_overlay.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@requires(SWAGGER.is_dir(), "../shared/corpus/swagger")
def test_the_base_components_hold_exactly_the_2024_03_01_swagger_members(script) -> None:  # type: ignore[no-untyped-def]
    assert script.compare("2024-03-01", FILES) == {}
    assert script.swagger_overlay("2024-03-01", FILES)["2024-03-01"]["schemas"] == {}
    # at 2024-07-01 our schemas know what that version added, which the 2024-03-01 swagger lacks
    assert script.compare("2024-07-01", FILES) == {
        "VirtualMachineScaleSetProperties": {"missing": [], "extra": ["zonalPlatformFaultDomainAlignMode"]}}


@requires(SWAGGER.is_dir(), "../shared/corpus/swagger")
def test_a_member_the_swagger_adds_becomes_an_overlay_member_typed_from_the_swagger(script, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = []
    for f in FILES:
        copy = tmp_path / f.name
        document = json.loads(f.read_text())
        if f.name == "virtualMachineScaleSet.json":
            props = document["definitions"]["VirtualMachineScaleSetProperties"]["properties"]
            props["futureKnob"] = {"type": "boolean", "readOnly": True, "description": "planted"}
            props["futureMode"] = {"$ref": "#/definitions/FutureMode"}
            props["futurePolicy"] = {"$ref": "#/definitions/UpgradePolicy"}
            document["definitions"]["FutureMode"] = {"type": "string", "enum": ["On", "Off"]}
        copy.write_text(json.dumps(document))
        files.append(copy)
    made = script.swagger_overlay("2099-01-01", files, "planted")["2099-01-01"]
    assert made["x-source"] == "planted"
    assert made["schemas"] == {"VirtualMachineScaleSetProperties": {"properties": {
        "futureKnob": {"type": "boolean", "readOnly": True},
        "futureMode": {"type": "string"},
        "futurePolicy": {"$ref": "#/components/schemas/UpgradePolicy"}}}}
    assert script.compare("2024-07-01", files) == {"VirtualMachineScaleSetProperties": {
        "missing": ["futureKnob", "futureMode", "futurePolicy"], "extra": ["zonalPlatformFaultDomainAlignMode"]}}
    printed = subprocess.run([sys.executable, str(ROOT / "scripts" / "sdk_schema_overlay.py"), "2099-01-01", "--compare",
                              "--swagger", *map(str, files)], capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0 and "futureKnob" in printed.stdout
