"""Nothing lost, no crash on hostile input, no open door: the recorder (and every server)
against real processes, a really full disk, real sockets from a non-loopback address."""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from contract.cassette import (
    Cassette,
    CassetteError,
    Interaction,
    Request,
    Response,
    load_appended,
    load_cassette,
    save_cassette,
)
from contract.proxy import PROXY, create_app
from contract.sanitize import Sanitizer
from contract.servers import BackgroundServer, LocalCA

pytest_plugins = ["pytester"]

SUB = "4d3c2b1a-1111-4222-8333-444455556666"
VMSS = f"/subscriptions/{SUB}/resourceGroups/rg-safe/providers/Microsoft.Compute/virtualMachineScaleSets/v1"
DEEP = b"[" * 5000 + b"]" * 5000
ENV = {**os.environ, "VMSS_CONTRACT_SALT": "safety-tests"}


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    if request.path == "/deep":
        return web.Response(body=b'{"a": ' + DEEP + b"}", content_type="application/json")
    return web.json_response({"path": request.path_qs, "size": len(body), "pad": "p" * 2000})


def upstream_app() -> web.Application:
    app = web.Application(client_max_size=128 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@pytest.fixture
def upstream() -> Iterator[BackgroundServer]:
    with BackgroundServer(upstream_app) as server:
        yield server


def start_record(cassette: Path, upstream_url: str, *extra: str,
                 preexec: Any = None) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "contract", "record", "--cassette", str(cassette),
                             "--upstream", upstream_url, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=ENV, preexec_fn=preexec)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("listening on "):
        proc.kill()
        raise AssertionError(f"record did not start: {line!r} {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    return proc, line.split()[-1]


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, err.decode()


# ----------------------------------------------------------------------------- one writer


def test_second_recorder_on_the_same_cassette_is_refused_naming_the_first(tmp_path: Path, upstream: Any) -> None:
    cassette = tmp_path / "shared.yaml"
    first, url = start_record(cassette, upstream.url, "--record-mode", "new_episodes")
    try:
        assert requests.put(url + VMSS + "?api-version=1", json={"n": 1}).status_code == 200
        second = subprocess.run([sys.executable, "-m", "contract", "record", "--cassette", str(cassette),
                                 "--upstream", upstream.url, "--record-mode", "new_episodes"],
                                capture_output=True, env=ENV, timeout=60)
        assert second.returncode != 0 and second.stdout == b""
        assert f"another recorder (pid {first.pid}) is writing this cassette" in second.stderr.decode()
        assert "Traceback" not in second.stderr.decode()
        assert requests.put(url + VMSS + "?api-version=1", json={"n": 2}).status_code == 200
    finally:
        code, _ = stop(first)
    assert code == 0
    assert [i.request.json() for i in load_cassette(cassette).interactions] == [{"n": 1}, {"n": 2}]
    assert not (tmp_path / ".shared.yaml.lock").exists()  # released and removed
    # the `once` check happens under the lock: an in-process recorder is refused the same way
    app = create_app(str(tmp_path / "new.yaml"), upstream.url)
    try:
        with pytest.raises(CassetteError, match=f"pid {os.getpid()}"):
            create_app(str(tmp_path / "new.yaml"), upstream.url)
    finally:
        app[PROXY].recorder.close()


# ----------------------------------------------------------------------------- full disk


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (a real ENOSPC); where mounting is not allowed, None (RLIMIT_FSIZE is used)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        yield None  # type: ignore[misc]
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_full_disk_keeps_a_loadable_prefix_answers_and_reports_what_is_missing(
        tmp_path: Path, upstream: Any, tiny_disk: Path | None) -> None:
    preexec = None
    if tiny_disk is not None:
        cassette = tiny_disk / "full.yaml"
        # fill the disk but ~40 KiB: a few interactions fit, then writes fail with ENOSPC
        with open(tiny_disk / "filler", "wb") as fh:
            fh.write(b"\0" * (256 - 40) * 1024)
    else:
        cassette = tmp_path / "full.yaml"

        def preexec() -> None:  # the kernel refuses writes past 40 KiB (EFBIG), as a full disk would
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (40 * 1024, resource.RLIM_INFINITY))
    proc, url = start_record(cassette, upstream.url, preexec=preexec)
    answers = []
    try:
        for n in range(40):
            r = requests.put(f"{url}{VMSS}/step{n}?api-version=1", json={"pad": "x" * 3000, "n": n}, timeout=30)
            answers.append((r.status_code, r.headers.get("x-vmss-contract-recording")))
    finally:
        code, err = stop(proc)
    assert all(status == 200 for status, _ in answers)  # every client got its real answer
    broken_from = next(n for n, (_, mark) in enumerate(answers) if mark == "broken")
    assert 0 < broken_from < 40 and all(mark == "broken" for _, mark in answers[broken_from:])
    recorded = load_cassette(cassette)  # strictly loadable: rolled back to the last complete item
    assert [i.request.json()["n"] for i in recorded.interactions] == list(range(broken_from))
    assert code == 1 and f"{40 - broken_from} exchange(s) answered but not on disk" in err
    assert f"PUT {VMSS}/step{broken_from}?api-version=1 -> 200" in err
    assert ("No space left" in err) if tiny_disk is not None else ("too large" in err.lower())


