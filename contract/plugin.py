"""pytest plugin (loaded through the `pytest11` entry point).

It must stay cheap and harmless for projects that never use it: nothing heavy
is imported at module level, and the hooks below do nothing for a test that
does not ask for one of the `vmss_*` fixtures.

How a test's traffic flows:

* replay (`--vmss-record-mode=none`, the default, or `once` with a cassette on
  disk): a replay server on 127.0.0.1 answers from the test's cassette; nothing
  leaves the machine and a request the cassette does not answer fails the test
  with the replay server's explanation.
* record (`once` without a cassette, `new_episodes`, `all`): the recording proxy
  sits between the client and `--vmss-upstream` and writes the cassette.

After the test body ran, the cassette is checked against the contract; in
`strict` mode a violation fails the test with a report section naming the rule,
operation, interaction and JSON path. Replay uses one server per session (per
pytest-xdist worker, on port 0) that each test points at its own cassette, so a
test's traffic, misses and verdict stay its own; recording starts a proxy (and an
emulator) per test. Every file written is the test's own cassette, so xdist
workers never share anything.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

RECORD_MODES = ("none", "once", "new_episodes", "all")
CONTRACT_MODES = ("strict", "warn", "off")
DEFAULT_UPSTREAM = "https://management.azure.com"
# `--vmss-upstream=emulator`: a fresh in-process emulator per test as the upstream.
EMULATOR_UPSTREAM = "emulator"
ZERO_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
ARM_SCOPE = "https://management.azure.com/.default"

# name -> (ini/dest name, help, default)
_OPTIONS: dict[str, tuple[str, str, str | None]] = {
    "--vmss-record-mode": (
        "vmss_record_mode",
        "none (replay only, the default) | once | new_episodes | all, as in vcrpy.",
        "none",
    ),
    "--vmss-upstream": (
        "vmss_upstream",
        f"where recordings go (default {DEFAULT_UPSTREAM}); 'emulator' records from a fresh local emulator.",
        DEFAULT_UPSTREAM,
    ),
    "--vmss-upstream-ca": ("vmss_upstream_ca", "extra CA bundle (PEM) to trust for the upstream.", None),
    "--vmss-cassette-dir": (
        "vmss_cassette_dir",
        "folder for cassettes (default: 'cassettes' beside each test module).",
        None,
    ),
    "--vmss-contract": ("vmss_contract", "strict (default) | warn | off: what contract violations do.", "strict"),
}


# --------------------------------------------------------------------------- options


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vmss-contract", "Azure VMSS record/replay and contract checks")
    for flag, (dest, help_text, default) in _OPTIONS.items():
        kwargs: dict[str, Any] = {}
        if dest == "vmss_record_mode":
            kwargs["choices"] = RECORD_MODES
        elif dest == "vmss_contract":
            kwargs["choices"] = CONTRACT_MODES
        group.addoption(flag, dest=dest, default=None, help=help_text, **kwargs)
        parser.addini(dest, help=help_text, default=default)
    group.addoption("--vmss-fail-on-drift", dest="vmss_fail_on_drift", action="store_true", default=None,
                    help="fail a test whose cassette has drift (answer members no schema of their api-version "
                         "documents); by default drift is shown in the test's report and does not fail.")
    parser.addini("vmss_fail_on_drift", "fail on drift as well as on contract violations (see --vmss-fail-on-drift).",
                  type="bool", default=False)
    parser.addini("vmss_read_only", "record mode: refuse PUT/PATCH/POST/DELETE (403), record only reads.",
                  type="bool", default=False)
    parser.addini("vmss_allow_resource_groups", "record mode: resource-group globs writes may touch (default: any).",
                  type="linelist", default=[])
    parser.addini("vmss_resource_group", "vmss_resource_group: the resource group it creates (default vmss-test-rg).",
                  default="vmss-test-rg")
    parser.addini("vmss_location", "vmss_resource_group, vmss_subnet_id: the region they are created in "
                  "(default westus).", default="westus")
    parser.addini("vmss_virtual_network", "vmss_subnet_id: the virtual network it creates (default vmss-test-vnet).",
                  default="vmss-test-vnet")
    parser.addini(
        "vmss_subscription_id",
        "subscription id used by vmss_compute_client (default: $AZURE_SUBSCRIPTION_ID, "
        "else the one in the test's cassette, else all zeros).",
        default="",
    )


@dataclass(frozen=True)
class Settings:
    record_mode: str
    upstream: str
    upstream_ca: str | None
    cassette_dir: Path | None
    contract: str
    read_only: bool = False
    allow_resource_groups: tuple[str, ...] = ()


def _option(config: pytest.Config, dest: str) -> str | None:
    value = config.getoption(dest, default=None)
    if value is None:
        value = config.getini(dest)
    return str(value) if value not in (None, "") else None


def _path_option(config: pytest.Config, dest: str) -> Path | None:
    """A path from the command line is relative to where pytest was started; from the ini
    file, relative to the ini file's folder (the rootdir when there is none)."""
    value = config.getoption(dest, default=None)
    if value:
        return Path(config.invocation_params.dir) / value
    value = config.getini(dest)
    if not value:
        return None
    return Path(config.inipath.parent if config.inipath else config.rootpath) / str(value)


