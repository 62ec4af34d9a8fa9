"""The recording proxy against real upstreams on 127.0.0.1 (a scripted aiohttp app, the emulator)."""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import vcr
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.cassette import CassetteError, load_appended, load_cassette, save_cassette
from contract.proxy import create_app
from contract.sanitize import Sanitizer
from contract.servers import BackgroundServer

SUB = "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
BIG = 12 * 1024 * 1024  # above the proxy's buffering limit: must stream


class Upstream:
    """A scripted upstream: echoes requests, points URLs at itself, misbehaves on demand."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.first_chunk = threading.Event()   # the upstream received the start of an upload
        self.client_got_start = threading.Event()  # the client received the start of a download

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024 ** 3)
        app.router.add_route("*", "/upload", self.upload)
        app.router.add_get("/big", self.big)
        app.router.add_get("/slow", self.slow)
        app.router.add_get("/throttle", self.throttle)
        app.router.add_get("/reset", self.reset)
        app.router.add_get("/unavailable", self.unavailable)
        app.router.add_route("*", "/{tail:.*}", self.echo)
        return app

    async def echo(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen.append({"method": request.method, "path_qs": request.path_qs,
                          "headers": dict(request.headers), "body": body})
        base = f"{request.scheme}://{request.host}"
        answer = {"method": request.method, "path_qs": request.path_qs, "body": body.decode("utf-8", "replace"),
                  "nextLink": f"{base}{request.path}?api-version=1&$skiptoken=2",
                  "headers": {k: v for k, v in request.headers.items()}}
        response = web.json_response(answer, status=202 if request.method == "POST" else 200, headers={
            "Azure-AsyncOperation": f"{base}/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/"
                                    "operations/op1?api-version=2024-07-01",
            "Location": f"{base}/subscriptions/{SUB}/operations/op1?monitor=true&sig=UPSTREAMSIG",
            "Connection": "keep-alive", "X-Echo": "1"})
        if "gzip" in request.headers.get("Accept-Encoding", "") and request.path.endswith("/gz"):
            response.enable_compression()
        return response

    async def upload(self, request: web.Request) -> web.Response:
        digest, size = hashlib.sha256(), 0
        async for chunk in request.content.iter_chunked(65536):
            if size == 0:
                self.first_chunk.set()
            digest.update(chunk)
            size += len(chunk)
        return web.json_response({"size": size, "sha256": digest.hexdigest()})

    async def big(self, request: web.Request) -> web.StreamResponse:
        out = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await out.prepare(request)
        await out.write(b"a" * 65536)
        loop = asyncio.get_running_loop()
        # the rest only once the client has the start: proves the proxy does not buffer
        await loop.run_in_executor(None, self.client_got_start.wait, 20)
        for _ in range(BIG // 65536 - 1):
            await out.write(b"b" * 65536)
        await out.write_eof()
        return out

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.Response(text="late")

    async def throttle(self, request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "TooManyRequests", "message": "slow down"}}, status=429,
                                 headers={"Retry-After": "7"})

    async def unavailable(self, request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "ServiceUnavailable", "message": "later"}}, status=503,
                                 headers={"Retry-After": "3"})

    async def reset(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.abort()
        await asyncio.sleep(0.1)
        return web.Response(text="never")


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, BackgroundServer]]:
    up = Upstream()
    with BackgroundServer(up.app) as server:
        yield up, server


def proxy(path: Path, upstream_url: str, **kwargs: Any) -> BackgroundServer:
    kwargs.setdefault("sanitizer", Sanitizer({"salt": "proxy-tests"}))
    return BackgroundServer(lambda: create_app(str(path), upstream_url, **kwargs)).start()


def arm(path: str = f"/subscriptions/{SUB}/resourceGroups/rg-test-1/providers/Microsoft.Compute/"
                    "virtualMachineScaleSets/v1") -> str:
    return path + "?api-version=2024-07-01"


# ----------------------------------------------------------------------------- forwarding


def test_forwards_end_to_end_and_rewrites_urls_for_client_and_cassette(tmp_path: Path, upstream: Any) -> None:
    up, server = upstream
    cassette = tmp_path / "c.yaml"
    with proxy(cassette, server.url) as p:
        r = requests.put(p.url + arm(), data=b'{"sku": {"capacity": 2}}', headers={
            "Content-Type": "application/json", "Authorization": "Bearer abcdefgh12345678",
            "Connection": "keep-alive, X-Hop", "X-Hop": "drop me", "TE": "trailers", "X-Keep": "yes"})
        assert r.status_code == 200 and r.headers["X-Echo"] == "1"
        # the client's polling comes back through the proxy
        assert r.headers["Azure-AsyncOperation"].startswith(p.url + f"/subscriptions/{SUB}/providers/")
        assert r.headers["Location"].startswith(p.url + "/")
        assert r.json()["nextLink"].startswith(p.url + "/")
        poll = requests.get(r.headers["Azure-AsyncOperation"], headers={"Authorization": "Bearer abcdefgh12345678"})
        assert poll.status_code == 200
    sent = up.seen[0]
    assert sent["method"] == "PUT" and sent["path_qs"] == arm() and sent["body"] == b'{"sku": {"capacity": 2}}'
    assert sent["headers"]["X-Keep"] == "yes" and sent["headers"]["Authorization"] == "Bearer abcdefgh12345678"
    assert "X-Hop" not in sent["headers"] and "TE" not in sent["headers"]
    assert sent["headers"]["Host"] == server.url.split("://")[1]
    recorded = load_cassette(cassette)
    assert [i.request.method for i in recorded.interactions] == ["PUT", "GET"]
    put = recorded.interactions[0]
    fake = Sanitizer({"salt": "proxy-tests"}).fake_id(SUB)
    assert put.request.uri == f"https://management.azure.com/subscriptions/{fake}/resourceGroups/rg-test-1/" \
                              "providers/Microsoft.Compute/virtualMachineScaleSets/v1?api-version=2024-07-01"
    assert put.response.header("Azure-AsyncOperation").startswith(f"https://management.azure.com/subscriptions/{fake}/")
    assert "sig=Sanitized" in put.response.header("Location")
    assert json.loads(put.response.body)["nextLink"].startswith("https://management.azure.com/")
    assert put.request.header("Authorization") is None and put.request.header("X-Hop") is None
    assert recorded.metadata["recorded_with"].startswith("vmss-contract")
    text = cassette.read_text()
    assert SUB not in text and "abcdefgh12345678" not in text and server.url not in text and p.url not in text


def test_large_bodies_stream_both_ways(tmp_path: Path, upstream: Any) -> None:
    up, server = upstream
    cassette = tmp_path / "big.yaml"
    with proxy(cassette, server.url, max_body=64 * 1024 * 1024) as p:  # above ARM's 4 MB, on purpose
        def upload() -> Iterator[bytes]:
            yield b"x" * 65536
            assert up.first_chunk.wait(20), "the upstream must see the start before the client sends the rest"
            for _ in range(BIG // 65536 - 1):
                yield b"y" * 65536

        r = requests.post(p.url + "/upload", data=upload(), headers={"Content-Type": "application/octet-stream"})
        expected = hashlib.sha256(b"x" * 65536 + b"y" * (BIG - 65536)).hexdigest()
        assert r.json() == {"size": BIG, "sha256": expected}

        with requests.get(p.url + "/big", stream=True) as big:
            chunks = big.iter_content(65536)
            first = next(chunks)
            up.client_got_start.set()  # only now does the upstream send the rest
            data = first + b"".join(chunks)
        assert len(data) == BIG and data.startswith(b"a" * 65536)
    recorded = load_cassette(cassette).interactions
    assert len(recorded[0].request.content) == BIG and len(recorded[1].response.content) == BIG


def test_plain_vcrpy_plays_what_the_proxy_recorded(tmp_path: Path, upstream: Any) -> None:
    _, server = upstream
    cassette = tmp_path / "v.yaml"
    with proxy(cassette, server.url) as p:
        live = requests.get(p.url + arm(), headers={"Authorization": "Bearer abcdefgh12345678"})
    recorded = load_cassette(cassette).interactions[0]
    with vcr.use_cassette(str(cassette), record_mode="none"):
        replayed = requests.get(recorded.request.uri)
    assert replayed.status_code == live.status_code == 200
    assert replayed.content == recorded.response.content


# ----------------------------------------------------------------------------- record modes


def test_record_modes(tmp_path: Path, upstream: Any) -> None:
    _, server = upstream
    cassette = tmp_path / "m.yaml"
    with proxy(cassette, server.url, record_mode="once") as p:
        requests.get(p.url + arm())
        requests.get(p.url + arm())
    assert len(load_cassette(cassette).interactions) == 2
    with pytest.raises(CassetteError, match="record mode 'once' never overwrites"):
        create_app(str(cassette), server.url, record_mode="once")
    with proxy(cassette, server.url, record_mode="new_episodes") as p:
        requests.get(p.url + arm())  # 1st and 2nd occurrences are on disk already
        requests.get(p.url + arm())
        requests.get(p.url + arm())  # the 3rd is new
        requests.delete(p.url + arm())
    assert [i.request.method for i in load_cassette(cassette).interactions] == ["GET", "GET", "GET", "DELETE"]
    with proxy(cassette, server.url, record_mode="all") as p:
        assert len(load_cassette(cassette).interactions) == 4  # kept until something new is recorded
        requests.patch(p.url + arm(), json={})
    assert [i.request.method for i in load_cassette(cassette).interactions] == ["PATCH"]
    with pytest.raises(ValueError, match="record_mode"):
        create_app(str(tmp_path / "x.yaml"), server.url, record_mode="none")


# ----------------------------------------------------------------------------- safety


def test_read_only_refuses_writes_before_upstream_and_records_nothing(tmp_path: Path, upstream: Any) -> None:
    up, server = upstream
    cassette = tmp_path / "ro.yaml"
    with proxy(cassette, server.url, read_only=True) as p:
        for method in ("PUT", "PATCH", "POST", "DELETE"):
            r = requests.request(method, p.url + arm(), json={})
            assert r.status_code == 403 and r.json()["error"]["code"] == "RecordingReadOnly"
        assert requests.get(p.url + arm()).status_code == 200
    assert [s["method"] for s in up.seen] == ["GET"]
    assert [i.request.method for i in load_cassette(cassette).interactions] == ["GET"]


def test_allow_resource_group_globs(tmp_path: Path, upstream: Any) -> None:
    up, server = upstream
    with proxy(tmp_path / "rg.yaml", server.url, allow_resource_groups=("rg-test-*", "Scratch")) as p:
        ok = [arm(), arm(f"/subscriptions/{SUB}/resourcegroups/RG-TEST-2/providers/x/y/z"),
              arm(f"/subscriptions/{SUB}/resourceGroups/scratch")]
        for path in ok:
            assert requests.put(p.url + path, json={}).status_code == 200, path
        bad = [arm(f"/subscriptions/{SUB}/resourceGroups/prod/providers/x/y/z"),
               arm(f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westus/x"),
               arm(f"/subscriptions/{SUB}/resourceGroups/rg-test%2F..%2Fprod")]
        for path in bad:
            r = requests.delete(p.url + path)
            assert r.status_code == 403 and r.json()["error"]["code"] == "ResourceGroupNotAllowed", path
        assert requests.get(p.url + bad[0]).status_code == 200  # reads anywhere
    assert len(up.seen) == len(ok) + 1


def raw_http(url: str, data: bytes) -> bytes:
    host, port = url.split("://")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        out = b""
        while b"\r\n\r\n" not in out or not out.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out


def test_no_open_proxy(tmp_path: Path, upstream: Any) -> None:
    up, server = upstream
    with proxy(tmp_path / "open.yaml", server.url) as p:
        absolute = raw_http(p.url, b"GET http://example.com/steal HTTP/1.1\r\nHost: example.com\r\n\r\n")
        assert absolute.startswith(b"HTTP/1.1 400") and b"ProxyRequestNotAllowed" in absolute
        foreign = raw_http(p.url, b"GET /subscriptions HTTP/1.1\r\nHost: evil.example:443\r\n\r\n")
        assert foreign.startswith(b"HTTP/1.1 400") and b"ProxyRequestNotAllowed" in foreign
        assert requests.get(p.url + arm()).status_code == 200  # still serving
    assert len(up.seen) == 1


def test_upstream_faults_become_cloud_errors_and_the_proxy_keeps_serving(tmp_path: Path, upstream: Any) -> None:
    _, server = upstream
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    cassette = tmp_path / "faults.yaml"
    with proxy(tmp_path / "dead.yaml", dead) as p:
        r = requests.get(p.url + arm())
        assert r.status_code == 502 and r.json()["error"]["code"] == "BadGateway"
    with proxy(cassette, server.url, timeout=0.5) as p:
        r = requests.get(p.url + "/slow")
        assert r.status_code == 504 and r.json()["error"]["code"] == "GatewayTimeout"
        r = requests.get(p.url + "/reset")
        assert r.status_code == 502 and r.json()["error"]["code"] == "BadGateway"
        r = requests.get(p.url + "/throttle")
        assert r.status_code == 429 and r.headers["Retry-After"] == "7"
        r = requests.get(p.url + "/unavailable")
        assert r.status_code == 503 and r.json()["error"]["code"] == "ServiceUnavailable"
        assert requests.get(p.url + arm()).status_code == 200
    recorded = load_cassette(cassette).interactions
    # real answers are recorded faithfully; faults we made up are not traffic
    assert [(i.request.uri.split("?")[0].rsplit("/", 1)[-1], i.response.status) for i in recorded] == \
        [("throttle", 429), ("unavailable", 503), ("v1", 200)]
    assert recorded[0].response.header("Retry-After") == "7"


def test_upstream_tls_is_verified_and_upstream_ca_adds_trust(tmp_path: Path) -> None:
    from contract.emulator import create_app as emulator_app

    with BackgroundServer(lambda: emulator_app(), tls=True, tls_dir=tmp_path / "tls") as emulator:
        with proxy(tmp_path / "untrusted.yaml", emulator.url) as p:
            r = requests.get(p.url + arm(), headers={"Authorization": "Bearer abcdefgh12345678"})
            assert r.status_code == 502 and "certificate" in r.json()["error"]["message"].lower()
        with proxy(tmp_path / "trusted.yaml", emulator.url, upstream_ca=str(emulator.ca_path)) as p:
            r = requests.get(p.url + arm(), headers={"Authorization": "Bearer abcdefgh12345678"})
            assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceGroupNotFound"
    assert not (tmp_path / "untrusted.yaml").exists()
    assert len(load_cassette(tmp_path / "trusted.yaml").interactions) == 1


def test_credential_supplies_tokens_for_tokenless_clients(tmp_path: Path, upstream: Any) -> None:
    up, server = upstream

    class Credential:
        calls = 0

        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            from azure.core.credentials import AccessToken

            assert scopes == ("https://management.azure.com/.default",)
            Credential.calls += 1
            return AccessToken("proxy-token-abcdefgh12345678", int(time.time()) + 3600)

    cassette = tmp_path / "cred.yaml"
    with proxy(cassette, server.url, credential=Credential()) as p:
        for _ in range(3):
            assert requests.get(p.url + arm()).status_code == 200
        requests.get(p.url + arm(), headers={"Authorization": "Bearer client-own-token-1234"})
    assert [s["headers"]["Authorization"] for s in up.seen] == \
        ["Bearer proxy-token-abcdefgh12345678"] * 3 + ["Bearer client-own-token-1234"]
    assert Credential.calls == 1  # cached until near expiry
    text = cassette.read_text()
    assert "proxy-token" not in text and "client-own-token" not in text


# ----------------------------------------------------------------------------- ordering and crashes


def test_32_concurrent_clients_every_exchange_recorded_once_in_order(tmp_path: Path, upstream: Any) -> None:
    _, server = upstream
    cassette = tmp_path / "many.yaml"
    per_client = 8

    async def client(session: aiohttp.ClientSession, base: str, n: int) -> None:
        for k in range(per_client):
            async with session.put(f"{base}/clients/{n}/step/{k}?api-version=1", json={"n": n, "k": k}) as r:
                assert r.status == 200
                await r.read()

    async def run(base: str) -> None:
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(client(session, base, n) for n in range(32)))

    with proxy(cassette, server.url) as p:
        asyncio.run(run(p.url))
    recorded = load_cassette(cassette).interactions
    seen = [re.search(r"/clients/(\d+)/step/(\d+)", i.request.uri).groups() for i in recorded]  # type: ignore[union-attr]
    assert len(seen) == len(set(seen)) == 32 * per_client
    for n in range(32):  # each client's exchanges appear in the order they happened
        assert [int(k) for c, k in seen if int(c) == n] == list(range(per_client))
    for i in recorded:  # no interleaving: each answer belongs to its request
        assert json.loads(i.response.body)["path_qs"] in i.request.uri


def test_sigkill_mid_recording_leaves_every_finished_exchange(tmp_path: Path, upstream: Any) -> None:
    _, server = upstream
    cassette = tmp_path / "killed.yaml"
    env = {**os.environ, "VMSS_CONTRACT_SALT": "kill-test"}
    proc = subprocess.Popen([sys.executable, "-m", "contract", "record", "--cassette", str(cassette),
                             "--upstream", server.url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    finished: list[str] = []
    lock = threading.Lock()
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("listening on http://127.0.0.1:")
        base = line.split()[-1]
        stop = threading.Event()

        def hammer(n: int) -> None:
            session = requests.Session()
            k = 0
            while not stop.is_set():
                try:
                    r = session.put(f"{base}/c/{n}/{k}?api-version=1", json={"pad": "p" * 2000}, timeout=10)
                except requests.RequestException:
                    return
                if r.status_code == 200:
                    with lock:
                        finished.append(f"/c/{n}/{k}?")
                k += 1

        with ThreadPoolExecutor(8) as pool:
            for n in range(8):
                pool.submit(hammer, n)
            deadline = time.time() + 20
            while len(finished) < 150 and time.time() < deadline:
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)  # mid-flight: requests are being answered and written
            proc.wait(timeout=10)
            stop.set()
    finally:
        if proc.poll() is None:
            proc.kill()
    recorded = load_appended(cassette)
    uris = {i.request.uri.split("/c/", 1)[1] for i in recorded.interactions}
    assert len(finished) >= 150
    missing = [f for f in finished if f[len("/c/"):] not in {u.split("api-version")[0] for u in uris}]
    assert not missing, f"{len(missing)} answered exchanges not on disk"
    # and the file, cut after its last complete item, is one vcrpy loads
    save_cassette(recorded, tmp_path / "copy.yaml")
    assert len(load_cassette(tmp_path / "copy.yaml").interactions) == len(recorded.interactions)


# ----------------------------------------------------------------------------- secrets never reach disk


SAFE = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# The cassette's own words (member and header names): a generated secret that is part of one, such as
# 'protectedSetti', would be "found" in the file however well it was scrubbed.
_LAYOUT = ("version metadata recorded_with recorded_at record_mode interactions request response headers status "
           "location identity tenantId principalId properties virtualMachineProfile osProfile adminPassword "
           "customData extensionProfile extensions protectedSettings settings fileUris note Authorization Bearer "
           "x-ms-client-request-id x-ms-client-tenant-id Cookie session x-ms-copy-source x-custom-scope "
           "subscriptions resourceGroups providers Microsoft.Compute virtualMachineScaleSets api-version "
           "content-length content-type application/json Sanitized").lower()
secret_text = st.text(SAFE, min_size=14, max_size=24).filter(lambda s: s.lower() not in _LAYOUT)
guid = st.uuids(version=4).map(str)


@pytest.fixture(scope="module")
def shared_recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    up = Upstream()
    cassette = tmp_path_factory.mktemp("secrets") / "s.yaml"
    with BackgroundServer(up.app) as server, proxy(cassette, server.url) as p:
        yield p.url, cassette


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=secret_text, token=secret_text, sig=secret_text, custom=secret_text, protected=secret_text,
       sub=guid, tenant=guid, principal=guid, client_req=guid)
def test_planted_secrets_never_reach_the_cassette(shared_recording: tuple[str, Path], password: str, token: str,
                                                  sig: str, custom: str, protected: str, sub: str, tenant: str,
                                                  principal: str, client_req: str) -> None:
    base, cassette = shared_recording
    body = {"location": "westus", "identity": {"tenantId": tenant, "principalId": principal},
            "properties": {"virtualMachineProfile": {
                "osProfile": {"adminPassword": password, "customData": custom},
                "extensionProfile": {"extensions": [{"name": "e", "properties": {
                    "protectedSettings": {"script": protected},
                    "settings": {"fileUris": [f"https://a.blob.core.windows.net/c/f?sv=1&sig={sig}"]}}}]}},
                "note": f"Authorization: Bearer {token}"}}
    r = requests.put(f"{base}/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Compute/"
                     f"virtualMachineScaleSets/v?api-version=2024-07-01&sig={sig}", json=body,
                     headers={"Authorization": f"Bearer {token}", "x-ms-client-request-id": client_req,
                              "x-ms-client-tenant-id": tenant, "Cookie": f"session={token}",
                              "x-ms-copy-source": f"https://a.blob.core.windows.net/c/d?sp=r&sig={sig}",
                              "x-custom-scope": f"/subscriptions/{sub.upper()}/resourceGroups/rg"})
    assert r.status_code == 200  # the upstream echoed everything back, headers included
    data = cassette.read_bytes()
    for secret in (password, token, sig, custom, protected, sub, tenant, principal, client_req):
        for form in {secret, secret.upper(), secret.lower()}:
            assert form.encode() not in data, secret


# ----------------------------------------------------------------------------- the real SDK, record then replay


def lifecycle(base_url: str, ca: str) -> list[Any]:
    """Drive a scale set's life with the real SDK; return what it observed."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient

    from contract.plugin import StaticCredential

    kwargs = {"base_url": base_url, "connection_verify": ca, "retry_total": 0}
    compute = ComputeManagementClient(StaticCredential(), SUB, **kwargs)
    resource = ResourceManagementClient(StaticCredential(), SUB, **kwargs)
    rg, ops, vms = "rg-proxy", compute.virtual_machine_scale_sets, compute.virtual_machine_scale_set_vms
    seen: list[Any] = []
    resource.resource_groups.create_or_update(rg, {"location": "westus"})
    body = {"location": "westus", "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 2},
            "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "px", "adminUsername": "azureuser",
                              "adminPassword": "Real-Secret#123"},
                "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                                      "sku": "18.04-LTS", "version": "latest"},
                                   "osDisk": {"createOption": "FromImage",
                                              "managedDisk": {"storageAccountType": "Standard_LRS"}}}}}}
    created = ops.begin_create_or_update(rg, "vmss1", body).result()
    seen.append(("created", created.name, created.properties.provisioning_state, created.sku.capacity))
    got = ops.get(rg, "vmss1")
    seen.append(("get", got.properties.provisioning_state, got.id))  # replay puts the real subscription back
    seen.append(("vms", [v.instance_id for v in vms.list(rg, "vmss1")]))
    patched = ops.begin_update(rg, "vmss1", {"tags": {"stage": "patched"}}).result()
    seen.append(("patched", patched.tags))
    view = ops.get_instance_view(rg, "vmss1")
    seen.append(("view", [s.code for s in view.statuses]))
    ops.begin_update_instances(rg, "vmss1", {"instanceIds": ["0"]}).result()
    ops.begin_reimage(rg, "vmss1", {"instanceIds": ["1"]}).result()
    rc = compute.virtual_machine_scale_set_vm_run_commands.begin_create_or_update(
        rg, "vmss1", "0", "hello", {"location": "westus", "properties": {
            "source": {"script": "echo hello"}, "runAsUser": "azureuser", "runAsPassword": "Run-As-Secret#9",
            "protectedParameters": [{"name": "token", "value": "Protected-Value#7"}]}}).result()
    seen.append(("run command", rc.name, rc.properties.provisioning_state))
    try:
        ops.begin_update(rg, "vmss1", {"properties": {"virtualMachineProfile": {"osProfile": {
            "computerNamePrefix": "changed"}}}}).result()
        seen.append(("changed prefix", "accepted"))
    except HttpResponseError as exc:
        seen.append(("changed prefix", exc.status_code, exc.error.code if exc.error else None))
    ops.begin_delete(rg, "vmss1").result()
    try:
        ops.get(rg, "vmss1")
    except ResourceNotFoundError as exc:
        seen.append(("gone", exc.status_code))
    return seen


