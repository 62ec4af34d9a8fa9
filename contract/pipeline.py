"""The whole loop behind `vmss-contract run`: record, replay offline, check, report.

    upstream (embedded emulator | Azure) <- proxy <- driver     => cassettes/*.yaml
    replay server (offline)              <- driver (same steps) => same statuses?
    checker over the cassettes                                  => report.json / junit.xml / report.html

The driver is a plain scripted ARM client (stdlib `urllib`, no Azure SDK needed),
so the README's first command works on a base install. Each request it sends is
fixed before recording starts (fuzzed payloads are drawn once, up front), so the
replay phase sends exactly the recorded requests in the recorded order.
"""
from __future__ import annotations

import json
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

COMPUTE_API = "2024-07-01"
RESOURCES_API = "2022-09-01"
NETWORK_API = "2023-11-01"
PUBLIC_IP_API = "2017-03-30"  # the VMSS public-IP list is served at this version (ARM-FACTS)
DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "vmss-contract-run"
DEFAULT_LOCATION = "westus"
ARM_SCOPE = "https://management.azure.com/.default"
LOCAL_TOKEN = "vmss-contract-local-token"  # the emulator wants a bearer token, any will do
TERMINAL = {"succeeded", "failed", "canceled"}
MAX_POLLS = 60

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- the client


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON or None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


class ArmClient:
    """Just enough of an ARM client: JSON in/out, bearer token, LRO polling that never sleeps 30 s."""

    def __init__(self, base_url: str, ca_path: str | None, token: str, timeout: float = 60) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
        self.sent = 0
        self.last: Answer | None = None

    def send(self, method: str, path_or_url: str, body: Any = None) -> Answer:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        if not url.startswith(self.base_url + "/"):
            raise ValueError(f"refusing to send the token outside {self.base_url}: {url}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        self.sent += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as response:
                answer = Answer(response.status, dict(response.headers.items()), _json(response.read()))
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, dict(error.headers.items()), _json(error.read()))
        self.last = answer
        return answer

    def wait(self, answer: Answer) -> Answer | None:
        """Follow a long-running answer to its end as azure-core does: status URL, then `monitor=true` Location once."""
        status_url = answer.header("Azure-AsyncOperation")
        location = answer.header("Location")
        if not status_url and not location:
            return None
        final: Answer | None = None
        if status_url:
            for _ in range(MAX_POLLS):
                final = self.send("GET", status_url)
                state = str((final.body or {}).get("status", "")).lower() if isinstance(final.body, dict) else ""
                if final.status >= 400 or state in TERMINAL:
                    break
                _pause(final)
        if location and answer.status == 202:
            final = self.send("GET", location)
        return final


def _pause(answer: Answer) -> None:
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = answer.header(name)
        if value and value.strip().isdigit():
            time.sleep(min(int(value), 5000) / 1000)
            return
    value = answer.header("Retry-After")
    time.sleep(min(int(value), 5) if value and value.strip().isdigit() and int(value) > 0 else 0.05)


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# --------------------------------------------------------------------------- the plan


@dataclass
class Step:
    """One request of the run and the statuses that count as the contract holding."""

    name: str
    method: str
    path: str
    body: Any = None
    expect: tuple[int, ...] = (200,)
    group: str = "lifecycle"
    follow: bool = False  # a long-running operation: poll it to the end
    expect_code: str | None = None  # for refusals: the CloudError code ARM must give
    # Steps that depend on this one's answer (read-only runs): run next, and kept in the
    # phase's step list so that replay sends exactly them.
    expand: Callable[[Answer], list[Step]] | None = field(default=None, repr=False, compare=False)


@dataclass
class StepResult:
    step: Step
    status: int
    final: str | None  # terminal LRO status, when followed
    error_code: str | None
    ok: bool
    statuses: list[int] = field(default_factory=list)  # every answer, polls included (for replay comparison)


