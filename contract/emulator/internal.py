"""Requests from inside the emulator (a deployment's resources): the HTTP server's own dispatch, no socket.

A template resource must meet exactly what a client's PUT of it meets: the same spec lookup
(`Spec.match`), the same api-version resolution and handler (`routes.route`), so the same
schemas, rules and refusals. The handler runs with an `InternalRequest`, which offers the few
request members handlers read (method, path, path_qs, query, url, headers, scheme, host, get).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from contract.emulator.deployment_engine import Reply
from contract.emulator.http import Emulator
from contract.servers import JSON_BODY

_NAMESPACE = re.compile(r"/providers/([^/]+)/([^/]+)", re.IGNORECASE)


class InternalRequest:
    """The request members handlers read, for a call that never crossed a socket."""

    def __init__(self, method: str, path: str, api_version: str, origin: URL, body: Any,
                 authorization: str | None = None) -> None:
        self.method = method
        self.path = path
        self.url = origin.with_path(path).with_query({"api-version": api_version})
        self.query: MultiDictProxy[str] = MultiDictProxy(MultiDict({"api-version": api_version}))
        self.path_qs = self.url.path_qs
        # ARM calls resource providers on the deploying client's behalf: its token goes along
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(
            CIMultiDict({"Authorization": authorization} if authorization else {}))
        self.scheme = origin.scheme
        self.host = origin.raw_host if origin.port is None else f"{origin.raw_host}:{origin.port}"
        self._values = {JSON_BODY: body}

    def get(self, key: Any, default: Any = None) -> Any:
        return self._values.get(key, default)


def reply_of(response: web.Response) -> Reply:
    body: Any = None
    if response.body:
        raw = response.body if isinstance(response.body, bytes) else bytes(response.body._value)  # type: ignore[union-attr]
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    return Reply(status=response.status, headers={k: v for k, v in response.headers.items()}, body=body)


class EmulatorGateway:
    """The deployment engine's way into the emulator: `Spec.match`, then the server's own `routes.route`."""

    def __init__(self, emulator: Emulator, origin: str, authorization: str | None = None) -> None:
        self.emulator = emulator
        self.origin = URL(origin)
        self.authorization = authorization

    def served(self, method: str, path: str) -> dict[str, Any] | None:
        """None when a handler serves `method path`; else ARM's error for it (unknown namespace or type)."""
        from contract.emulator import routes  # the server's dispatch (its modules import this one)

        spec = self.emulator.contract.spec
        found = spec.match(method, path)
        if found is not None and found.operation.operation_id in routes.handlers():
            return None
        # the last provider segment names the type (a management group's resources sit under two)
        providers = list(_NAMESPACE.finditer(path))
        namespace = providers[-1].group(1) if providers else ""
        kind = "/".join(p for i, p in enumerate(path.rsplit("/providers/", 1)[-1].split("/")[1:]) if i % 2 == 0)
        if namespace.lower() not in _namespaces(spec):
            return {"code": "NoRegisteredProviderFound",
                    "message": f"No registered resource provider found for namespace '{namespace}' (resource type "
                               f"'{namespace}/{kind}'): the emulator does not serve it."}
        return {"code": "InvalidResourceType",
                "message": f"The resource type '{kind}' could not be found in the namespace '{namespace}' "
                           f"(the emulator does not serve '{method} {path}')."}

    def call(self, method: str, path: str, api_version: str, body: Any) -> Reply:
        from contract.emulator import routes

        found = self.emulator.contract.spec.match(method, path)
        if found is None:
            problem = self.served(method, path) or {"code": "NotFound", "message": f"No route for {path}."}
            return Reply(status=404, headers={}, body={"error": problem})
        request = InternalRequest(method, path, api_version, self.origin, body, self.authorization)
        response = routes.route(self.emulator, routes.handlers(), request, found, body)  # type: ignore[arg-type]
        return reply_of(response)

    def resources_in(self, subscription: str, group: str) -> list[tuple[str, str]]:
        """Top-level resources of the group: its scale sets and the generic store's resources."""
        store = self.emulator.store
        out = [(v.id, "Microsoft.Compute/virtualMachineScaleSets") for v in store.list_scale_sets(subscription, group)]
        prefix = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/"
        for resource in store.resources(prefix=prefix):
            if len(resource.id[len(prefix):].strip("/").split("/")) == 3:  # namespace/type/name: not a child
                out.append((resource.id, resource.type))
        return out

    def settle(self, reply: Reply) -> None:
        """A deployment waits for each resource's own operation: finish it now. A nested deployment is
        polled through its own operationStatuses handler until it ends (each poll moves it on)."""
        for name in ("Azure-AsyncOperation", "Location"):
            url = reply.headers.get(name)
            if not url:
                continue
            split = urlsplit(url)
            parts = split.path.rstrip("/").split("/")
            if len(parts) < 3 or parts[1].lower() != "subscriptions":
                continue
            if "/operationstatuses/" in split.path.lower() and "/microsoft.resources/deployments/" in split.path.lower():
                version = dict(p.split("=", 1) for p in split.query.split("&") if "=" in p).get("api-version", "")
                for _ in range(self.emulator.operations.polls + 3):
                    status = self.call("GET", split.path, version, None)
                    if status.status >= 400 or (isinstance(status.body, dict)
                                                and status.body.get("status") in ("Succeeded", "Failed", "Canceled")):
                        break
                continue
            op = self.emulator.operations.get(parts[2], parts[-1])
            if op is not None:
                op.finish()


@lru_cache(maxsize=8)
def _namespaces_of(paths: tuple[str, ...]) -> frozenset[str]:
    return frozenset(m.group(1).lower() for p in paths for m in [_NAMESPACE.search(p)] if m is not None)


def _namespaces(spec: Any) -> frozenset[str]:
    """The resource provider namespaces the contract (hence the emulator) knows."""
    return _namespaces_of(tuple(op.path for op in spec.operations.values()))
