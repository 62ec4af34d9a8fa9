"""The emulator's dispatcher and `create_app`.

There is no route table here: a request is matched with `Spec.match`, the same lookup
the checker uses, and answered by the handler registered for the matched operationId.
Each handler module ends with `HANDLERS: dict[operationId, handler]`; adding an API is
a spec entry plus a handler. Paths the spec does not know get ARM's 404.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import ModuleType

from aiohttp import web

from contract.emulator import (
    catalog,
    deployments,
    disks,
    extensions,
    identities,
    instances,
    inventory,
    network_resources,
    placement,
    resources,
    role_assignments,
    rolling,
    runcommands,
    scalesets,
    standalone,
    subscriptions,
    synchronous,
)
from contract.emulator.contract import Contract
from contract.emulator.http import Call, Emulator, Refused
from contract.emulator.images import Catalogue
from contract.emulator.images import builtin as builtin_images
from contract.emulator.lro import Operations
from contract.emulator.readcache import CACHED_READS
from contract.emulator.state import Store
from contract.rules import Rules
from contract.identity import METADATA_PATH
from contract.servers import DEFAULT_MAX_BODY, JSON_BODY, arm_error, guard_middleware
from contract.specs import OperationMatch, Spec

Handler = Callable[[Call], web.Response]

EMULATOR = web.AppKey("emulator", Emulator)
COMPLETE_AFTER = 5.0  # seconds until an operation nobody polls or reads finishes on its own
PAGE_SIZE = 1000  # items per list page (Azure pages long lists; clients follow nextLink)

# Every module whose `HANDLERS` the emulator serves.
HANDLER_MODULES: tuple[ModuleType, ...] = (
    resources, subscriptions, inventory, scalesets, instances, extensions, runcommands, placement, rolling, disks,
    network_resources, identities, role_assignments, catalog, standalone, deployments,
)

# The swagger names one path segment differently in different operations; handlers read one name.
_PARAM_SYNONYMS = {"virtualmachineIndex": "instanceId"}
_METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE", "HEAD")


def handlers(modules: tuple[ModuleType, ...] = HANDLER_MODULES) -> dict[str, Handler]:
    """operationId -> handler, from every module's `HANDLERS`; an operationId claimed twice is a bug."""
    table: dict[str, Handler] = {}
    for module in modules:
        for operation_id, handler in module.HANDLERS.items():
            if operation_id in table:
                raise RuntimeError(f"{operation_id} is handled by both {table[operation_id].__module__} "
                                   f"and {module.__name__}")
            table[operation_id] = handler
    return table


def _unknown_path(spec: Spec, method: str, path: str) -> web.Response:
    """ARM's answer when no operation matches: 405 if another method would, else 404."""
    allowed = [m for m in _METHODS if m != method and spec.match(m, path) is not None]
    if allowed:
        return arm_error(405, "MethodNotAllowed",
                         f"The resource at '{path}' does not support the HTTP method '{method}'.",
                         headers={"Allow": ", ".join(allowed)})
    provider = re.search(r"/providers/([^/]+)/([^/]+)", path, re.IGNORECASE)
    if provider:
        return arm_error(404, "InvalidResourceType",
                         f"The resource type '{provider.group(2)}' could not be found in the namespace "
                         f"'{provider.group(1)}' (path '{path}').")
    return arm_error(404, "NotFound", f"No ARM resource answers at '{path}'.")


def route(emulator: Emulator, table: Mapping[str, Handler], request: web.Request,
          found: OperationMatch, body: object) -> web.Response:
    """Answer one matched request: resolve its api-version for that operation, then call its handler.

    Template deployments call this too, so a resource in a template meets exactly the handler
    (and the refusals) a direct PUT of it meets.
    """
    operation = found.operation
    handler = table.get(operation.operation_id)
    if handler is None:
        return arm_error(501, "OperationNotEmulated",
                         f"The emulator knows operation '{operation.operation_id}' from the contract but does "
                         f"not serve it.")
    api = emulator.contract.api_version(request.query.get("api-version", ""), operation.operation_id)
    if isinstance(api, web.Response):
        return api
    params = {_PARAM_SYNONYMS.get(k, k): v for k, v in found.params.items()}
    cacheable = request.method == "GET" and operation.operation_id in CACHED_READS
    if cacheable:
        emulator.operations.settle_due()
        hit = emulator.read_cache.get(request.path_qs, emulator.revision)
        if hit is not None:
            return hit
    elif request.method not in ("GET", "HEAD"):
        emulator.writes += 1
    before, started = emulator.revision, emulator.operations.started
    try:
        response = handler(Call(request=request, emulator=emulator, params=params, api=api, body=body,
                                operation=operation))
    except Refused as refused:
        return refused.response
    if emulator.synchronous and request.method not in ("GET", "HEAD"):
        return synchronous.complete(emulator, request, operation, response, started,
                                    lambda r: _read_back(emulator, table, r))
    if cacheable and emulator.revision == before:
        emulator.read_cache.put(request.path_qs, before, response)
    return response