@dataclass
class Target:
    subscription: str = DEFAULT_SUBSCRIPTION
    resource_group: str = DEFAULT_RESOURCE_GROUP
    location: str = DEFAULT_LOCATION

    @property
    def rg_path(self) -> str:
        return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"

    def vmss(self, name: str, suffix: str = "", api: str = COMPUTE_API, query: str = "") -> str:
        return (
            f"{self.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}{suffix}"
            f"?api-version={api}{query}"
        )

    @property
    def subnet_id(self) -> str:
        return f"{self.rg_path}/providers/Microsoft.Network/virtualNetworks/vmss-contract-vnet/subnets/default"


def scale_set_body(target: Target, name: str, capacity: int = 2, public_ip: bool = False) -> dict[str, Any]:
    """A Linux scale set in Manual upgrade mode, the shape of the documented ssh example."""
    ip_config: dict[str, Any] = {"name": f"{name}-ip", "properties": {"subnet": {"id": target.subnet_id}, "primary": True}}
    if public_ip:
        ip_config["properties"]["publicIPAddressConfiguration"] = {
            "name": f"{name}-pip", "properties": {"idleTimeoutInMinutes": 15}
        }
    return {
        "location": target.location,
        "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": capacity},
        "properties": {
            "overprovision": False,
            "singlePlacementGroup": True,
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {
                    "computerNamePrefix": name[:9],
                    "adminUsername": "azureuser",
                    "linuxConfiguration": {
                        "disablePasswordAuthentication": True,
                        "ssh": {"publicKeys": [{
                            "path": "/home/azureuser/.ssh/authorized_keys",
                            "keyData": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2m2f0XHwKXs1N0Ov1sZ0rB3vZ3n9m2o0g5n8yJ6wK vmss-contract",
                        }]},
                    },
                },
                "storageProfile": {
                    "imageReference": {
                        "publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                        "sku": "22_04-lts-gen2", "version": "latest",
                    },
                    "osDisk": {"createOption": "FromImage", "caching": "ReadWrite",
                               "managedDisk": {"storageAccountType": "Standard_LRS"}},
                },
                "networkProfile": {"networkInterfaceConfigurations": [{
                    "name": f"{name}-nic",
                    "properties": {"primary": True, "ipConfigurations": [ip_config]},
                }]},
            },
        },
    }


