"""Test helpers shared by several test files (tests/ is on pytest's pythonpath)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from contract.cassette import Interaction, Request, Response


class Capture:
    """Outermost middleware keeping every interaction the emulator answered (for the checker)."""

    def __init__(self) -> None:
        self.interactions: list[Interaction] = []

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            body = await request.read() if request.body_exists else b""
        except web.HTTPException:  # oversize: the emulator's guard answers it
            body = b""
        response = await handler(request)
        out = response.body if isinstance(response, web.Response) else None
        self.interactions.append(Interaction(
            Request(request.method, str(request.url), body.decode("utf-8", "replace") or None,
                    {k: request.headers.getall(k) for k in request.headers}),
            Response(response.status, response.reason or "",
                     {k: response.headers.getall(k) for k in response.headers},
                     out.decode() if isinstance(out, bytes | bytearray) and out else None)))
        return response


def assert_no_violations(report: Any) -> None:
    """Fail with one line per violation (rule, request, status, message) when the checker found any."""
    assert report.violations == [], "\n".join(f"{v.rule}: {v.method} {v.uri} -> {v.status}: {v.message}"
                                              for v in report.violations)