def settings(config: pytest.Config) -> Settings:
    """The effective settings: command line first, then ini, then defaults."""
    record_mode = _option(config, "vmss_record_mode") or "none"
    contract = _option(config, "vmss_contract") or "strict"
    if record_mode not in RECORD_MODES:
        raise pytest.UsageError(f"vmss_record_mode must be one of {', '.join(RECORD_MODES)}, not {record_mode!r}")
    if contract not in CONTRACT_MODES:
        raise pytest.UsageError(f"vmss_contract must be one of {', '.join(CONTRACT_MODES)}, not {contract!r}")
    ca = _path_option(config, "vmss_upstream_ca")
    return Settings(
        record_mode=record_mode,
        upstream=(_option(config, "vmss_upstream") or DEFAULT_UPSTREAM).rstrip("/"),
        upstream_ca=str(ca) if ca else None,
        cassette_dir=_path_option(config, "vmss_cassette_dir"),
        contract=contract,
        read_only=bool(config.getini("vmss_read_only")),
        allow_resource_groups=tuple(config.getini("vmss_allow_resource_groups")),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "vmss(cassette=None): VMSS record/replay settings for this test; "
        "cassette names the cassette file (default: derived from the node id).",
    )
    settings(config)  # bad ini values are a usage error at start, not a failure per test
    config.pluginmanager.register(_WarnSummary(), "vmss-contract-warnings")


# --------------------------------------------------------------------------- cassette names

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]]+")


def cassette_name(nodeid: str) -> str:
    """`tests/test_a.py::TestB::test_c[x-1]` -> `TestB.test_c[x-1].yaml`.

    The module part becomes the folder (see `cassette_path`), the rest the file:
    characters a file system may refuse become `_` (plus a short digest of the
    original, so two ids never collide), so every node id maps to one stable
    file name on every platform.
    """
    raw = ".".join(nodeid.split("::")[1:] or [nodeid])
    name = _UNSAFE.sub("_", raw).strip("._") or "test"
    if name != raw:  # keep `[a/b]` and `[a b]` apart: a short digest of what was replaced
        import hashlib

        name += "-" + hashlib.sha1(raw.encode()).hexdigest()[:8]
    return f"{name}.yaml"


def cassette_path(item: pytest.Item, cassette_dir: Path | None, explicit: str | None = None) -> Path:
    """Where a test's cassette lives: `<dir>/<module stem>/<name>.yaml`.

    `<dir>` is `--vmss-cassette-dir`, else a `cassettes` folder beside the test
    module. An explicit marker name is taken relative to `<dir>` (suffix added
    when missing), so tests can share one cassette on purpose.
    """
    module = Path(str(item.path))
    base = cassette_dir if cassette_dir is not None else module.parent / "cassettes"
    if explicit:
        path = Path(explicit)
        if not path.suffix:
            path = path.with_suffix(".yaml")
        return path if path.is_absolute() else base / path
    return base / module.stem / cassette_name(item.nodeid)


