"""The real Azure CLI (azure-cli from PyPI) against the emulator and its identity provider over TLS, offline.

az lives in a venv of its own (`.venv-az`, made by .ci/run: its pins clash with ours); set
`VMSS_CONTRACT_AZ` to use another az. It runs exactly the recipe `vmss-contract env az` prints,
with HTTPS_PROXY/HTTP_PROXY pointed at a dead local port and only loopback exempt, so any request
that tried to leave the machine would fail: the journey passing proves the traffic stayed on loopback.
Every ARM request az sent is then judged by the checker.
In CI (CI=true) a missing az is a failure, not a skip.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from contract.azcli import SUBSCRIPTION, az_recipe
from contract.checker import check
from contract.emulator import create_app
from contract.identity import mount_identity
from contract.network_setup import scale_set_network
from contract.arm_client import ArmClient
from contract.journeys import Target, scale_set_body
from contract.servers import BackgroundServer
from support import Capture, assert_no_violations

REPO = Path(__file__).resolve().parent.parent
GROUP = "az-offline"
SCALE_SET = "azvmss"
COMPUTE_API = "2024-07-01"
# Given, so az never writes ~/.ssh (--generate-ssh-keys would).
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2m2f0XHwKXs1N0Ov1sZ0rB3vZ3n9m2o0g5n8yJ6wK vmss-contract"


def find_az() -> Path | None:
    configured = os.environ.get("VMSS_CONTRACT_AZ")
    candidates = [Path(configured)] if configured else [REPO / ".venv-az" / "bin" / "az"]
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


AZ = find_az()
if AZ is None:
    reason = ("the real az CLI is not installed: .ci/run puts azure-cli in .venv-az "
              "(python3 -m venv .venv-az && .venv-az/bin/pip install azure-cli==<the azcli extra's pin>), "
              "or set VMSS_CONTRACT_AZ")
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def dead_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Az:
    """Runs az with the recipe's environment and keeps what each command took."""

    executable: Path
    env: dict[str, str]
    timings: list[tuple[str, float, int]] = field(default_factory=list)

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        started = time.perf_counter()
        done = subprocess.run([str(self.executable), *args], env=self.env, capture_output=True, text=True,
                              timeout=180, stdin=subprocess.DEVNULL)
        self.timings.append((" ".join(args[:3]), time.perf_counter() - started, done.returncode))
        if check:
            assert done.returncode == 0, f"az {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        return done

    def json(self, *args: str) -> dict:
        return json.loads(self(*args, "--output", "json").stdout)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Capture]]:
    """The emulator with its identity provider, as `vmss-contract emulate --tls` serves it (that command's
    default is tested in test_identity.py), keeping every ARM interaction for the checker."""
    capture = Capture()

    def factory() -> web.Application:
        app = create_app()
        app.middlewares.insert(0, capture.middleware)
        return mount_identity(app)  # ahead of the capture: login traffic is not ARM traffic

    with BackgroundServer(factory, tls=True, tls_dir=tmp_path_factory.mktemp("tls")) as server:
        assert server.ca_path is not None
        yield server.url, server.ca_path, capture


