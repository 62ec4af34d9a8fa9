"""The real Azure SDK clients against one of our TLS servers: the one way tests build them.

A test gets a server (the emulator, the recording proxy in front of it, or replay: anything with
`.url` and `.ca_path`, such as `BackgroundServer`), then `Clients(server, SUB)` for the sync SDKs or
`async with AioClients(server, SUB) as c:` for the aio ones. Each client is built on first use, with
`base_url` at the server, `connection_verify` at its CA (never the process's REQUESTS_CA_BUNDLE) and
no retries (a refusal must reach the test, not be retried away).

`emulator_server(tls_dir, capture, **create_app_kwargs)` starts the emulator over TLS, with a
`Capture` (tests/support.py) as its outermost middleware when given, for the checker.
"""
from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp import web
from azure.core.exceptions import HttpResponseError

from contract.cassette import Interaction, load_cassette
from contract.plugin import AsyncStaticCredential, StaticCredential
from contract.servers import BackgroundServer
from support import Capture


class Served(Protocol):
    url: str
    ca_path: Path | None


def sdk_kwargs(server: Served) -> dict[str, Any]:
    """What every management client takes to talk to `server` over TLS, without retries."""
    assert server.ca_path is not None, f"{server.url} is not served over TLS"
    return {"base_url": server.url, "connection_verify": str(server.ca_path), "retry_total": 0}


# attribute -> (module of the sync client, class); the aio client is the same class in `<module>.aio`.
_CLIENTS = {
    "resources": ("azure.mgmt.resource.resources", "ResourceManagementClient"),
    "deployments": ("azure.mgmt.resource.deployments", "DeploymentsMgmtClient"),
    "compute": ("azure.mgmt.compute", "ComputeManagementClient"),
    "network": ("azure.mgmt.network", "NetworkManagementClient"),
    "msi": ("azure.mgmt.msi", "ManagedServiceIdentityClient"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient"),
}


class Clients:
    """The sync management clients (azure-mgmt-*) of one subscription at one server, built on first use
    (`c.resources`, `c.deployments`, `c.compute`, `c.network`, `c.msi`, `c.authorization`)."""

    aio = False

    def __init__(self, server: Served, subscription: str) -> None:
        self.kwargs = sdk_kwargs(server)
        self.subscription = subscription

    def _make(self, cls: Any) -> Any:
        return cls(StaticCredential(), self.subscription, **self.kwargs)

    def __getattr__(self, name: str) -> Any:
        if name not in _CLIENTS:
            raise AttributeError(name)
        module, class_name = _CLIENTS[name]
        cls = getattr(importlib.import_module(module + (".aio" if self.aio else "")), class_name)
        client = self._make(cls)
        setattr(self, name, client)  # built once
        return client


class AioClients(Clients):
    """The aio management clients; `async with AioClients(server, SUB) as c:` closes every one it opened."""

    aio = True

    def __init__(self, server: Served, subscription: str) -> None:
        super().__init__(server, subscription)
        self._opened: list[Any] = []

    def _make(self, cls: Any) -> Any:
        client = cls(AsyncStaticCredential(), self.subscription, **self.kwargs)
        self._opened.append(client)
        return client

    async def __aenter__(self) -> AioClients:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in reversed(self._opened):
            await client.close()


@contextlib.contextmanager
def emulator_server(tls_dir: Path | None = None, capture: Capture | None = None, identity: bool = False,
                    **create_app_kwargs: Any) -> Iterator[BackgroundServer]:
    """The emulator (`create_app(**create_app_kwargs)`) over TLS on loopback, optionally captured, and with
    the local identity provider ahead of the capture (login traffic is not ARM traffic), as `emulate` serves it."""
    from contract.emulator import create_app
    from contract.identity import mount_identity

    def factory() -> web.Application:
        app = create_app(**create_app_kwargs)
        if capture is not None:
            app.middlewares.insert(0, capture.middleware)
        return mount_identity(app) if identity else app

    server = BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()
    try:
        yield server
    finally:
        server.stop()


def refused(call: Any, status: int, code: str) -> HttpResponseError:
    """`call()` raises the SDK's HttpResponseError with ARM's `status` and error `code`."""
    with pytest.raises(HttpResponseError) as info:
        call()
    assert info.value.status_code == status, info.value.message
    assert info.value.error is not None and info.value.error.code == code, info.value.message
    return info.value


async def refused_aio(call: Any, status: int, code: str) -> HttpResponseError:
    """The aio form of `refused`: `call()` returns an awaitable (a poller's `result()` included)."""
    with pytest.raises(HttpResponseError) as info:
        await call()
    assert info.value.status_code == status, info.value.message
    assert info.value.error is not None and info.value.error.code == code, info.value.message
    return info.value


@contextlib.contextmanager
def recording_proxy(cassette: Path, upstream: Served, tls_dir: Path | None = None,
                    record_mode: str = "once") -> Iterator[BackgroundServer]:
    """The real recording proxy (`contract.proxy`) over TLS in front of `upstream`, writing `cassette`.

    On leaving, the recorder is stopped (the cassette closed) and must have lost nothing."""
    from contract import proxy

    server = BackgroundServer(lambda: proxy.create_app(str(cassette), upstream.url, upstream_ca=upstream.ca_path,
                                                       record_mode=record_mode),
                              tls=True, tls_dir=tls_dir).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.app is not None
    recorder = server.app[proxy.PROXY]
    assert recorder.lost == [], recorder.lost_summary()


@contextlib.contextmanager
def replay_server(cassette: Path, tls_dir: Path | None = None, identity: bool = False,
                  may_stay_unused: Callable[[Interaction], bool] = lambda _: False) -> Iterator[BackgroundServer]:
    """The replay server (`contract.replay`) over TLS serving `cassette` (and the identity provider, as
    `vmss-contract replay --identity` does, when asked). On leaving, every request must have been answered
    from the cassette (no miss) and every recorded interaction served, except those `may_stay_unused`
    accepts (recorded login traffic, which replay's own identity provider answers instead)."""
    from contract import replay
    from contract.identity import mount_identity

    def factory() -> web.Application:
        app = replay.create_app([str(cassette)])
        return mount_identity(app) if identity else app

    server = BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()
    try:
        yield server
    finally:
        server.stop()
    assert server.app is not None
    replayer = server.app[replay.REPLAYER]
    assert replayer.misses == 0, f"{replayer.misses} request(s) not in {cassette.name}"
    recorded = load_cassette(cassette).interactions
    unused = [label for label in replayer.unused()
              if not may_stay_unused(recorded[int(label.rsplit("#", 1)[1])])]
    assert unused == [], f"recorded but never asked for: {unused[:10]}"
