"""contract.servers over real loopback sockets: TLS, the `listening on` line, guards."""
from __future__ import annotations

import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
import requests
from aiohttp import web
from click.testing import CliRunner

from contract.servers import (
    JSON_BODY,
    BackgroundServer,
    LocalCA,
    arm_error,
    arm_headers,
    guard_middleware,
    server_options,
)

AUTH = {"Authorization": "Bearer test-token"}
REPO = Path(__file__).resolve().parent.parent


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"method": request.method, "bytes": len(body), "json": request.get(JSON_BODY)})


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("handler bug")


def guarded_app(**options: object) -> web.Application:
    app = web.Application(middlewares=[guard_middleware(**options)], client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/subscriptions/{tail:.*}", echo)
    app.router.add_get("/boom", boom)
    return app


@pytest.fixture(scope="module")
def guarded() -> BackgroundServer:
    known = {"2022-11-01", "2024-07-01"}
    check = lambda v: None if v in known else f"api-version '{v}' is not supported; use one of {sorted(known)}."  # noqa: E731
    with BackgroundServer(lambda: guarded_app(api_version_check=check, require_api_version=True)) as server:
        yield server


def error_of(response: requests.Response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    assert set(payload) == {"error"}
    return payload["error"]


# ------------------------------------------------------------------ ARM answers

def test_arm_error_shape_and_headers() -> None:
    resp = arm_error(404, "ResourceNotFound", "gone", target="vmss1")
    assert resp.status == 404
    assert json.loads(resp.body) == {"error": {"code": "ResourceNotFound", "message": "gone", "target": "vmss1"}}
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    for name in ("x-ms-request-id", "x-ms-correlation-request-id", "x-ms-routing-request-id"):
        assert resp.headers[name]
    assert "target" not in json.loads(arm_error(400, "X", "y").body)["error"]


def test_retry_after_only_on_429_and_503() -> None:
    assert "Retry-After" not in arm_error(409, "OperationNotAllowed", "busy", headers={"Retry-After": "5"}).headers
    assert arm_error(429, "TooManyRequests", "slow", headers={"Retry-After": "5"}).headers["Retry-After"] == "5"


def test_arm_headers_reads_and_writes() -> None:
    write, read = arm_headers(True), arm_headers(False)
    assert "x-ms-ratelimit-remaining-subscription-writes" in write
    assert "x-ms-ratelimit-remaining-subscription-reads" in read
    assert write["x-ms-request-id"] != read["x-ms-request-id"]


# ------------------------------------------------------------------ BackgroundServer + TLS

def test_background_server_plain_http_and_stop() -> None:
    server = BackgroundServer(lambda: guarded_app(require_auth=False))
    with server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.ca_path is None
        port = int(server.url.rsplit(":", 1)[1])
        assert port != 0
        r = requests.get(server.url + "/subscriptions/x?api-version=1", timeout=5)
        assert r.status_code == 200 and r.json()["method"] == "GET"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_background_server_reports_bind_errors() -> None:
    with BackgroundServer(lambda: guarded_app()) as first:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            BackgroundServer(lambda: guarded_app(), port=port).start()
        assert requests.get(first.url + "/boom", timeout=5).status_code == 401  # first one unharmed


def test_tls_with_local_ca(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    with BackgroundServer(lambda: guarded_app(), tls=True, tls_dir=tls_dir) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_path == tls_dir / "ca.pem" and server.ca_path.is_file()
        url = server.url + "/subscriptions/x?api-version=2022-11-01"
        r = requests.get(url, headers=AUTH, verify=str(server.ca_path), timeout=5)
        assert r.status_code == 200
        # the same certificate is valid for "localhost" too
        port = server.url.rsplit(":", 1)[1]
        r = requests.get(f"https://localhost:{port}/subscriptions/x?api-version=1", headers=AUTH,
                         verify=str(server.ca_path), timeout=5)
        assert r.status_code == 200
        # a client that does not trust the local CA refuses the server
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, headers=AUTH, timeout=5)
    key_mode = (tls_dir / "ca-key.pem").stat().st_mode & 0o777
    assert key_mode == 0o600


async def test_aiohttp_client_trusting_the_local_ca(tmp_path: Path) -> None:
    import aiohttp

    with BackgroundServer(lambda: guarded_app(), tls=True, tls_dir=tmp_path) as server:
        ssl_ctx = LocalCA(tmp_path).client_ssl_context()
        async with aiohttp.ClientSession() as session:
            async with session.put(server.url + "/subscriptions/x?api-version=2022-11-01", json={"a": 1},
                                   headers=AUTH, ssl=ssl_ctx) as resp:
                assert resp.status == 200 and (await resp.json())["json"] == {"a": 1}
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await session.get(server.url + "/subscriptions/x?api-version=1", headers=AUTH)


def test_local_ca_is_reused(tmp_path: Path) -> None:
    first = LocalCA(tmp_path)
    pem = first.ca_path.read_bytes()
    second = LocalCA(tmp_path)
    assert second.ca_path.read_bytes() == pem
    ctx = second.server_ssl_context()
    assert isinstance(ctx, ssl.SSLContext)


def test_local_ca_default_dir_is_per_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ca = LocalCA()
    assert ca.ca_path == tmp_path / "vmss-contract" / "tls" / "ca.pem"
    assert ca.ca_path.is_file()


# ------------------------------------------------------------------ guard middleware

def test_missing_authorization_is_401_with_www_authenticate(guarded: BackgroundServer) -> None:
    r = requests.get(guarded.url + "/subscriptions/x?api-version=2022-11-01", timeout=5)
    assert r.status_code == 401
    assert error_of(r)["code"] == "AuthenticationFailed"
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "Retry-After" not in r.headers
    r = requests.get(guarded.url + "/subscriptions/x?api-version=2022-11-01",
                     headers={"Authorization": "Basic abc"}, timeout=5)
    assert r.status_code == 401 and error_of(r)["code"] == "InvalidAuthenticationToken"


def test_missing_and_unknown_api_version(guarded: BackgroundServer) -> None:
    r = requests.get(guarded.url + "/subscriptions/x", headers=AUTH, timeout=5)
    assert r.status_code == 400 and error_of(r)["code"] == "MissingApiVersionParameter"
    r = requests.get(guarded.url + "/subscriptions/x?api-version=1999-01-01", headers=AUTH, timeout=5)
    err = error_of(r)
    assert r.status_code == 400 and err["code"] == "InvalidApiVersionParameter"
    assert "1999-01-01" in err["message"] and "2022-11-01" in err["message"]


def test_malformed_json_and_invalid_utf8(guarded: BackgroundServer) -> None:
    url = guarded.url + "/subscriptions/x?api-version=2022-11-01"
    r = requests.put(url, data=b'{"location": ', headers=AUTH, timeout=5)
    assert r.status_code == 400 and error_of(r)["code"] == "InvalidRequestContent"
    r = requests.put(url, data=b'{"location": "\xff\xfe"}', headers=AUTH, timeout=5)
    err = error_of(r)
    assert r.status_code == 400 and err["code"] == "InvalidRequestContent" and "UTF-8" in err["message"]
    r = requests.put(url, data=b'{"location": "westeurope"}', headers=AUTH, timeout=5)
    assert r.status_code == 200 and r.json()["json"] == {"location": "westeurope"}


def test_oversize_body_is_413_and_server_keeps_serving(guarded: BackgroundServer) -> None:
    url = guarded.url + "/subscriptions/x?api-version=2022-11-01"
    big = b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    r = requests.put(url, data=big, headers=AUTH, timeout=30)
    assert r.status_code == 413 and error_of(r)["code"] == "RequestEntityTooLarge"
    # chunked upload without content-length: caught while reading
    r = requests.put(url, data=iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                     headers=AUTH, timeout=30)
    assert r.status_code == 413 and error_of(r)["code"] == "RequestEntityTooLarge"
    r = requests.get(url, headers=AUTH, timeout=5)
    assert r.status_code == 200


def test_unknown_route_and_handler_crash_are_cloud_errors(guarded: BackgroundServer) -> None:
    r = requests.get(guarded.url + "/nowhere?api-version=2022-11-01", headers=AUTH, timeout=5)
    assert r.status_code == 404 and error_of(r)["code"] == "NotFound"
    r = requests.get(guarded.url + "/boom?api-version=2022-11-01", headers=AUTH, timeout=5)
    assert r.status_code == 500 and error_of(r)["code"] == "InternalServerError"
    assert "handler bug" not in r.text
    assert requests.get(guarded.url + "/subscriptions/x?api-version=2022-11-01", headers=AUTH,
                        timeout=5).status_code == 200


def test_each_check_can_be_turned_off() -> None:
    app = lambda: guarded_app(require_auth=False, require_api_version=False, check_json=False,  # noqa: E731
                              max_body=None)
    with BackgroundServer(app) as server:
        r = requests.put(server.url + "/subscriptions/x", data=b"not json \xff", timeout=5)
        assert r.status_code == 200 and r.json()["bytes"] == len(b"not json \xff")
        r = requests.put(server.url + "/subscriptions/x", data=b"x" * (5 * 1024 * 1024), timeout=30)
        assert r.status_code == 200


def test_smaller_max_body() -> None:
    with BackgroundServer(lambda: guarded_app(require_auth=False, max_body=100)) as server:
        url = server.url + "/subscriptions/x?api-version=1"
        assert requests.put(url, json={"a": "x" * 50}, timeout=5).status_code == 200
        assert requests.put(url, json={"a": "x" * 200}, timeout=5).status_code == 413


# ------------------------------------------------------------------ serve_forever + options

SERVE_SCRIPT = textwrap.dedent("""
    import sys
    from aiohttp import web
    from contract.servers import serve_forever

    async def hello(request):
        return web.Response(text="hi")

    app = web.Application()
    app.router.add_get("/", hello)
    serve_forever(app, "127.0.0.1", 0, tls=sys.argv[1] == "tls", tls_dir=sys.argv[2])
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_prints_listening_line_and_stops_on_signal(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, "tls", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.fullmatch(r"listening on (https://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        assert int(match.group(2)) > 0
        r = requests.get(match.group(1) + "/", verify=str(tmp_path / "ca.pem"), timeout=5)
        assert r.text == "hi"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert out == ""  # exactly one line on stdout; logs go to stderr
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_server_options_defaults_and_values(tmp_path: Path) -> None:
    seen: dict = {}

    @click.command()
    @server_options
    def cmd(host: str, port: int, tls: bool, tls_dir: Path | None) -> None:
        seen.update(host=host, port=port, tls=tls, tls_dir=tls_dir)

    result = CliRunner().invoke(cmd, [])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "127.0.0.1", "port": 0, "tls": False, "tls_dir": None}
    result = CliRunner().invoke(cmd, ["--host", "localhost", "--port", "8443", "--tls", "--tls-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert seen == {"host": "localhost", "port": 8443, "tls": True, "tls_dir": tmp_path}
    result = CliRunner().invoke(cmd, ["--port", "70000"])
    assert result.exit_code != 0


def test_skip_bypasses_every_check_for_chosen_requests() -> None:
    app = lambda: guarded_app(skip=lambda r: r.path == "/subscriptions/health")  # noqa: E731
    with BackgroundServer(app) as server:
        assert requests.get(server.url + "/subscriptions/health", timeout=5).status_code == 200
        assert requests.get(server.url + "/subscriptions/other", timeout=5).status_code == 401