# --------------------------------------------------------------------------- endpoint


@dataclass
class VmssEndpoint:
    """What a client needs to reach the test's ARM endpoint (replay server or recording proxy)."""

    url: str
    ca_path: str | None
    mode: str  # "replay" | "record"
    cassette_path: Path
    upstream: str | None = None

    @property
    def connection_verify(self) -> str | bool:
        """Value for the Azure SDK's `connection_verify=` (our local CA)."""
        return self.ca_path or True

    @property
    def upstream_is_local(self) -> bool:
        return self.upstream is None or bool(re.match(r"https?://(127\.0\.0\.1|localhost|\[::1\])[:/]", self.upstream + "/"))


@dataclass
class _Traffic:
    """Per-test state the report hook reads: servers to stop, misses seen, the cassette."""

    endpoint: VmssEndpoint | None = None
    servers: list[Any] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    finished: bool = False
    previous: Any = None  # under record mode `all`: the cassette being replaced, to report the drift
    cassette: Any = None  # replay: the test's cassette as loaded once (the check reuses it)

    def finish(self) -> None:
        """Stop the test's servers (proxy first, then its upstream)."""
        if self.finished:
            return
        self.finished = True
        for server in reversed(self.servers):
            server.stop()


_TRAFFIC = pytest.StashKey[_Traffic]()


