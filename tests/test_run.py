"""`vmss-contract run`: the README's first command, end to end on real servers, plus the shipped cassettes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from contract import check
from contract.cassette import load_cassette
from contract.arm_client import LOCAL_TOKEN, ArmClient
from contract.journeys import Target, lifecycle_steps
from contract.pipeline import run_pipeline, run_steps
from contract.servers import BackgroundServer
from contract.specs import load_spec

ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "cassettes"
SECRET_KEYS = {"adminPassword", "customData", "protectedSettings", "protectedParameters", "runAsPassword"}

DOCUMENTED = {
    "VirtualMachineScaleSets_CreateOrUpdate", "VirtualMachineScaleSets_Update", "VirtualMachineScaleSets_Get",
    "VirtualMachineScaleSets_Delete", "VirtualMachineScaleSets_GetInstanceView", "VirtualMachineScaleSets_UpdateInstances",
    "VirtualMachineScaleSets_Reimage", "VirtualMachineScaleSetVMs_List", "VirtualMachineScaleSetVMs_Get",
    "VirtualMachineScaleSetVMs_GetInstanceView", "VirtualMachineScaleSetVMs_Update",
    "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate", "VirtualMachineScaleSetVMRunCommands_Get",
    "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses",
}

# Issue 16: `run` exercises >= 90% of the documented (operation, status) pairs and >= 95% of the operations
# (on 2026-12-04: 340 of 343 pairs, 231 of 231 operations). A new operation in specs/ needs its journey.
PAIRS_FLOOR = 0.90
OPERATIONS_FLOOR = 0.95


def _cli(*args: str, timeout: float = 300, columns: int = 160) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("AZURE_SUBSCRIPTION_ID", None)
    return subprocess.run([sys.executable, "-m", "contract", "run", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def _secrets(value: Any, inside: bool = False) -> list[str]:
    """Every string (6+ characters) sent at or under a secret key, anywhere in a body."""
    if isinstance(value, str):
        return [value] if inside and len(value) >= 6 else []
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in _secrets(item, inside or key in SECRET_KEYS)]
    if isinstance(value, list):
        return [s for item in value for s in _secrets(item, inside)]
    return []


def test_the_lifecycle_plan_touches_every_documented_operation() -> None:
    spec = load_spec()
    seen = set()
    for step in lifecycle_steps(Target()):
        match = spec.match(step.method, step.path.split("?", 1)[0])
        if step.group == "setup":
            assert match is not None and match.operation.operation_id.startswith("ResourceGroups_")
            continue
        assert match is not None, f"{step.name}: {step.method} {step.path} is not a documented operation"
        seen.add(match.operation.operation_id)
    assert DOCUMENTED <= seen, DOCUMENTED - seen


def test_run_on_a_fresh_machine_exits_0_and_writes_every_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _cli("--out", str(out), columns=80)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    assert "the contract holds" in done.stdout
    assert "identical" in done.stdout  # the offline replay reproduced every recorded answer
    # Readable in an 80-column terminal, and the counts explain themselves: the bar counts steps
    # (recorded + replayed), the table both steps and requests, and each outside interaction says why.
    wide = [line for line in done.stdout.splitlines() if len(line) > 80]
    assert not wide, wide
    said = " ".join(done.stdout.split())
    assert "steps as" in said and "requests" in said and "polls included" in said
    for outside in json.loads((out / "report.json").read_text())["outside"]:  # each one named, with why
        assert outside["why"] in said and outside["uri"].split("?")[0].rsplit("/", 1)[-1] in said
    from contract.journeys import plan

    journeys = [j.name for j in plan(Target(), local=True, allow_writes=False, examples=3, seed=0)]
    cassettes = sorted(p.name for p in (out / "cassettes").glob("*.yaml"))
    assert cassettes == sorted(f"{name}.yaml" for name in journeys)  # one cassette per journey
    report = json.loads((out / "report.json").read_text())
    assert report["violations"] == [] and report["cassettes"] == len(journeys) and report["checked"] > 40
    exercised = {op for op, cov in report["coverage"].items() if any(cov.get("seen", {}).values())}
    assert DOCUMENTED <= exercised, DOCUMENTED - exercised
    # The whole contract in one offline run, error statuses included (issue 16): never below the floor.
    summary = report["coverage_summary"]
    pairs, operations = summary["pairs"], summary["operations"]
    missing = sorted(f"{op} {status}" for op, cov in report["coverage"].items()
                     for status in cov.get("declared", ()) if str(status) not in cov.get("seen", {}))
    assert pairs["exercised"] >= PAIRS_FLOOR * pairs["documented"], (pairs, missing)
    assert operations["exercised"] >= OPERATIONS_FLOOR * operations["documented"], \
        (operations, sorted(set(report["coverage"]) - exercised))
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.tag in ("testsuites", "testsuite")
    assert sum(int(s.get("failures", 0)) for s in suite.iter("testsuite")) == 0
    html = (out / "report.html").read_text()
    assert "contract holds" in html and 'id="timelines"' in html and "vmss-contract-1" in html


def test_generated_secrets_never_reach_the_cassettes(tmp_path: Path) -> None:
    result = run_pipeline(tmp_path, examples=4, seed=7)
    assert result.holds, [(r.step.name, r.status, r.error_code) for r in result.unexpected]
    fuzz = next(p for p in result.phases if p.name == "fuzz")
    assert {r.step.group for r in fuzz.recorded} >= {"fuzz-valid", "fuzz-invalid"}
    assert all(r.ok for r in fuzz.recorded if r.step.group == "fuzz-invalid"), "every invalid payload is refused"
    sent = [s for phase in result.phases for step in phase.steps for s in _secrets(step.body)]
    assert sent, "the fuzzed payloads carry secrets worth scrubbing"
    for phase in result.phases:
        raw = phase.cassette.read_text(encoding="utf-8")
        leaked = [s for s in sent if s in raw]
        assert not leaked, f"{phase.cassette.name} holds secrets: {leaked[:3]}"


def test_bad_input_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    done = _cli("--examples", "-1", "--out", str(tmp_path))
    assert done.returncode == 2 and "--examples" in done.stderr
    missing = _cli("--upstream", "https://127.0.0.1:9", "--upstream-ca", str(tmp_path / "nope.pem"))
    assert missing.returncode == 2 and "nope.pem" in missing.stderr
    azure = _cli("--upstream", "https://management.azure.com", "--out", str(tmp_path))  # before any network use
    assert azure.returncode == 2 and "needs --subscription" in azure.stderr


def test_an_external_upstream_is_read_only_unless_told(tmp_path: Path) -> None:
    """An emulator standing in for Azure: without --allow-writes nothing but reads goes out."""
    from contract.emulator import create_app

    from contract.journeys import lifecycle_steps as steps_of
    from contract.journeys import network_steps

    with tempfile.TemporaryDirectory() as tls, BackgroundServer(create_app, tls=True, tls_dir=tls) as azure:
        # Something to look at: a resource group with one scale set, made directly, not through the run.
        client = ArmClient(azure.url, str(azure.ca_path), LOCAL_TOKEN)
        existing = [s for s in steps_of(Target(), name="existing") if s.name in ("resource group", "create")]
        existing[1:1] = network_steps(Target())  # the subnet before the scale set, as Azure wants
        assert all(r.ok for r in run_steps(client, existing))
        done = _cli("--upstream", azure.url, "--upstream-ca", str(azure.ca_path), "--out", str(tmp_path / "ro"))
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        interactions = [i for c in (tmp_path / "ro" / "cassettes").glob("*.yaml") for i in load_cassette(c).interactions]
        assert {i.request.method for i in interactions} == {"GET"}
        read = {i.request.uri.split("?")[0].rsplit("virtualMachineScaleSets", 1)[-1] for i in interactions}
        assert {"/existing", "/existing/instanceView", "/existing/virtualMachines"} <= read  # the list led further
        assert run_steps(client, [s for s in steps_of(Target(), name="existing") if s.name == "delete"])[0].ok
        writes = _cli("--upstream", azure.url, "--upstream-ca", str(azure.ca_path), "--allow-writes",
                      "--examples", "1", "--out", str(tmp_path / "rw"))
        assert writes.returncode == 0, writes.stdout[-4000:] + writes.stderr[-2000:]
        # Cleanup: nothing this run created is left in the "subscription".
        client = ArmClient(azure.url, str(azure.ca_path), LOCAL_TOKEN)
        listed = client.send("GET", Target().rg_path + "/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=2024-07-01")
        assert listed.status in (200, 404)
        assert not (listed.body or {}).get("value"), listed.body


@pytest.mark.skipif(not SHIPPED.is_dir(), reason="no shipped cassettes")
def test_shipped_cassettes_hold_the_contract_and_replay_offline() -> None:
    from contract import replay

    paths = sorted(SHIPPED.glob("*.yaml"))
    assert [p.name for p in paths] == ["fuzz.yaml", "lifecycle.yaml"]
    report = check([str(p) for p in paths])
    assert report.violations == [], report.violations[:3]
    steps = lifecycle_steps(Target())
    with tempfile.TemporaryDirectory() as tls, BackgroundServer(
        lambda: replay.create_app([str(SHIPPED / "lifecycle.yaml")]), tls=True, tls_dir=tls
    ) as server:
        results = run_steps(ArmClient(server.url, str(server.ca_path), LOCAL_TOKEN), steps)
    assert [(r.step.name, r.ok) for r in results if not r.ok] == []


def _leaky_emulator() -> Any:
    """The emulator, except that it echoes an adminPassword on every scale set GET: an
    upstream that breaks the contract, to show `run` says so and exits 1."""
    from aiohttp import web

    from contract.emulator import create_app

    @web.middleware
    async def leak(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        body = getattr(response, "body", None)
        if request.method != "GET" or response.status != 200 or not isinstance(body, bytes):
            return response
        if not request.path.lower().rstrip("/").split("/")[-2:-1] == ["virtualmachinescalesets"]:
            return response
        doc = json.loads(body)
        doc["properties"]["virtualMachineProfile"]["osProfile"]["adminPassword"] = "Echoed-Passw0rd!"
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return web.Response(status=200, body=json.dumps(doc).encode(), headers=headers)

    app = create_app()
    app.middlewares.append(leak)
    return app


def test_run_exits_1_and_names_the_violation_when_the_upstream_breaks_the_contract(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory() as tls, BackgroundServer(_leaky_emulator, tls=True, tls_dir=tls) as azure:
        done = _cli("--upstream", azure.url, "--upstream-ca", str(azure.ca_path), "--allow-writes",
                    "--examples", "0", "--out", str(tmp_path))
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    assert "the contract does not hold" in done.stdout and "secret-echoed" in done.stdout
    report = json.loads((tmp_path / "report.json").read_text())
    assert {v["rule"] for v in report["violations"]} == {"secret-echoed"}
    assert b"Echoed-Passw0rd!" not in (tmp_path / "cassettes" / "lifecycle.yaml").read_bytes()  # scrubbed all the same
    html = (tmp_path / "report.html").read_text()
    assert "secret-echoed" in html and 'class="violation"' in html


def test_plans_for_a_real_subscription_are_read_only_unless_told_and_bring_their_network() -> None:
    from contract.journeys import plan

    read_only = plan(Target(), local=False, allow_writes=False, examples=2, seed=0)
    assert {s.method for journey in read_only for s in journey.steps} == {"GET"}
    writes = plan(Target(), local=False, allow_writes=True, examples=0, seed=0)
    assert all(not j.local_only for j in writes)  # an emulator-only journey never reaches Azure
    lifecycle = writes[0].steps
    assert [s.name for s in lifecycle[:3]] == ["resource group", "virtual network", "get before create"]
    subnet = Target().subnet_id
    assert lifecycle[1].path.startswith(subnet.rsplit("/subnets/", 1)[0] + "?")
    assert all(s.path.startswith(Target().rg_path) for s in lifecycle if s.method != "GET")  # writes: one group
