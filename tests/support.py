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


# CI sets CI=true: there, a test whose input (../shared, Chromium) is missing fails instead of skipping,
# so a green CI run never hides checks that silently did not happen.
IN_CI = __import__("os").environ.get("CI", "").lower() == "true"


def requires(available: bool, what: str) -> Any:
    """Decorator: run the test when `what` is available; else skip it locally, and fail it in CI."""
    import functools

    import pytest

    if available:
        return lambda test: test
    if not IN_CI:
        return pytest.mark.skip(reason=f"{what} is not available here (in CI, with CI=true, this fails)")

    def failing(test: Any) -> Any:
        @functools.wraps(test)
        def missing(*args: Any, **kwargs: Any) -> None:
            pytest.fail(f"{what} is missing, and CI must run {test.__name__}", pytrace=False)

        return missing

    return failing


def network_request(subnet_id: str, location: str = "westus") -> tuple[str, dict[str, Any]]:
    """(path with api-version, body) of the virtual network holding `subnet_id`: PUT it before a scale set
    that names the subnet, as a real client does (the emulator, like Azure, refuses a missing subnet)."""
    from contract.network_setup import virtual_network_request

    return virtual_network_request(subnet_id, location)