PLUGIN_TEST = '''
import os, resource, signal, requests

def test_exchange_lost(vmss_endpoint):
    base = vmss_endpoint.url + "/subscriptions/{sub}/resourceGroups/rg?api-version=2022-09-01"
    kw = dict(verify=vmss_endpoint.ca_path, headers={{"Authorization": "Bearer x"}}, timeout=30)
    assert requests.put(base, json={{"location": "westus"}}, **kw).status_code in (200, 201)
    size = os.path.getsize(vmss_endpoint.cassette_path)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 64, hard))  # the next write cannot fit
    try:
        answer = requests.get(base, **kw)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert answer.status_code == 200 and answer.headers["x-vmss-contract-recording"] == "broken"
'''


def test_plugin_fails_a_test_whose_exchange_could_not_be_written(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_lost=PLUGIN_TEST.format(sub=SUB))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                           "-p", "no:hypothesispytest", "--vmss-record-mode=all",
                                           "--vmss-upstream=emulator")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*vmss record: the recording in*is incomplete: 1 exchange(s)*",
                                 "*GET /subscriptions/*/resourceGroups/rg?api-version=2022-09-01 -> 200*"])


def test_durable_fsyncs_and_the_default_still_writes_before_answering(tmp_path: Path, upstream: Any) -> None:
    for durable in (False, True):
        cassette = tmp_path / f"d{durable}.yaml"
        with BackgroundServer(lambda: create_app(str(cassette), upstream.url, durable=durable,
                                                 sanitizer=Sanitizer({"salt": "d"}))) as p:
            for n in range(3):
                requests.put(f"{p.url}{VMSS}?api-version=1", json={"n": n})
                # before the server stops: the file already holds every answered exchange
                assert len(load_appended(cassette).interactions) == n + 1
            assert p.app[PROXY].recorder.appender.durable is durable  # type: ignore[index]


# ----------------------------------------------------------------------------- hostile input