def lifecycle_steps(target: Target, name: str = "vmss-contract-1") -> list[Step]:
    """Create, read, scale, change the model, upgrade, reimage, per-VM update, run commands,
    public IPs, refused requests, delete: every documented operation, in an order ARM allows; then
    one scale set created the way `az vmss create` does it, through a template deployment."""
    t, body = target, scale_set_body(target, name, capacity=2, public_ip=True)
    changed = json.loads(json.dumps(body))
    changed["properties"]["virtualMachineProfile"]["storageProfile"]["imageReference"]["version"] = "22.04.202411010"
    vm0 = lambda suffix="", **kw: t.vmss(name, "/virtualMachines/0" + suffix, **kw)  # noqa: E731
    nic = body["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"]
    run_command = {"location": t.location, "properties": {"source": {"script": "echo hello"}, "asyncExecution": False}}
    return [
        Step("resource group", "PUT", f"{t.rg_path}?api-version={RESOURCES_API}", {"location": t.location}, (200, 201), "setup"),
        Step("get before create", "GET", t.vmss(name), expect=(404,)),
        Step("create", "PUT", t.vmss(name), body, (201,), follow=True),
        Step("get", "GET", t.vmss(name)),
        Step("list in resource group", "GET", f"{t.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version={COMPUTE_API}"),
        Step("instance view", "GET", t.vmss(name, "/instanceView")),
        Step("list VMs", "GET", t.vmss(name, "/virtualMachines")),
        Step("VM get", "GET", vm0()),
        Step("VM instance view", "GET", vm0("/instanceView")),
        Step("scale out (PATCH)", "PATCH", t.vmss(name), {"sku": {"capacity": 3}}, follow=True),
        Step("list VMs after scale", "GET", t.vmss(name, "/virtualMachines")),
        Step("model change (PUT)", "PUT", t.vmss(name), changed, (200,), follow=True),
        Step("VMs behind the model", "GET", t.vmss(name, "/virtualMachines")),
        Step("manual upgrade", "POST", t.vmss(name, "/manualupgrade"), {"instanceIds": ["0", "1"]}, (200, 202), follow=True),
        Step("reimage", "POST", t.vmss(name, "/reimage"), {"instanceIds": ["0"]}, (200, 202), follow=True),
        Step("VMs on the new model", "GET", t.vmss(name, "/virtualMachines")),
        Step("VM update (PUT)", "PUT", vm0(), {"location": t.location, "properties": {
            "networkProfileConfiguration": {"networkInterfaceConfigurations": nic}}}, (200, 202), follow=True),
        Step("public IPs", "GET", t.vmss(name, "/publicipaddresses", api=PUBLIC_IP_API)),
        Step("run command create", "PUT", vm0("/runCommands/hello"), run_command, (201,), follow=True),
        Step("run command update", "PUT", vm0("/runCommands/hello"), run_command, (200,), follow=True),
        Step("run command get", "GET", vm0("/runCommands/hello", query="&$expand=instanceView")),
        *more_operations(t, name),
        Step("singlePlacementGroup true->false", "PATCH", t.vmss(name), {"properties": {"singlePlacementGroup": False}}, follow=True),
        Step("refused: singlePlacementGroup false->true", "PATCH", t.vmss(name),
             {"properties": {"singlePlacementGroup": True}}, (400, 409), "refused"),
        Step("refused: image publisher changed", "PATCH", t.vmss(name), {"properties": {"virtualMachineProfile": {
            "storageProfile": {"imageReference": {"publisher": "MicrosoftWindowsServer"}}}}}, (400, 409), "refused"),
        Step("refused: computerNamePrefix of 16", "PUT", t.vmss(name + "-bad"), _with_prefix(body, "p" * 16), (400,), "refused"),
        Step("refused: PATCH of a missing scale set", "PATCH", t.vmss(name + "-missing"), {"sku": {"capacity": 1}}, (404,), "refused"),
        Step("refused: two script sources", "PUT", vm0("/runCommands/bad"), {"location": t.location, "properties": {
            "source": {"script": "echo a", "scriptUri": "https://example.com/a.sh"}}}, (400,), "refused"),
        Step("delete", "DELETE", t.vmss(name), expect=(200, 202, 204), follow=True),
        Step("get after delete", "GET", t.vmss(name), expect=(404,)),
        *deployment_steps(t),
    ]


def deployment_steps(target: Target, name: str = "vmss-contract-tpl") -> list[Step]:
    """How `az vmss create`, Bicep and the portal create a scale set: an ARM template deployment holding it
    (polled to its end like any long-running operation), then the scale set it made is read and deleted."""
    t, body = target, scale_set_body(target, name, capacity=1)
    resource = {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": COMPUTE_API,
                "name": "[parameters('vmssName')]", "location": "[resourceGroup().location]",
                "sku": {**body["sku"], "capacity": "[parameters('instances')]"}, "properties": body["properties"]}
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"vmssName": {"type": "string"},
                       "instances": {"type": "int", "defaultValue": 1, "minValue": 0, "maxValue": 100}},
        "resources": [resource],
        "outputs": {"vmssId": {"type": "string",
                               "value": "[resourceId('Microsoft.Compute/virtualMachineScaleSets', parameters('vmssName'))]"}},
    }
    deployment = {"properties": {"mode": "Incremental", "template": template,
                                 "parameters": {"vmssName": {"value": name}}}}
    path = f"{t.rg_path}/providers/Microsoft.Resources/deployments/{name}-deploy"
    return [
        Step("template deployment", "PUT", f"{path}?api-version={RESOURCES_API}", deployment, (201,), follow=True),
        Step("template deployment get", "GET", f"{path}?api-version={RESOURCES_API}"),
        Step("template deployment operations", "GET",
             f"{t.rg_path}/deployments/{name}-deploy/operations?api-version={RESOURCES_API}"),
        Step("scale set from the template", "GET", t.vmss(name)),
        Step("delete the template's scale set", "DELETE", t.vmss(name), expect=(200, 202, 204), follow=True),
    ]


