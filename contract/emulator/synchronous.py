"""Synchronous answers: every long-running operation completes within its request.

ARM's resource-provider contract lets a provider finish a write before it answers, and the
swagger documents those answers next to the asynchronous ones (Compute's actions list 200 and
202, its deletes 200, 202 and 204, its PUTs 200 and 201):
- a PUT or PATCH answers 200/201 with the resource in a terminal provisioningState and no
  Azure-AsyncOperation ("If no value is returned for provisioningState, the operation finished
  and succeeded"; a terminal value means the same);
- a DELETE answers 200 (204 stays the answer for what is already gone);
- a POST action answers 200, with the action's result as its body when it has one.
Sources: Azure Resource Manager, "Track asynchronous Azure operations"
(https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations: a 201/202
does not by itself mean the operation is asynchronous; a terminal or absent provisioningState means it
finished) and the RPC's async-api-reference
(https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/async-api-reference.md).

Azure's Compute provider answers these operations asynchronously (every recording in the corpus
does), so the default emulator does too; `create_app(synchronous=True)` / `emulate --synchronous`
turns this on to prove a client handles both forms. An answer is made synchronous only where the
spec declares the status it becomes (ApproveRollingUpgrade documents only 202, so it stays 202).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from aiohttp import web

from contract.emulator.http import _ENCODER, Emulator
from contract.servers import JSON_CONTENT_TYPE
from contract.specs import Operation as SpecOperation

# What an asynchronous answer carries that a synchronous one does not.
_ASYNC_HEADERS = ("Azure-AsyncOperation", "Location", "Retry-After", "retry-after-ms")


def complete(emulator: Emulator, request: web.Request, operation: SpecOperation, response: web.Response,
             started: int, read: Callable[[web.Request], web.Response | None]) -> web.Response:
    """`response` made synchronous: the operations its request started finish now, and the answer
    becomes the one a provider that finished before answering gives. `started` is
    `emulator.operations.started` before the request; `read(request)` answers a GET of the same path."""
    if not 200 <= response.status < 300:
        return response
    ops = emulator.operations.since(started)
    if not ops:
        return response
    method = request.method
    if method == "DELETE":
        status = 200
    elif method == "POST":
        status = 200
    else:
        status = response.status
    if status not in operation.statuses:
        return response  # the spec documents only the asynchronous form: keep it
    for op in ops:
        op.finish()
    headers = _without(response.headers, _ASYNC_HEADERS)
    if method in ("PUT", "PATCH"):
        fresh = read(request)
        if fresh is None or fresh.status != 200:
            return response
        return _rebuilt(status, headers, fresh.body)
    if method == "POST":
        result = next((op.result for op in reversed(ops) if op.result is not None), None)
        if result is not None:
            headers["Content-Type"] = JSON_CONTENT_TYPE
            return _rebuilt(status, headers, _ENCODER.encode(result).encode())
    headers.pop("Content-Type", None)
    return _rebuilt(status, headers, None)


def _without(headers: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    lowered = {n.lower() for n in names}
    return {k: v for k, v in headers.items() if k.lower() not in lowered and k.lower() != "content-length"}


def _rebuilt(status: int, headers: dict[str, str], body: bytes | None) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, headers=headers, body=body)