def _miss_recorder(misses: Any) -> Any:
    """aiohttp middleware noting every `NoRecordedInteraction` answer of the replay server
    (`misses`: the list, or a function giving the current test's list)."""
    from aiohttp import web

    current = misses if callable(misses) else (lambda: misses)

    @web.middleware
    async def record_misses(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        body = getattr(response, "body", None)
        misses = current()
        if misses is None:
            return response
        if response.status >= 400 and isinstance(body, bytes | bytearray) and b"NoRecordedInteraction" in body:
            import json

            try:
                message = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = body.decode("utf-8", "replace")
            misses.append(f"{request.method} {request.path_qs}\n{message}")
        return response

    return record_misses


def missing_cassette_message(path: Path) -> str:
    """What a replay without a cassette says, to the client and in the test's failure alike."""
    return f"no cassette at {path}: record it with --vmss-record-mode=once"


def _start(factory: Any, tls_dir: Path) -> Any:
    from contract.servers import BackgroundServer

    return BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()


def _emulator_factory() -> Any:
    from contract.emulator import create_app

    return create_app()


@pytest.fixture(scope="session")
def _vmss_tls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA per session (per xdist worker): nothing is written outside the session's temp dir."""
    return tmp_path_factory.mktemp("vmss-tls")


@pytest.fixture
def vmss_endpoint(request: pytest.FixtureRequest, _vmss_tls_dir: Path) -> Iterator[VmssEndpoint]:
    """Base URL + CA bundle of the replay server, or of the recording proxy in record modes."""
    cfg = settings(request.config)
    marker = request.node.get_closest_marker("vmss")
    explicit = marker.kwargs.get("cassette") if marker else None
    if marker and marker.args and explicit is None:
        explicit = marker.args[0]
    path = cassette_path(request.node, cfg.cassette_dir, explicit)
    traffic = _Traffic()
    request.node.stash[_TRAFFIC] = traffic
    replaying = cfg.record_mode == "none" or (cfg.record_mode == "once" and path.exists())
    try:
        if replaying:
            endpoint = _start_replay(path, traffic, request.getfixturevalue("_vmss_replay_board"))
        else:
            endpoint = _start_recording(path, cfg, traffic, _vmss_tls_dir)
    except BaseException:
        traffic.finish()
        raise
    traffic.endpoint = endpoint
    try:
        yield endpoint
    finally:
        traffic.finish()


def _start_replay(path: Path, traffic: _Traffic, board: _ReplayBoard) -> VmssEndpoint:
    """Point the session's replay server at this test's cassette (loaded once: replay and check share it)."""
    from contract import replay
    from contract.cassette import load_cassette

    cassette = load_cassette(path) if path.exists() else None
    missing = None if cassette is not None else missing_cassette_message(path)
    if missing:
        traffic.notes.append(missing)
    traffic.cassette = cassette
    replayer = replay.Replayer([cassette] if cassette is not None else [], False, board.request_filter)
    board.serve(replayer, traffic.misses, missing)
    traffic.servers.append(board.released())  # the test's teardown hands the server back, idle
    return VmssEndpoint(board.server.url, _str(board.server.ca_path), "replay", path)


class _ReplayBoard:
    """One replay server per session (per xdist worker) that answers from the current test's cassette.

    Starting a TLS server per test cost most of the plugin's overhead; tests in one process run one at
    a time, so switching the replayer at setup keeps each test's traffic, misses and verdict its own.
    """

    def __init__(self, tls_dir: Path) -> None:
        from contract import replay

        self.request_filter = replay.sanitizing_filter()
        self.replayer: Any = None
        self.misses: list[str] | None = None
        self.missing: str | None = None
        self.server = _start(self._app, tls_dir)

    def serve(self, replayer: Any, misses: list[str], missing: str | None) -> None:
        self.replayer, self.misses, self.missing = replayer, misses, missing

    def released(self) -> Any:
        board = self

        class Release:
            def stop(self) -> None:
                board.serve(None, [], None)

        return Release()

    def _app(self) -> Any:
        from aiohttp import web

        from contract import replay
        from contract.servers import DEFAULT_MAX_BODY, arm_error, guard_middleware

        board = self

        async def answer(request: web.Request) -> web.StreamResponse:
            if board.missing:
                return arm_error(400, replay.NO_MATCH_CODE, f"{request.method} {request.path_qs}: {board.missing}")
            if board.replayer is None:
                return arm_error(400, replay.NO_MATCH_CODE, "no test is using the replay server right now")
            return await replay.respond(board.replayer, request)

        # As replay.create_app: only size and crashes are guarded (replay serves what was recorded).
        guard = guard_middleware(max_body=DEFAULT_MAX_BODY, require_auth=False, require_api_version=False,
                                 check_json=False)
        app = web.Application(middlewares=[guard, _miss_recorder(lambda: board.misses)],
                              client_max_size=DEFAULT_MAX_BODY + 1)
        app.router.add_route("*", "/{tail:.*}", answer)
        return app

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="session")
def _vmss_replay_board(_vmss_tls_dir: Path) -> Iterator[_ReplayBoard]:
    board = _ReplayBoard(_vmss_tls_dir)
    try:
        yield board
    finally:
        board.stop()