def _read_back(emulator: Emulator, table: Mapping[str, Handler], request: web.Request) -> web.Response | None:
    """A GET of the path `request` wrote (what a synchronous PUT/PATCH answers once it has finished)."""
    found = emulator.contract.spec.match("GET", request.path)
    if found is None:
        return None
    return route(emulator, table, _AsGet(request), found, None)  # type: ignore[arg-type]


class _AsGet:
    """The written request read as a GET of its path: same URL, query and headers, no body (an aiohttp
    request whose body was read cannot be cloned)."""

    method = "GET"

    def __init__(self, request: web.Request) -> None:
        self._request = request

    def __getattr__(self, name: str) -> object:
        return getattr(self._request, name)

    def get(self, key: object, default: object = None) -> object:
        return default


def make_dispatch(emulator: Emulator) -> Callable[[web.Request], Awaitable[web.Response]]:
    table = handlers()
    spec = emulator.contract.spec

    async def dispatch(request: web.Request) -> web.Response:
        path = request.path
        found = spec.match(request.method, path)
        if found is None:
            return _unknown_path(spec, request.method, path.rstrip("/") or "/")
        return route(emulator, table, request, found, request.get(JSON_BODY))

    return dispatch


def _unauthenticated(request: web.Request) -> bool:
    """ARM's cloud metadata is read before any login (`az cloud register`): no bearer token needed.
    Without an api-version the guard still answers (MissingApiVersionParameter once authenticated)."""
    return request.method == "GET" and request.path.rstrip("/").lower() == METADATA_PATH \
        and bool(request.query.get("api-version"))


def create_app(lro_polls: int = 1, *, strict_operations: bool = True, complete_on_read: bool = True,
               complete_after: float | None = COMPLETE_AFTER, page_size: int = PAGE_SIZE, spec: Spec | None = None,
               rules: Rules | None = None, max_body: int = DEFAULT_MAX_BODY,
               network_integrity: bool = True, synchronous: bool = False, scheduled_maintenance: bool = False,
               images: str | Path | Catalogue | None = None) -> web.Application:
    """A fresh, empty emulator: every app has its own state.

    `lro_polls`: how many polls of an operation answer InProgress before it succeeds.
    Operations also finish on their own, as Azure's do: `complete_after` seconds after they
    start (None: never by time), and when the scale set or anything below it is read
    (`complete_on_read`). Turn both off to watch the in-between states.
    `images`: the platform image catalogue, or a file of images to add to the built-in one.
    `strict_operations`: a write on a scale set whose operation still runs gets ARM's
    409 OperationNotAllowed (the default, as Azure); False fast-forwards the running one instead.
    `network_integrity`: a scale set PUT/PATCH may reference only subnets, pools, NSGs, ASGs and
    public IP prefixes this emulator holds (Azure's 400 InvalidResourceReference), as Azure does.
    False is an escape hatch that is not what Azure does: a test may then stand a scale set on a
    subnet that does not exist and pass offline where Azure refuses it.
    `page_size`: items per page of every list; longer lists carry a `nextLink`.
    `synchronous`: answer every long-running operation synchronously, as ARM's RPC allows and the
    swagger documents (PUT 200/201 in a terminal state, DELETE 200, action 200, no async headers),
    to prove a client handles both forms; only where the spec declares that status. Azure's Compute
    answers asynchronously, and so does the default (see `emulator/synchronous.py`).
    `scheduled_maintenance`: the platform has maintenance pending for every VM a scale set makes, with the
    self-service window open (instance views show `maintenanceRedeployStatus`), so PerformMaintenance is
    accepted once per VM; by default none is pending and PerformMaintenance is refused (409).
    """
    emulator = Emulator(store=Store(), operations=Operations(lro_polls, complete_after=complete_after),
                        contract=Contract(spec, rules), strict_operations=strict_operations,
                        complete_on_read=complete_on_read, network_integrity=network_integrity,
                        page_size=page_size, synchronous=synchronous, scheduled_maintenance=scheduled_maintenance,
                        images=images if isinstance(images, Catalogue) or images is None
                        else builtin_images().extended(images))
    app = web.Application(middlewares=[guard_middleware(max_body=max_body, skip=_unauthenticated)],
                          client_max_size=max_body + 1)
    app[EMULATOR] = emulator
    app.router.add_route("*", "/{tail:.*}", make_dispatch(emulator))
    return app
