"""`contract.upstream`: an unusable upstream is named by its cause before anything is recorded."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from contract.servers import BackgroundServer
from contract.upstream import unreachable_cause


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refusing_app() -> web.Application:
    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "InvalidAuthenticationToken",
                                            "message": "The access token is invalid."}}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", refuse)
    return app


def test_each_cause_is_named(tmp_path: Path) -> None:
    assert "connection refused" in str(unreachable_cause(f"https://127.0.0.1:{_free_port()}"))
    with BackgroundServer(_refusing_app, tls=True, tls_dir=tmp_path) as server:
        untrusted = unreachable_cause(server.url)  # our local CA is not in the system store
        assert untrusted is not None and untrusted.startswith("TLS failure") and "--upstream-ca" in untrusted
        refused = unreachable_cause(server.url, str(server.ca_path), "token")
        assert refused is not None and refused.startswith("401") and "InvalidAuthenticationToken" in refused
    with BackgroundServer(_refusing_app) as plain:  # https:// to a plain-http server
        assert str(unreachable_cause(plain.url.replace("http://", "https://"))).startswith("TLS failure")


def test_a_server_that_answers_is_usable(tmp_path: Path) -> None:
    from contract.emulator import create_app

    with BackgroundServer(create_app, tls=True, tls_dir=tmp_path) as emulator:
        assert unreachable_cause(emulator.url, str(emulator.ca_path), "any-token") is None


def test_run_names_the_cause_and_exits_2(tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{_free_port()}"
    done = subprocess.run([sys.executable, "-m", "contract", "run", "--upstream", url, "--out", "unused"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"Error: cannot record from {url}: connection refused" in " ".join(done.stdout.split())
    assert not (tmp_path / "unused").exists()  # nothing written before the upstream is known to work