def _start_recording(path: Path, cfg: Settings, traffic: _Traffic, tls_dir: Path) -> VmssEndpoint:
    from contract import proxy

    upstream, upstream_ca = cfg.upstream, cfg.upstream_ca
    if upstream == EMULATOR_UPSTREAM:
        emulator = _start(_emulator_factory, tls_dir)
        traffic.servers.append(emulator)
        upstream, upstream_ca = emulator.url, _str(emulator.ca_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = cfg.record_mode if cfg.record_mode != "none" else "once"
    if mode == "all" and path.exists():
        from contract.cassette import CassetteError, load_cassette

        try:
            traffic.previous = load_cassette(path)  # kept to say what changed once the new one is written
        except CassetteError:
            traffic.previous = None
        # No unlink here: the recorder replaces the file itself, under the cassette's lock, so a
        # cassette another worker is writing is never deleted from under it.

    read_only = bool(cfg.read_only)
    allowed = tuple(cfg.allow_resource_groups)

    def factory() -> Any:
        return proxy.create_app(str(path), upstream, upstream_ca=upstream_ca, record_mode=mode,
                                read_only=read_only, allow_resource_groups=allowed)

    server = _start(factory, tls_dir)
    traffic.servers.append(server)
    return VmssEndpoint(server.url, _str(server.ca_path), "record", path, upstream=upstream)


def _str(path: Any) -> str | None:
    return str(path) if path is not None else None


# --------------------------------------------------------------------------- emulator


@dataclass
class VmssServer:
    """A running local server: `url` and the `ca_path` a client must trust."""

    url: str
    ca_path: str | None

    @property
    def connection_verify(self) -> str | bool:
        return self.ca_path or True


@pytest.fixture
def vmss_emulator(_vmss_tls_dir: Path) -> Iterator[VmssServer]:
    """A fresh, empty emulator for this test alone (over TLS, so the real SDK can talk to it)."""
    server = _start(_emulator_factory, _vmss_tls_dir)
    try:
        yield VmssServer(server.url, _str(server.ca_path))
    finally:
        server.stop()


# --------------------------------------------------------------------------- credentials


class StaticCredential:
    """A fake token credential for replay: the token never leaves the machine."""

    token = "vmss-contract-replay-token"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        pass


class AsyncStaticCredential:
    """The `aio` twin of StaticCredential."""

    token = StaticCredential.token

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncStaticCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass


def _require(module: str, needed_by: str) -> Any:
    """Import what a fixture needs, or fail its test with the extra to install: a broken Azure SDK
    install must never turn a downstream suite (or a recording run) into silent skips."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        reason = str(exc)
    pytest.fail(f"{needed_by} needs {module}, which cannot be imported ({reason}): "
                "pip install 'vmss-contract[azure]'", pytrace=False)


def _fake_credential(endpoint: VmssEndpoint) -> bool:
    return endpoint.mode == "replay" or endpoint.upstream_is_local


@pytest.fixture
def vmss_credential(vmss_endpoint: VmssEndpoint) -> Any:
    """DefaultAzureCredential when recording from Azure; a static fake when replaying (or recording a local emulator)."""
    if _fake_credential(vmss_endpoint):
        return StaticCredential()
    identity = _require("azure.identity", "vmss_credential (recording from Azure)")
    return identity.DefaultAzureCredential()


@pytest.fixture
def vmss_subscription_id(request: pytest.FixtureRequest, vmss_endpoint: VmssEndpoint) -> str:
    """The subscription the clients address.

    Replaying: the (pseudonymised) id stored in the cassette, so requests match exactly and CI
    needs no secret, whatever salt or environment this machine has. Recording, or a replay
    without a cassette: the `vmss_subscription_id` ini value, else $AZURE_SUBSCRIPTION_ID, else zeros.
    """
    if vmss_endpoint.mode == "replay" and vmss_endpoint.cassette_path.exists():
        found = _subscription_in(vmss_endpoint.cassette_path)
        if found:
            return found
    configured = request.config.getini("vmss_subscription_id") or os.environ.get("AZURE_SUBSCRIPTION_ID")
    return str(configured) if configured else ZERO_SUBSCRIPTION


_SUBSCRIPTION = re.compile(r"/subscriptions/([0-9a-fA-F-]{36})", re.IGNORECASE)


def _subscription_in(path: Path) -> str | None:
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            found = _SUBSCRIPTION.search(line)
            if found:
                return found.group(1)
    return None


RESOURCES_API = "2022-09-01"


def _arm_call(endpoint: VmssEndpoint, credential: Any, method: str, url: str, body: Any, what: str) -> Any:
    """One ARM request through the test's endpoint, a long-running answer followed to its end; the final
    JSON body. A refusal fails the test naming `what`, the status and ARM's error."""
    import json
    import ssl
    import time
    import urllib.error
    import urllib.request

    token = credential.get_token(ARM_SCOPE).token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    context = ssl.create_default_context(cafile=endpoint.ca_path) if endpoint.ca_path else None
    # Only a real Azure upstream being recorded needs its poll delay honoured; replay and the emulator answer at once.
    real_azure = endpoint.mode == "record" and not endpoint.upstream_is_local and endpoint.upstream != "emulator"

    def send(verb: str, target: str, data: Any = None) -> tuple[dict[str, str], Any]:
        request = urllib.request.Request(target, data=json.dumps(data).encode() if data is not None else None,
                                         method=verb, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60, context=context) as answer:
                text = answer.read().decode("utf-8", "replace")
                return dict(answer.headers.items()), json.loads(text) if text.strip() else None
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            pytest.fail(f"{what}: {verb} {target.split('?')[0]} answered {error.code}: {detail}", pytrace=False)

    answer_headers, result = send(method, url, body)
    monitor = next((v for k, v in answer_headers.items() if k.lower() == "azure-asyncoperation"), None)
    for _ in range(120 if monitor else 0):
        if real_azure:
            delay = next((v for k, v in answer_headers.items() if k.lower() == "retry-after"), "2")
            time.sleep(min(float(delay) if delay.replace(".", "", 1).isdigit() else 2.0, 10.0))
        answer_headers, status = send("GET", monitor)
        state = str((status or {}).get("status", "")).lower() if isinstance(status, dict) else ""
        if state in ("failed", "canceled", "cancelled"):
            pytest.fail(f"{what}: the long-running {method} ended {state}: {status}", pytrace=False)
        if state in ("succeeded", ""):
            break
    return result


@pytest.fixture
def vmss_resource_group(request: pytest.FixtureRequest, vmss_endpoint: VmssEndpoint, vmss_credential: Any,
                        vmss_subscription_id: str) -> str:
    """A resource group (ini `vmss_resource_group`, in `vmss_location`) created through the test's endpoint,
    so it is recorded and replayed like the test's own calls; no azure-mgmt-resource needed. Returns its name."""
    name = str(request.config.getini("vmss_resource_group") or "vmss-test-rg")
    location = str(request.config.getini("vmss_location") or "westus")
    url = (f"{vmss_endpoint.url}/subscriptions/{vmss_subscription_id}/resourcegroups/{name}"
           f"?api-version={RESOURCES_API}")
    _arm_call(vmss_endpoint, vmss_credential, "PUT", url, {"location": location}, f"vmss_resource_group: PUT {name}")
    return name


@pytest.fixture
def vmss_subnet_id(request: pytest.FixtureRequest, vmss_endpoint: VmssEndpoint, vmss_credential: Any,
                   vmss_subscription_id: str, vmss_resource_group: str) -> str:
    """A virtual network (ini `vmss_virtual_network`, default `vmss-test-vnet`, 10.0.0.0/16) with one subnet
    `default` (10.0.0.0/24) in `vmss_resource_group`, created through the test's endpoint (recorded and replayed
    like the test's own calls) and followed to Succeeded. Returns the subnet's id, for a scale set's
    `ipConfigurations[].properties.subnet.id`: Azure (and the emulator) refuse a scale set whose subnet does
    not exist (400 InvalidResourceReference)."""
    from contract.network_setup import virtual_network_request

    vnet = str(request.config.getini("vmss_virtual_network") or "vmss-test-vnet")
    location = str(request.config.getini("vmss_location") or "westus")
    subnet_id = (f"/subscriptions/{vmss_subscription_id}/resourceGroups/{vmss_resource_group}"
                 f"/providers/Microsoft.Network/virtualNetworks/{vnet}/subnets/default")
    path, body = virtual_network_request(subnet_id, location)
    _arm_call(vmss_endpoint, vmss_credential, "PUT", vmss_endpoint.url + path, body, f"vmss_subnet_id: PUT {vnet}")
    return subnet_id


def _client_kwargs(endpoint: VmssEndpoint) -> dict[str, Any]:
    return {
        "base_url": endpoint.url,
        "connection_verify": endpoint.connection_verify,
        "credential_scopes": [ARM_SCOPE],
    }


@pytest.fixture
def vmss_compute_client(
    vmss_endpoint: VmssEndpoint, vmss_credential: Any, vmss_subscription_id: str
) -> Iterator[Any]:
    """`azure.mgmt.compute.ComputeManagementClient` bound to the test's endpoint."""
    compute = _require("azure.mgmt.compute", "vmss_compute_client")
    client = compute.ComputeManagementClient(vmss_credential, vmss_subscription_id, **_client_kwargs(vmss_endpoint))
    try:
        yield client
    finally:
        client.close()


try:  # the aio client needs an event loop fixture: only offered with pytest-asyncio
    import pytest_asyncio as _pytest_asyncio
except ImportError:  # pragma: no cover - pytest-asyncio is optional
    _pytest_asyncio = None

if _pytest_asyncio is not None:

    @_pytest_asyncio.fixture
    async def vmss_compute_client_aio(
        vmss_endpoint: VmssEndpoint, vmss_subscription_id: str
    ) -> Any:
        """`azure.mgmt.compute.aio.ComputeManagementClient` bound to the test's endpoint (opened and closed for you)."""
        aio = _require("azure.mgmt.compute.aio", "vmss_compute_client_aio")
        if _fake_credential(vmss_endpoint):
            credential: Any = AsyncStaticCredential()
        else:
            identity_aio = _require("azure.identity.aio", "vmss_compute_client_aio (recording from Azure)")
            credential = identity_aio.DefaultAzureCredential()
        async with credential:
            async with aio.ComputeManagementClient(
                credential, vmss_subscription_id, **_client_kwargs(vmss_endpoint)
            ) as client:
                yield client


# --------------------------------------------------------------------------- verdicts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    traffic = item.stash.get(_TRAFFIC, None)
    if traffic is None or traffic.endpoint is None:
        return report
    if call.when == "setup" and report.failed and traffic.misses:
        # A fixture (a resource group, say) called the endpoint and got a miss: say why beside the error.
        report.sections.append(("vmss replay", _misses_text(traffic)))
        return report
    if call.when != "call":
        return report
    # Servers keep running: fixtures may still clean up through them in teardown. The proxy
    # writes each exchange before its client gets the answer, so the cassette is complete here.
    _judge(item, report, traffic)
    return report


def _fail_or_note(report: pytest.TestReport, title: str, text: str, fail: bool = True) -> None:
    """Fail a passing test with `text` as its failure; otherwise keep `text` as a report section."""
    if fail and report.passed:
        report.outcome = "failed"
        report.longrepr = text
    else:
        report.sections.append((title, text))


def _judge(item: pytest.Item, report: pytest.TestReport, traffic: _Traffic) -> None:
    endpoint = traffic.endpoint
    assert endpoint is not None
    lost = _lost_exchanges(traffic)
    if lost:  # the cassette misses exchanges the test saw (full disk, I/O error): never a silent pass
        _fail_or_note(report, "vmss record", lost)
    if traffic.misses:
        _fail_or_note(report, "vmss replay", _misses_text(traffic))
    if traffic.previous is not None and endpoint.cassette_path.exists():
        drift = drift_section(traffic.previous, endpoint.cassette_path)
        if drift:
            report.sections.append(("vmss drift", drift))
    cfg = settings(item.config)
    if cfg.contract == "off" or not endpoint.cassette_path.exists():
        return
    fail_on_drift = bool(item.config.getoption("vmss_fail_on_drift", default=None)
                         or item.config.getini("vmss_fail_on_drift"))
    try:
        text, count = contract_section(endpoint.cassette_path, traffic.cassette, fail_on_drift=fail_on_drift)
    except Exception as exc:  # an unreadable cassette is a failure with its reason, never a crash
        text, count = f"vmss contract: cannot check {endpoint.cassette_path}: {exc}", 1
    if not count:
        if text:  # drift only: shown with the test, never failing it
            report.sections.append(("vmss contract drift", text))
        return
    _fail_or_note(report, "vmss contract", text, fail=cfg.contract == "strict")


def _lost_exchanges(traffic: _Traffic) -> str:
    """The recording proxy's summary of exchanges it answered but could not write ("" if none)."""
    from contract.proxy import PROXY

    for server in traffic.servers:
        app = getattr(server, "app", None)
        proxy = app.get(PROXY) if app is not None else None
        if proxy is not None and proxy.lost:
            return f"vmss record: {proxy.lost_summary()}"
    return ""


def _misses_text(traffic: _Traffic) -> str:
    """The replay misses of a test: the missing cassette first when that is the cause."""
    assert traffic.endpoint is not None
    count = f"{len(traffic.misses)} request(s) not answered by {traffic.endpoint.cassette_path}"
    lines = [f"vmss replay: {traffic.notes[0]}", *traffic.notes[1:], count] if traffic.notes else [f"vmss replay: {count}"]
    for n, miss in enumerate(traffic.misses, 1):
        lines.append(f"\n[{n}] {miss}")
    return "\n".join(lines)


def drift_section(previous: Any, path: Path) -> str:
    """What changed at the contract level between the replaced cassette and the new recording ('' if nothing)."""
    from contract.diff import diff, render_text

    try:
        drift = diff(previous, str(path))
    except Exception as exc:  # a drift report must never fail a recording
        return f"vmss drift: cannot compare with the previous {path.name}: {exc}"
    if drift.same:
        return ""
    body = render_text(drift).splitlines()[1:]  # the first line names two paths the user knows already
    return "\n".join([f"vmss drift: {path} changed against the previous recording", *body])


_CHECKER: Any = None


def contract_section(path: Path, cassette: Any = None, fail_on_drift: bool = False) -> tuple[str, int]:
    """Check one cassette (the loaded `cassette` when given, else the file); return (readable text, number
    of failing findings). Drift is listed in the text either way and counted only with `fail_on_drift`.
    One checker serves the whole session: building it is most of a check's cost."""
    global _CHECKER
    if _CHECKER is None:
        from contract.checker.engine import Checker

        _CHECKER = Checker()
    result = _CHECKER.check([cassette if cassette is not None else str(path)])
    violations = list(result.violations)
    drift = list(getattr(result, "drift", ()))
    if not violations and not drift:
        return "", 0
    failing = violations + (drift if fail_on_drift else [])
    lines = [f"vmss contract: {len(failing)} violation(s) in {path}"] if failing else []
    for v in failing:
        where = f" at {v.path}" if getattr(v, "path", None) else ""
        lines.append(
            f"  [{v.rule}] {v.operation or '-'}, interaction #{v.interaction}: "
            f"{v.method} {v.uri} -> {v.status}\n      {v.message}{where}"
        )
    if drift and not fail_on_drift:
        lines.append(f"vmss contract: {len(drift)} drift finding(s) in {path} (not failing; --vmss-fail-on-drift)")
        lines += [f"  [drift] interaction #{v.interaction} {v.path}: {v.message}" for v in drift]
    return "\n".join(lines), len(failing)


_COUNT = re.compile(r"vmss contract: (\d+) violation")


class _WarnSummary:
    """Collects warn-mode verdicts from the test reports themselves, so that under pytest-xdist
    the controller (which only sees its workers' reports) still lists them at the end."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.drift: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for title, text in report.sections:
            if title == "vmss drift":
                self.drift.extend([f"{report.nodeid}:", *text.splitlines()[1:]])
        if not report.passed:
            return
        for title, text in report.sections:
            found = _COUNT.match(text) if title == "vmss contract" else None
            if found:
                # Each violation in full (rule, operation, interaction, JSON path): no -rP needed.
                self.lines.append(f"{report.nodeid}: {found.group(1)} contract violation(s)")
                self.lines.extend(text.splitlines()[1:])

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.drift:
            terminalreporter.section("vmss drift against the previous cassettes (--vmss-record-mode=all)")
            for line in self.drift:
                terminalreporter.write_line(line)
        if self.lines:
            terminalreporter.section("vmss contract warnings")
            terminalreporter.write_line("--vmss-contract=warn: these tests passed; with strict (the default) they fail")
            for line in self.lines:
                terminalreporter.write_line(line)