def test_deep_json_gets_400_from_every_server_and_a_clear_error_in_a_cassette(
        tmp_path: Path, upstream: Any) -> None:
    from contract.emulator import create_app as emulator_app
    from contract.replay import create_app as replay_app

    recorded = tmp_path / "ok.yaml"
    save_cassette(Cassette([Interaction(
        Request("PUT", f"https://management.azure.com{VMSS}?api-version=2024-07-01", "{}", {}),
        Response(200, "OK", {"Content-Type": ["application/json"]}, "{}"))]), recorded)
    headers = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    with BackgroundServer(lambda: create_app(str(tmp_path / "p.yaml"), upstream.url)) as proxy, \
            BackgroundServer(lambda: replay_app([str(recorded)])) as replay, \
            BackgroundServer(emulator_app) as emulator:
        for server in (proxy, replay, emulator):
            r = requests.put(f"{server.url}{VMSS}?api-version=2024-07-01", data=DEEP, headers=headers)
            assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent", server.url
            assert requests.get(f"{server.url}{VMSS}?api-version=2024-07-01", headers=headers).status_code < 500
        r = requests.get(f"{proxy.url}/deep?api-version=1")  # an upstream answer
        assert r.status_code == 502 and "nested deeper" in r.json()["error"]["message"]
    # nothing hostile was recorded: only the proxy's well-formed GET
    assert [i.request.method for i in load_cassette(tmp_path / "p.yaml").interactions] == ["GET"]
    hostile = tmp_path / "deep.yaml"
    save_cassette(Cassette([load_cassette(recorded).interactions[0], Interaction(
        Request("PUT", f"https://management.azure.com{VMSS}?api-version=2024-07-01", DEEP.decode(), {}),
        Response(200, "OK", {}, "{}"))]), hostile)
    with pytest.raises(CassetteError, match=r"interaction 1: .*nested deeper than 64"):
        load_cassette(hostile)
    for command in (["replay", str(hostile)], ["check", str(hostile)]):
        done = subprocess.run([sys.executable, "-m", "contract", *command], capture_output=True, env=ENV, timeout=120)
        out = done.stdout.decode() + done.stderr.decode()
        assert done.returncode != 0 and "nested deeper than 64" in out and "Traceback" not in out, command


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 20) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 20:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_50_mb_body_gets_413_and_nothing_is_recorded(tmp_path: Path, upstream: Any) -> None:
    cassette = tmp_path / "big.yaml"
    seen: list[int] = []

    async def count(request: web.Request) -> web.Response:
        seen.append(len(await request.read()))
        return web.json_response({})

    def counting() -> web.Application:
        app = web.Application(client_max_size=128 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", count)
        return app

    fifty = 50 * 1024 * 1024
    with BackgroundServer(counting) as up, BackgroundServer(lambda: create_app(str(cassette), up.url)) as p:
        port = int(p.url.rsplit(":", 1)[1])
        # declared size: refused before a byte of the body is read
        answer = raw_request(port, f"PUT {VMSS}?api-version=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   f"Content-Length: {fifty}\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 413") and b"RequestEntityTooLarge" in answer
        # chunked, size unknown: refused once the limit is passed
        def chunks() -> Iterator[bytes]:
            for _ in range(fifty // (1024 * 1024)):
                yield b"z" * (1024 * 1024)
        try:
            r = requests.put(f"{p.url}{VMSS}?api-version=1", data=chunks(), timeout=60)
            assert r.status_code == 413 and r.json()["error"]["code"] == "RequestEntityTooLarge"
        except requests.ConnectionError:
            pass  # the proxy may close while the client is still sending; either way nothing passes
        assert requests.get(f"{p.url}{VMSS}?api-version=1").status_code == 200  # still serving
    assert seen == [0]  # the upstream saw only the GET
    assert [i.request.method for i in load_cassette(cassette).interactions] == ["GET"]
    assert b"zzzz" not in cassette.read_bytes()


def test_lying_length_slow_client_and_bad_utf8_time_out_and_the_servers_stay_up(
        tmp_path: Path, upstream: Any) -> None:
    from contract.emulator import create_app as emulator_app

    cassette = tmp_path / "lies.yaml"
    with BackgroundServer(lambda: create_app(str(cassette), upstream.url, body_timeout=1.0)) as p, \
            BackgroundServer(emulator_app) as emulator:
        port = int(p.url.rsplit(":", 1)[1])
        started = time.monotonic()
        answer = raw_request(port, f"PUT {VMSS}?api-version=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Content-Length: 1000\r\n\r\n".encode(), b'{"short": 1}')
        assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 10
        r = requests.put(f"{emulator.url}{VMSS}?api-version=2024-07-01", data=b'{"a": "\xff\xfe"}',
                         headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidRequestContent"
        assert requests.get(f"{p.url}{VMSS}?api-version=1").status_code == 200
    assert [i.request.method for i in load_cassette(cassette).interactions] == ["GET"]


# ----------------------------------------------------------------------------- no open door


def outside_address() -> str | None:
    """This machine's own non-loopback address (a real peer that is not loopback), if any."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def from_address(source: str, port: int, path: str) -> tuple[int, bytes]:
    with socket.socket() as sock:
        sock.bind((source, 0))
        sock.settimeout(20)
        sock.connect((source, port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {source}:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_servers_refuse_non_loopback_peers_unless_allowed(tmp_path: Path, upstream: Any) -> None:
    address = outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    credential_token = "cred-token-abcdefgh12345678"

    class Credential:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            from azure.core.credentials import AccessToken

            return AccessToken(credential_token, int(time.time()) + 3600)

    with BackgroundServer(lambda: create_app(str(tmp_path / "c.yaml"), upstream.url, credential=Credential()),
                          host="0.0.0.0") as p:
        port = int(p.url.rsplit(":", 1)[1])
        status, body = from_address(address, port, f"{VMSS}?api-version=1")
        assert status == 403 and b"ClientAddressNotAllowed" in body and credential_token.encode() not in body
        assert from_address("127.0.0.1", port, f"{VMSS}?api-version=1")[0] == 200
        assert from_address("127.0.0.2", port, f"{VMSS}?api-version=1")[0] == 200  # 127/8 is loopback too
    with BackgroundServer(upstream_app, host="0.0.0.0", allow_remote=True) as open_server:
        assert from_address(address, int(open_server.url.rsplit(":", 1)[1]), "/x")[0] == 200
    # the command: --credential stays on loopback unless --allow-remote says otherwise
    done = subprocess.run([sys.executable, "-m", "contract", "record", "--cassette", str(tmp_path / "r.yaml"),
                           "--credential", "--host", "0.0.0.0"], capture_output=True, env=ENV, timeout=60)
    assert done.returncode != 0 and "binds to loopback only" in done.stderr.decode()
    proc, url = start_record(tmp_path / "w.yaml", upstream.url, "--host", "0.0.0.0")
    code, err = stop(proc)
    assert "only loopback clients are served" in err


def test_credential_tokens_only_inside_allowed_resource_groups(tmp_path: Path) -> None:
    seen: list[str | None] = []

    async def note(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({})

    def app() -> web.Application:
        a = web.Application()
        a.router.add_route("*", "/{tail:.*}", note)
        return a

    class Credential:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            from azure.core.credentials import AccessToken

            return AccessToken("scoped-token-abcdefgh", int(time.time()) + 3600)

    with BackgroundServer(app) as up, BackgroundServer(lambda: create_app(
            str(tmp_path / "c.yaml"), up.url, credential=Credential(), allow_resource_groups=("rg-safe",))) as p:
        assert requests.get(f"{p.url}{VMSS}?api-version=1").status_code == 200
        other = requests.get(f"{p.url}/subscriptions/{SUB}/resourceGroups/prod/providers/x/y/z?api-version=1")
        assert other.status_code == 403 and other.json()["error"]["code"] == "ResourceGroupNotAllowed"
        sub_level = requests.get(f"{p.url}/subscriptions/{SUB}/providers?api-version=1")
        assert sub_level.status_code == 403
    assert seen == ["Bearer scoped-token-abcdefgh"]


def test_local_ca_is_private_and_an_expiring_certificate_is_renewed(tmp_path: Path) -> None:
    import trustme
    from cryptography import x509

    os.umask(0o022)
    ca = LocalCA(tmp_path / "tls")
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    for name in ("ca-key.pem", "server.pem"):
        assert stat.S_IMODE((tmp_path / "tls" / name).stat().st_mode) == 0o600
    leaf = x509.load_pem_x509_certificate((tmp_path / "tls" / "server.pem").read_bytes())
    assert leaf.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) > dt.timedelta(days=300)
    # the server certificate nears its end: re-issued from the same CA (clients keep trusting ca.pem)
    old_ca = (tmp_path / "tls" / "ca.pem").read_bytes()
    authority = trustme.CA.from_pem(old_ca, (tmp_path / "tls" / "ca-key.pem").read_bytes())
    soon = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=1)
    (tmp_path / "tls" / "server.pem").write_bytes(
        authority.issue_cert("127.0.0.1", not_after=soon).private_key_and_cert_chain_pem.bytes())
    os.chmod(tmp_path / "tls", 0o755)
    LocalCA(tmp_path / "tls")
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    renewed = x509.load_pem_x509_certificate((tmp_path / "tls" / "server.pem").read_bytes())
    assert renewed.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) > dt.timedelta(days=300)
    assert (tmp_path / "tls" / "ca.pem").read_bytes() == old_ca
    with BackgroundServer(upstream_app, tls=True, tls_dir=tmp_path / "tls") as server:
        assert requests.get(server.url + "/x", verify=str(ca.ca_path)).status_code == 200