def more_operations(t: Target, name: str) -> list[Step]:
    """The rest of what the spec documents and ARM offers on a running scale set: listings,
    power actions, per-VM actions, extensions, run-command housekeeping, NICs, scale-in."""
    vm0 = lambda suffix="", **kw: t.vmss(name, "/virtualMachines/0" + suffix, **kw)  # noqa: E731
    sub = f"/subscriptions/{t.subscription}/providers/Microsoft.Compute"
    health = {"properties": {"publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux",
                             "typeHandlerVersion": "1.0", "autoUpgradeMinorVersion": True,
                             "settings": {"protocol": "tcp", "port": 22}}}
    action = lambda label, verb, body=None: Step(label, "POST", t.vmss(name, "/" + verb), body, (200, 202), follow=True)  # noqa: E731
    vm_action = lambda label, verb: Step(label, "POST", vm0("/" + verb), None, (200, 202), follow=True)  # noqa: E731
    return [
        Step("list in subscription", "GET", f"{sub}/virtualMachineScaleSets?api-version={COMPUTE_API}"),
        Step("list by location", "GET", f"{sub}/locations/{t.location}/virtualMachineScaleSets?api-version={COMPUTE_API}"),
        Step("SKUs", "GET", t.vmss(name, "/skus")),
        Step("OS upgrade history", "GET", t.vmss(name, "/osUpgradeHistory")),
        Step("NICs", "GET", t.vmss(name, "/networkInterfaces", api=PUBLIC_IP_API)),
        Step("VM NICs", "GET", vm0("/networkInterfaces", api=PUBLIC_IP_API)),
        action("power off", "poweroff"),
        action("start", "start"),
        action("restart", "restart"),
        action("deallocate", "deallocate"),
        action("start after deallocate", "start"),
        action("redeploy", "redeploy"),
        action("reimage all", "reimageall"),
        vm_action("VM restart", "restart"),
        vm_action("VM power off", "poweroff"),
        vm_action("VM start", "start"),
        vm_action("VM reimage", "reimage"),
        Step("extension create", "PUT", t.vmss(name, "/extensions/health"), health, (201,), follow=True),
        Step("extension get", "GET", t.vmss(name, "/extensions/health")),
        Step("extension list", "GET", t.vmss(name, "/extensions")),
        Step("extension delete", "DELETE", t.vmss(name, "/extensions/health"), expect=(200, 202, 204), follow=True),
        Step("run command list", "GET", vm0("/runCommands")),
        Step("run command patch", "PATCH", vm0("/runCommands/hello"), {"properties": {"timeoutInSeconds": 120}},
             (200,), follow=True),
        Step("run command delete", "DELETE", vm0("/runCommands/hello"), expect=(200, 202, 204), follow=True),
        action("scale in (delete instance 1)", "delete", {"instanceIds": ["1"]}),
        Step("VMs after scale in", "GET", t.vmss(name, "/virtualMachines")),
        Step("get after scale in", "GET", t.vmss(name)),
    ]