def logged_in_az(url: str, ca_path: str | Path, config_dir: Path) -> Az:
    """az pointed at `url` by exactly what `vmss-contract env az` prints (cloud register, login...), offline."""
    recipe = az_recipe(url, ca_path, config_dir)
    proxy = f"http://127.0.0.1:{dead_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ARM_", "IDENTITY_", "MSI_"))}
    env.update(recipe.env)
    env.update({"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "http_proxy": proxy,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    runner = Az(AZ, env)  # type: ignore[arg-type]
    for command in recipe.commands:
        assert command[0] == "az"
        runner(*command[1:])
    return runner


@pytest.fixture(scope="module")
def az(emulator: tuple[str, Path, Capture], tmp_path_factory: pytest.TempPathFactory) -> Az:
    url, ca_path, _ = emulator
    return logged_in_az(url, ca_path, tmp_path_factory.mktemp("azure-config"))


def test_az_cli_runs_the_scale_set_journey_offline(az: Az, emulator: tuple[str, Path, Capture]) -> None:
    url, ca_path, capture = emulator
    account = az.json("account", "show")
    assert (account["id"], account["environmentName"]) == (SUBSCRIPTION, "VmssContract")
    assert account["user"] == {"name": "vmss-contract-app", "type": "servicePrincipal"}

    group = az.json("group", "create", "--name", GROUP, "--location", "westus")
    assert group["properties"]["provisioningState"] == "Succeeded"
    assert az("group", "exists", "--name", GROUP).stdout.strip() == "true"
    tagged = az.json("group", "update", "--name", GROUP, "--tags", "team=contract")  # GET, then PATCH
    assert tagged["tags"] == {"team": "contract"}
    compute = az.json("provider", "show", "--namespace", "Microsoft.Compute")
    assert compute["registrationState"] == "Registered"
    assert "virtualMachineScaleSets" in {t["resourceType"] for t in compute["resourceTypes"]}

    # The scale set itself comes from a direct PUT through our own client (az vmss create needs templates).
    arm = ArmClient(url, str(ca_path), token="local")
    target = Target(resource_group=GROUP, location="westus")
    body = scale_set_body(target, SCALE_SET, capacity=2)
    for path, resource in scale_set_network(body):  # the subnet it names first: Azure refuses a missing one
        if "/providers/" in path:  # (the group is az's)
            made = arm.send("PUT", path, resource)
            assert made.status in (200, 201), made.body
            arm.wait(made)
    created = arm.send("PUT", target.vmss(SCALE_SET, api=COMPUTE_API), body)
    assert created.status == 201, created.body
    arm.wait(created)

    shown = az.json("vmss", "show", "--resource-group", GROUP, "--name", SCALE_SET)
    assert shown["sku"]["capacity"] == 2 and shown["provisioningState"] == "Succeeded"

    scaled = az.json("vmss", "scale", "--resource-group", GROUP, "--name", SCALE_SET, "--new-capacity", "3")
    assert scaled["sku"]["capacity"] == 3
    vms = arm.send("GET", target.vmss(SCALE_SET, "/virtualMachines", api=COMPUTE_API))
    assert len(vms.body["value"]) == 3  # the emulator really scaled
    listed = az.json("resource", "list", "--resource-group", GROUP)  # the generic list, any provider
    assert sorted(r["type"] for r in listed) == ["Microsoft.Compute/virtualMachineScaleSets",
                                                 "Microsoft.Network/virtualNetworks"]
    assert SCALE_SET in {r["name"] for r in listed}

    # No --instance-ids: az sends instanceIds ["*"], every instance.
    az("vmss", "restart", "--resource-group", GROUP, "--name", SCALE_SET)
    view = arm.send("GET", target.vmss(SCALE_SET, "/virtualMachines/0/instanceView", api=COMPUTE_API))
    assert view.status == 200 and "PowerState/running" in json.dumps(view.body)

    az("vmss", "delete", "--resource-group", GROUP, "--name", SCALE_SET)
    assert arm.send("GET", target.vmss(SCALE_SET, api=COMPUTE_API)).status == 404

    # az vmss create: image look-up, then a template deployment (vnet, public IP, load balancer, NSG, scale set).
    created = az.json("vmss", "create", "--resource-group", GROUP, "--name", "made-by-az", "--image", "Ubuntu2204",
                      "--admin-username", "azureuser", "--ssh-key-values", SSH_KEY, "--instance-count", "2")
    assert created["vmss"]["provisioningState"] == "Succeeded"
    kinds = {r["type"] for r in az.json("resource", "list", "--resource-group", GROUP)}
    assert {"Microsoft.Compute/virtualMachineScaleSets", "Microsoft.Network/virtualNetworks",
            "Microsoft.Network/loadBalancers"} <= kinds

    az("group", "delete", "--name", GROUP, "--yes")
    assert arm.send("GET", f"{target.rg_path}?api-version=2022-09-01").status == 404

    print("\n".join(f"az {label}: {seconds:.2f} s (exit {code})" for label, seconds, code in az.timings))

    # Everything az sent to ARM is inside the contract and every answer keeps it.
    report = check(capture.interactions)
    assert_no_violations(report)
    assert report.outside_contract == 0 and report.checked == len(capture.interactions)


def test_a_request_that_would_leave_the_machine_fails(az: Az) -> None:
    """The control: with this environment, az cannot reach anything but loopback (the proxy is dead)."""
    done = az("rest", "--method", "get", "--skip-authorization-header",
              "--url", "https://management.azure.com/metadata/endpoints?api-version=2022-09-01", check=False)
    assert done.returncode != 0
    assert "proxy" in done.stderr.lower() or "connection" in done.stderr.lower(), done.stderr[-2000:]


def test_az_deployment_group_what_if(az: Az, emulator: tuple[str, Path, Capture], tmp_path: Path) -> None:
    """`az deployment group what-if` (POST .../whatIf, then the operationresults poll) before and after the same
    template is deployed by `az deployment group create`: Create, then NoChange; every request judged by the
    checker. Both commands splice the template file's text into the body unquoted (`..., template:{...}}}`,
    azure-cli's JsonCTemplatePolicy), which ARM's Json.NET reads and so must the emulator and the checker."""
    _, _, capture = emulator
    seen = len(capture.interactions)
    group = "az-whatif"
    az("group", "create", "--name", group, "--location", "westus")
    template = tmp_path / "vnet.json"
    template.write_text(json.dumps({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2022-01-01", "name": "wnet",
                       "location": "westus", "properties": {"addressSpace": {"addressPrefixes": ["10.9.0.0/16"]}}}]}))
    before = az.json("deployment", "group", "what-if", "--resource-group", group, "--template-file", str(template),
                     "--no-pretty-print")
    assert [(c["changeType"], c["resourceId"].rsplit("/", 1)[-1]) for c in before["changes"]] == [("Create", "wnet")]
    az("deployment", "group", "create", "--resource-group", group, "--template-file", str(template))
    after = az.json("deployment", "group", "what-if", "--resource-group", group, "--template-file", str(template),
                    "--no-pretty-print")
    assert [c["changeType"] for c in after["changes"]] == ["NoChange"]
    report = check(capture.interactions[seen:])
    assert_no_violations(report)
    assert report.outside_contract == 0
    assert any("/whatIf" in i.request.uri for i in capture.interactions[seen:])