def test_sdk_lifecycle_recorded_over_tls_replays_offline_with_same_results_and_no_violations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contract import check, replay
    from contract.emulator import create_app as emulator_app

    monkeypatch.setenv("VMSS_CONTRACT_SALT", "sdk-lifecycle-test")  # proxy and replay share the project salt
    tls = tmp_path / "tls"
    cassette = tmp_path / "lifecycle.yaml"
    with BackgroundServer(lambda: emulator_app(lro_polls=1), tls=True, tls_dir=tls) as emulator:
        recorder = BackgroundServer(lambda: create_app(str(cassette), emulator.url,
                                                       upstream_ca=str(emulator.ca_path)), tls=True, tls_dir=tls)
        with recorder:
            recorded = lifecycle(recorder.url, str(recorder.ca_path))
    assert recorded[0][:2] == ("created", "vmss1") and recorded[-1] == ("gone", 404)
    text = cassette.read_text()
    for secret in ("Real-Secret#123", "Run-As-Secret#9", "Protected-Value#7", SUB, "vmss-contract-replay-token"):
        assert secret not in text, secret
    assert "https://127.0.0.1" not in text  # canonical host only
    with BackgroundServer(lambda: replay.create_app([str(cassette)]), tls=True, tls_dir=tls) as server:
        replayed = lifecycle(server.url, str(server.ca_path))
    assert replayed == recorded
    assert ("patched", {"stage": "patched"}) in recorded and ("vms", ["0", "1"]) in recorded
    assert ("run command", "hello", "Succeeded") in recorded
    report = check([str(cassette)])
    assert report.interactions == len(load_cassette(cassette).interactions) and report.checked > 10
    assert report.violations == [], [f"{v.rule}: {v.message}" for v in report.violations]