def _with_prefix(body: dict[str, Any], prefix: str) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    out["properties"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"] = prefix
    return out


def readonly_steps(target: Target, per_scale_set: int = 3) -> list[Step]:
    """What a read-only run against a real subscription may do: look, never touch. The list
    answer decides what else to read (each scale set's model, instance view and VMs)."""

    def look_closer(answer: Answer) -> list[Step]:
        found = answer.body.get("value", []) if isinstance(answer.body, dict) else []
        names = [v["name"] for v in found if isinstance(v, dict) and isinstance(v.get("name"), str)]
        return [Step(f"{what} {name}", "GET", target.vmss(name, suffix))
                for name in names[:per_scale_set]
                for what, suffix in (("get", ""), ("instance view", "/instanceView"), ("list VMs", "/virtualMachines"))]

    return [
        Step("list in resource group", "GET",
             f"{target.rg_path}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version={COMPUTE_API}",
             expect=(200, 404), expand=look_closer),
    ]


def fuzz_steps(target: Target, examples: int, seed: int) -> list[Step]:
    """Generated create payloads, drawn once: valid ones must be created (201) on fresh scale
    sets, then deleted; invalid ones must be refused with the status and code they name."""
    if examples <= 0:
        return []
    operation = "VirtualMachineScaleSets_CreateOrUpdate"
    valid, invalid = _draw_payloads(operation, examples, seed, target)
    steps: list[Step] = []
    for i, payload in enumerate(valid):
        name = f"vmss-fuzz-{i}"
        payload = {**payload, "location": target.location}  # beside its subnet: Azure refuses another region
        steps.append(Step(f"fuzz valid #{i}", "PUT", target.vmss(name), payload, (201,), "fuzz-valid", True))
        steps.append(Step(f"fuzz cleanup #{i}", "DELETE", target.vmss(name), expect=(200, 202, 204), group="cleanup", follow=True))
    for i, bad in enumerate(invalid):
        steps.append(Step(f"fuzz invalid #{i}: {bad.rule} at {bad.path}"[:90], "PUT",
                          target.vmss(f"vmss-fuzz-bad-{i}", api=bad.api_version or COMPUTE_API), bad.payload,
                          (bad.status,), "fuzz-invalid", expect_code=bad.code))
    return steps


def _draw_payloads(operation_id: str, examples: int, seed: int,
                   target: Target | None = None) -> tuple[list[Any], list[Any]]:
    """Draw from `contract.strategies` once, deterministically (seeded, no example database),
    so that recording and replay send the very same bodies. Valid bodies name only the target's
    own subnet (`network_steps` made it), since Azure refuses a reference to anything missing."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    from contract import strategies

    def draw(strategy: Any) -> list[Any]:
        drawn: list[Any] = []

        @hseed(seed)
        @settings(max_examples=examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(value: Any) -> None:
            drawn.append(value)

        collect()
        return drawn[:examples]

    network = None
    if target is not None:
        vnet = target.subnet_id.rsplit("/subnets/", 1)[0].rsplit("/", 1)[1]
        network = strategies.NetworkContext(target.subscription, target.resource_group, vnet, ("default",),
                                            "lb", "agw", "kv")
    valid = draw(strategies.valid_payloads(operation_id, COMPUTE_API, network=network, references=network is None))
    invalid = draw(strategies.invalid_payloads(operation_id, COMPUTE_API))
    return valid, invalid


# --------------------------------------------------------------------------- running steps


def run_steps(client: ArmClient, steps: Iterable[Step], progress: Progress | None = None,
              into: list[StepResult] | None = None) -> list[StepResult]:
    """Send each step (following long-running ones); `result.step` lists what was actually sent.
    Results are appended to `into` as they come, so a failure midway still says what was done."""
    results = into if into is not None else []
    queue = list(steps)
    while queue:
        step = queue.pop(0)
        if progress:
            progress(step.name)
        before = client.sent
        answer = client.send(step.method, step.path, step.body)
        statuses = [answer.status]
        final_state = None
        if step.follow and answer.status < 300:
            final = client.wait(answer)
            if final is not None:
                statuses.append(final.status)
                if isinstance(final.body, dict) and "status" in final.body:
                    final_state = str(final.body["status"])
        code = answer.body["error"].get("code") if isinstance(answer.body, dict) and isinstance(answer.body.get("error"), dict) else None
        ok = (answer.status in step.expect and (final_state is None or final_state.lower() == "succeeded")
              and (step.expect_code is None or code == step.expect_code))
        result = StepResult(step, answer.status, final_state, code, ok, statuses)
        result.statuses.insert(0, client.sent - before)  # request count first: replay must match it too
        results.append(result)
        if step.expand is not None and 200 <= answer.status < 300:
            queue[0:0] = step.expand(answer)
    return results


# --------------------------------------------------------------------------- the pipeline


@dataclass
class Phase:
    name: str
    steps: list[Step]
    cassette: Path
    recorded: list[StepResult] = field(default_factory=list)
    replayed: list[StepResult] = field(default_factory=list)
    record_seconds: float = 0.0
    replay_seconds: float = 0.0

    @property
    def replay_matches(self) -> bool:
        return [(r.status, r.statuses) for r in self.recorded] == [(r.status, r.statuses) for r in self.replayed]


@dataclass
class RunResult:
    out: Path
    phases: list[Phase]
    report: Any
    files: dict[str, Path]
    upstream: str
    seconds: float

    @property
    def unexpected(self) -> list[StepResult]:
        return [r for p in self.phases for r in p.recorded if not r.ok]

    @property
    def replay_ok(self) -> bool:
        return all(p.replay_matches for p in self.phases)

    @property
    def holds(self) -> bool:
        return not list(self.report.violations) and not self.unexpected and self.replay_ok


def _start(factory: Any, tls_dir: Path) -> Any:
    from contract.servers import BackgroundServer

    return BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()


def _token(local: bool) -> str:
    if local:
        return LOCAL_TOKEN
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:  # pragma: no cover - depends on extras
        raise RuntimeError("recording from Azure needs azure-identity: pip install 'vmss-contract[azure]'") from exc
    try:
        return DefaultAzureCredential().get_token(ARM_SCOPE).token
    except Exception as exc:  # azure-identity raises its own types; the user needs one clear line
        raise RuntimeError(f"could not get a token for {ARM_SCOPE} (az login, or set AZURE_CLIENT_ID/"
                           f"AZURE_TENANT_ID/AZURE_CLIENT_SECRET): {str(exc).splitlines()[0]}") from exc


def network_steps(target: Target) -> list[Step]:
    """Azure checks that the subnet a scale set names exists (so does the emulator, with
    network_integrity): make it first."""
    vnet = target.subnet_id.rsplit("/subnets/", 1)[0]
    body = {"location": target.location, "properties": {
        "addressSpace": {"addressPrefixes": ["10.42.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.42.0.0/24"}}]}}
    return [Step("virtual network", "PUT", f"{vnet}?api-version={NETWORK_API}", body, (200, 201), "setup", True)]


def plan(target: Target, local: bool, allow_writes: bool, examples: int, seed: int,
         network: bool = False) -> list[tuple[str, list[Step]]]:
    """The phases of a run, one cassette each; `network` adds the virtual network real Azure needs."""
    if not local and not allow_writes:
        return [("readonly", readonly_steps(target))]
    lifecycle = lifecycle_steps(target)
    if network:
        lifecycle[1:1] = network_steps(target)  # right after the resource group
    phases = [("lifecycle", lifecycle)]
    fuzz = fuzz_steps(target, examples, seed)
    if fuzz:
        phases.append(("fuzz", fuzz))
    return phases


def run_pipeline(
    out: str | Path,
    *,
    upstream: str | None = None,
    upstream_ca: str | None = None,
    target: Target | None = None,
    allow_writes: bool = False,
    examples: int = 3,
    seed: int = 0,
    lro_polls: int = 1,
    progress: Callable[[str, str], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> RunResult:
    """Record every phase through the proxy, replay it offline, check it, write the reports."""
    from contract import proxy, replay

    started = time.perf_counter()
    out = Path(out)
    target = target or Target()
    local = upstream is None
    loopback = local or is_loopback(str(upstream))
    token = _token(loopback)
    if not local:
        from contract.upstream import unreachable_cause

        cause = unreachable_cause(str(upstream), upstream_ca, token)
        if cause:
            raise RuntimeError(f"cannot record from {upstream}: {cause}")
    cassette_dir = out / "cassettes"
    cassette_dir.mkdir(parents=True, exist_ok=True)
    phases = [Phase(name, steps, cassette_dir / f"{name}.yaml") for name, steps in plan(target, local, allow_writes, examples, seed, network=True)]
    if on_plan:
        on_plan(2 * sum(len(p.steps) for p in phases))
    with tempfile.TemporaryDirectory(prefix="vmss-contract-tls-") as tls:
        tls_dir = Path(tls)
        emulator = None
        if local:
            from contract.emulator import create_app as emulator_app

            emulator = _start(lambda: emulator_app(lro_polls=lro_polls, network_integrity=True), tls_dir)
            upstream, upstream_ca = emulator.url, str(emulator.ca_path)
        assert upstream is not None
        group_created = False
        try:
            for phase in phases:
                if phase.cassette.exists():
                    phase.cassette.unlink()
                recorder = _start(lambda p=phase: proxy.create_app(
                    str(p.cassette), upstream, upstream_ca=upstream_ca, record_mode="all",
                    read_only=not (local or allow_writes),
                    allow_resource_groups=() if local else (target.resource_group,),
                ), tls_dir)
                clock = time.perf_counter()
                try:
                    client = ArmClient(recorder.url, str(recorder.ca_path), token)
                    tag = _tag(progress, f"record {phase.name}")
                    try:
                        run_steps(client, phase.steps, tag, into=phase.recorded)
                    finally:
                        # What was sent, expansions included and without them: replay sends exactly this.
                        phase.steps = [replace(r.step, expand=None) for r in phase.recorded]
                        # Whatever happened, leave nothing behind; the cleanup is recorded and replayed too.
                        group_created = group_created or any(
                            r.step.group == "setup" and r.step.method == "PUT" and r.status == 201 for r in phase.recorded)
                        last = phase is phases[-1]
                        cleanup = cleanup_steps(target, phase.steps, phase.recorded,
                                                delete_group=group_created and last and not local)
                        phase.steps.extend(cleanup)
                        if cleanup and on_plan:
                            on_plan(2 * sum(len(p.steps) for p in phases))
                        run_steps(client, cleanup, tag, into=phase.recorded)
                finally:
                    recorder.stop()
                    phase.record_seconds = time.perf_counter() - clock
        finally:
            if emulator is not None:
                emulator.stop()  # from here on nothing answers but the cassettes
        for phase in phases:
            clock = time.perf_counter()
            server = _start(lambda p=phase: replay.create_app([str(p.cassette)], fallback="error"), tls_dir)
            try:
                client = ArmClient(server.url, str(server.ca_path), token)
                phase.replayed = run_steps(client, phase.steps, _tag(progress, f"replay {phase.name}"))
            finally:
                server.stop()
                phase.replay_seconds = time.perf_counter() - clock
    report, files = write_reports(out, [p.cassette for p in phases])
    return RunResult(out, phases, report, files, "emulator" if local else str(upstream), time.perf_counter() - started)


def is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def cleanup_steps(target: Target, steps: list[Step], results: list[StepResult], delete_group: bool = False) -> list[Step]:
    """DELETEs for every scale set these steps created and did not delete, and the resource
    group when asked (on a real subscription, after the last phase, if this run created it)."""
    alive: dict[str, str] = {}
    for step, result in zip(steps, results):
        path = step.path.split("?", 1)[0]
        if "/virtualMachineScaleSets/" not in path or path.count("/") != 8:
            continue
        if step.method == "PUT" and 200 <= result.status < 300:
            alive[path.lower()] = step.path
        elif step.method == "DELETE" and 200 <= result.status < 300:
            alive.pop(path.lower(), None)
    steps_out = [Step(f"cleanup {p.split('/')[-1].split('?')[0]}", "DELETE", p, expect=(200, 202, 204),
                      group="cleanup", follow=True) for p in alive.values()]
    if delete_group:
        steps_out.append(Step("cleanup resource group", "DELETE", f"{target.rg_path}?api-version={RESOURCES_API}",
                              expect=(200, 202), group="cleanup", follow=True))
    return steps_out


def _tag(progress: Callable[[str, str], None] | None, phase: str) -> Progress | None:
    if progress is None:
        return None
    return lambda step: progress(phase, step)


def write_reports(out: Path, cassettes: list[Path]) -> tuple[Any, dict[str, Path]]:
    """Check the cassettes and write report.json, junit.xml and report.html beside them."""
    from contract import check, report as render

    result = check([str(c) for c in cassettes])
    files = {"json": out / "report.json", "junit": out / "junit.xml", "html": out / "report.html"}
    files["json"].write_text(render.render_json(result), encoding="utf-8")
    files["junit"].write_text(render.render_junit(result), encoding="utf-8")
    files["html"].write_text(_render_html(render, result, cassettes), encoding="utf-8")
    return result, files


def _render_html(render: Any, result: Any, cassettes: list[Path]) -> str:
    if hasattr(render, "render_html"):
        try:
            return str(render.render_html(result, [str(c) for c in cassettes]))
        except TypeError:  # a delegate that takes only the report
            pass
    from contract.report_html import render_html

    return render_html(result, [str(c) for c in cassettes])