# ----------------------------------------------------------------------------- recorded, then replayed

def is_login(interaction: Any) -> bool:
    """Login and cloud-discovery traffic: the identity provider's paths and ARM's /metadata/endpoints."""
    path = interaction.request.uri.split("?")[0].split("://", 1)[-1].partition("/")[2].lower()
    return path.startswith("identity/") or path == "metadata/endpoints"


def az_journey(az: Az) -> list[Any]:
    """Issue 12's az journey: group create, vmss create --image Ubuntu2204 (image look-up, then a template
    deployment of vnet, public IP, load balancer, NSG and scale set), vmss show, group delete."""
    seen: list[Any] = []
    group = az.json("group", "create", "--name", RECORDED_GROUP, "--location", "westus")
    seen.append(("group", group["name"], group["properties"]["provisioningState"]))
    created = az.json("vmss", "create", "--resource-group", RECORDED_GROUP, "--name", "recorded", "--image",
                      "Ubuntu2204", "--admin-username", "azureuser", "--ssh-key-values", SSH_KEY,
                      "--instance-count", "2")
    seen.append(("created", created["vmss"]["provisioningState"], created["vmss"]["orchestrationMode"]))
    shown = az.json("vmss", "show", "--resource-group", RECORDED_GROUP, "--name", "recorded")
    image = shown["virtualMachineProfile"]["storageProfile"]["imageReference"]
    seen.append(("shown", shown["sku"]["capacity"], shown["provisioningState"], image["offer"], image["sku"]))
    az("group", "delete", "--name", RECORDED_GROUP, "--yes")
    seen.append(shown)  # all of it: replay must show what the recording showed
    return seen


RECORDED_GROUP = "az-recorded"


def test_az_journey_recorded_through_the_proxy_then_replayed(tmp_path: Path) -> None:
    """The real az CLI through the recording proxy in front of the emulator (login included: the proxy passes
    /metadata/endpoints and /identity through, its answers pointing az back at the proxy), then the same az
    commands against the replay server of that cassette, which serves the identity endpoints itself."""
    from contract.azcli import CLIENT_SECRET
    from contract.cassette import load_cassette
    from sdk_clients import emulator_server, recording_proxy, replay_server

    tls_dir, cassette = tmp_path / "tls", tmp_path / "az.yaml"
    with emulator_server(tls_dir, identity=True, network_integrity=True) as emulator, \
            recording_proxy(cassette, emulator, tls_dir) as recorder:
        assert recorder.ca_path is not None
        az = logged_in_az(recorder.url, recorder.ca_path, tmp_path / "config-record")
        recorded = az_journey(az)
    assert recorded[:-1] == [("group", RECORDED_GROUP, "Succeeded"), ("created", "Succeeded", "Flexible"),
                             ("shown", 2, "Succeeded", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")]
    print("\nrecord: " + ", ".join(f"az {label} {seconds:.2f} s" for label, seconds, _ in az.timings))

    interactions = load_cassette(cassette).interactions
    login = [i for i in interactions if is_login(i)]
    assert any("/oauth2/v2.0/token" in i.request.uri for i in login)  # the login went through the recorder
    raw = cassette.read_bytes()
    assert CLIENT_SECRET.encode() not in raw and b"client_secret=Sanitized" in raw
    assert b"eyJ" not in raw  # no token (every JWT starts so): not the one issued, not one in a header
    assert b'"access_token": "Sanitized"' in raw or b'"access_token":"Sanitized"' in raw

    with replay_server(cassette, tls_dir, identity=True, may_stay_unused=is_login) as replayer:
        assert replayer.ca_path is not None
        az = logged_in_az(replayer.url, replayer.ca_path, tmp_path / "config-replay")
        replayed = az_journey(az)
    print("replay: " + ", ".join(f"az {label} {seconds:.2f} s" for label, seconds, _ in az.timings))
    assert replayed == recorded

    report = check([cassette])
    assert_no_violations(report)
    # The identity provider's traffic is not ARM's: outside the contract. ARM's cloud metadata is inside it.
    identity = [i for i in login if "/identity/" in i.request.uri]
    assert len(identity) == len(login) - 1 and report.outside_contract == len(identity), report.outside
    assert report.checked == len(interactions) - len(identity)
    print(f"{cassette.name}: {len(interactions)} interactions ({len(login)} login), {report.checked} checked, "
          f"{len(report.violations)} violations")