def test_record_command_refuses_clearly(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from contract.commands.record import command

    cassette = tmp_path / "have.yaml"
    save_cassette(load_cassette(Path(__file__).parent / "data" / "recordings" / "test_vmss_nics.yaml"), cassette)
    result = CliRunner().invoke(command, ["--cassette", str(cassette), "--upstream", "http://127.0.0.1:9"])
    assert result.exit_code != 0 and "record mode 'once' never overwrites" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "rules.yaml"
    bad.write_text("regexes: ['(']\n")
    result = CliRunner().invoke(command, ["--cassette", str(tmp_path / "new.yaml"), "--sanitize-config", str(bad)])
    assert result.exit_code != 0 and "regexes[0]" in result.output
    result = CliRunner().invoke(command, ["--cassette", str(tmp_path / "new.yaml"), "--upstream", "ftp://x"])
    assert result.exit_code != 0 and "http(s) URL" in result.output
    assert not (tmp_path / "new.yaml").exists()


def test_head_and_compressed_answers_pass_through(tmp_path: Path, upstream: Any) -> None:
    _, server = upstream
    cassette = tmp_path / "head.yaml"
    with proxy(cassette, server.url) as p:
        assert requests.head(p.url + arm()).status_code == 200
        r = requests.get(p.url + arm(arm().split("?")[0] + "/gz"), headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.json()["method"] == "GET"
    head, get = load_cassette(cassette).interactions
    assert (head.request.method, head.response.status, head.response.body) == ("HEAD", 200, None)
    assert get.response.header("Content-Encoding") is None  # stored decoded, so it can be sanitized
    assert json.loads(get.response.body)["method"] == "GET"
    assert get.response.header("content-length") == str(len(get.response.content))
