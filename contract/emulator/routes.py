"""The emulator's URL map and `create_app`.

ARM paths are case-insensitive, so routing is a table of case-insensitive
regular expressions over the path (trailing slash tolerated) rather than
aiohttp's case-sensitive router. Each route names its provider, which decides
how the api-version is checked: Microsoft.Compute against the specs, the
Microsoft.Resources paths by shape only.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from contract.emulator import (
    disks,
    extensions,
    instances,
    network_resources,
    placement,
    resources,
    rolling,
    runcommands,
    scalesets,
)
from contract.emulator.contract import Contract
from contract.emulator.http import Call, Emulator, Refused
from contract.emulator.lro import Operations
from contract.emulator.state import Store
from contract.rules import Rules
from contract.servers import DEFAULT_MAX_BODY, JSON_BODY, arm_error, guard_middleware
from contract.specs import Spec

Handler = Callable[[Call], web.Response]

EMULATOR = web.AppKey("emulator", Emulator)
COMPLETE_AFTER = 5.0  # seconds until an operation nobody polls or reads finishes on its own

_SEG = r"[^/]+"
_SUB = rf"/subscriptions/(?P<sub>{_SEG})"
_RG = rf"{_SUB}/resourcegroups/(?P<rg>{_SEG})"
_VMSS = rf"{_RG}/providers/microsoft\.compute/virtualmachinescalesets/(?P<vmss>{_SEG})"
_VM = rf"{_VMSS}/virtualmachines/(?P<iid>{_SEG})"


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Handler]
    provider: str  # "compute" | "resources"


def _route(pattern: str, provider: str = "compute", **methods: Handler) -> Route:
    return Route(re.compile(f"^{pattern}$", re.IGNORECASE), {m.upper(): h for m, h in methods.items()}, provider)


ROUTES: tuple[Route, ...] = (
    _route(f"{_SUB}/providers/microsoft\\.compute/locations/(?P<loc>{_SEG})/operations/(?P<opid>{_SEG})",
           get=resources.get_operation_status),
    _route(f"{_SUB}/operationresults/(?P<opid>{_SEG})", "resources", get=resources.get_operation_result),
    _route(f"{_SUB}/resourcegroups", "resources", get=resources.list_groups),
    _route(_RG, "resources", put=resources.put_group, get=resources.get_group, head=resources.get_group,
           delete=resources.delete_group),
    _route(f"{_SUB}/providers/microsoft\\.compute/virtualmachinescalesets", get=scalesets.list_scale_sets),
    _route(f"{_RG}/providers/microsoft\\.compute/virtualmachinescalesets", get=scalesets.list_scale_sets),
    _route(f"{_SUB}/providers/microsoft\\.compute/locations/(?P<loc>{_SEG})/virtualmachinescalesets",
           get=scalesets.list_by_location),
    _route(_VMSS, get=scalesets.get_scale_set, put=scalesets.put_scale_set, patch=scalesets.patch_scale_set,
           delete=scalesets.delete_scale_set),
    _route(f"{_VMSS}/instanceview", get=scalesets.get_instance_view),
    _route(f"{_VMSS}/skus", get=scalesets.list_skus),
    _route(f"{_VMSS}/osupgradehistory", get=scalesets.get_os_upgrade_history),
    _route(f"{_VMSS}/extensions", get=extensions.list_extensions),
    _route(f"{_VMSS}/extensions/(?P<ext>{_SEG})", get=extensions.get_extension, put=extensions.put_extension,
           patch=extensions.patch_extension, delete=extensions.delete_extension),
    _route(f"{_VMSS}/(?P<action>{scalesets.ACTIONS})", post=scalesets.scale_set_action),
    _route(f"{_VMSS}/converttosingleplacementgroup", post=placement.convert_to_single_placement_group),
    _route(f"{_VMSS}/forcerecoveryservicefabricplatformupdatedomainwalk", post=placement.force_recovery_walk),
    _route(f"{_VMSS}/rollingupgrades/latest", get=rolling.get_latest),
    _route(f"{_VMSS}/publicipaddresses", get=instances.list_public_ips),
    _route(f"{_VMSS}/virtualmachines", get=instances.list_vms),
    _route(_VM, get=instances.get_vm, put=instances.put_vm, delete=instances.delete_vm),
    _route(f"{_VM}/instanceview", get=instances.get_vm_instance_view),
    _route(f"{_VM}/(?P<action>{'|'.join(instances.VM_ACTIONS)})", post=instances.vm_action),
    _route(f"{_VM}/runcommand", post=instances.run_command),
    _route(f"{_VM}/simulateeviction", post=instances.simulate_eviction),
    _route(f"{_VM}/attachdetachdatadisks", post=disks.attach_detach_data_disks),
    _route(f"{_VM}/retrievebootdiagnosticsdata", post=instances.retrieve_boot_diagnostics_data),
    _route(f"{_VM}/extensions", get=extensions.list_extensions),
    _route(f"{_VM}/extensions/(?P<ext>{_SEG})", get=extensions.get_extension, put=extensions.put_extension,
           patch=extensions.patch_extension, delete=extensions.delete_extension),
    _route(f"{_VM}/runcommands", get=runcommands.list_run_commands),
    _route(f"{_VM}/runcommands/(?P<rc>{_SEG})", get=runcommands.get_run_command, put=runcommands.put_run_command,
           patch=runcommands.patch_run_command, delete=runcommands.delete_run_command),
    _route(f"{_VMSS}/networkinterfaces", get=instances.list_network_interfaces),
    _route(f"{_VM}/networkinterfaces", get=instances.list_network_interfaces),
    _route(f"{_VM}/networkinterfaces/(?P<nic>{_SEG})", get=instances.get_network_interface),
    _route(f"{_VM}/networkinterfaces/(?P<nic>{_SEG})/ipconfigurations/(?P<ipc>{_SEG})/publicipaddresses",
           get=instances.list_public_ips),
    _route(f"{_VM}/networkinterfaces/(?P<nic>{_SEG})/ipconfigurations/(?P<ipc>{_SEG})/publicipaddresses/"
           f"(?P<pip>{_SEG})", get=instances.get_public_ip),
)


def _unknown_route(path: str) -> web.Response:
    provider = re.search(r"/providers/([^/]+)/([^/]+)", path, re.IGNORECASE)
    if provider:
        return arm_error(404, "InvalidResourceType",
                         f"The resource type '{provider.group(2)}' could not be found in the namespace "
                         f"'{provider.group(1)}' (path '{path}').")
    return arm_error(404, "NotFound", f"No ARM resource answers at '{path}'.")


def _network_call(emulator: Emulator, request: web.Request) -> web.Response | None:
    """Microsoft.Network operations, found through specs/network.openapi.yaml (None: not one of them)."""
    found = network_resources.spec().match(request.method, request.path)
    if found is None:
        return None
    api = emulator.contract.other_provider_version(request.query.get("api-version", ""))
    if isinstance(api, web.Response):
        return api
    params = {**found.params, "sub": found.params.get("subscriptionId", ""),
              "rg": found.params.get("resourceGroupName", "")}
    call = Call(request=request, emulator=emulator, params=params, api=api, body=request.get(JSON_BODY))
    try:
        return network_resources.HANDLERS[found.operation.operation_id](call)
    except Refused as refused:
        return refused.response


def make_dispatch(emulator: Emulator) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def dispatch(request: web.Request) -> web.Response:
        path = request.path.rstrip("/") or "/"
        if "/microsoft.network/" in path.lower():
            network = _network_call(emulator, request)
            if network is not None:
                return network
        for route in ROUTES:
            match = route.pattern.match(path)
            if match is not None:
                break
        else:
            return _unknown_route(path)
        handler = route.methods.get(request.method)
        if handler is None:
            return arm_error(405, "MethodNotAllowed",
                             f"The resource at '{path}' does not support the HTTP method '{request.method}'.",
                             headers={"Allow": ", ".join(sorted(route.methods))})
        requested = request.query.get("api-version", "")
        contract = emulator.contract
        api = contract.api_version(requested) if route.provider == "compute" else \
            contract.other_provider_version(requested)
        if isinstance(api, web.Response):
            return api
        body = request.get(JSON_BODY)
        params = {k: v for k, v in match.groupdict().items() if v is not None}
        try:
            return handler(Call(request=request, emulator=emulator, params=params, api=api, body=body))
        except Refused as refused:
            return refused.response

    return dispatch


def create_app(lro_polls: int = 1, *, strict_operations: bool = True, complete_on_read: bool = True,
               complete_after: float | None = COMPLETE_AFTER, spec: Spec | None = None,
               rules: Rules | None = None, max_body: int = DEFAULT_MAX_BODY,
               network_integrity: bool = False) -> web.Application:
    """A fresh, empty emulator: every app has its own state.

    `lro_polls`: how many polls of an operation answer InProgress before it succeeds.
    Operations also finish on their own, as Azure's do: `complete_after` seconds after they
    start (None: never by time), and when the scale set or anything below it is read
    (`complete_on_read`). Turn both off to watch the in-between states.
    `strict_operations`: a write on a scale set whose operation still runs gets ARM's
    409 OperationNotAllowed (the default, as Azure); False fast-forwards the running one instead.
    `network_integrity`: a scale set PUT/PATCH may reference only subnets, pools, NSGs, ASGs and
    public IP prefixes this emulator holds (Azure's 400 InvalidResourceReference); off by default
    until every caller builds its network first (issue 13).
    """
    emulator = Emulator(store=Store(), operations=Operations(lro_polls, complete_after=complete_after),
                        contract=Contract(spec, rules), strict_operations=strict_operations,
                        complete_on_read=complete_on_read, network_integrity=network_integrity)
    app = web.Application(middlewares=[guard_middleware(max_body=max_body)], client_max_size=max_body + 1)
    app[EMULATOR] = emulator
    app.router.add_route("*", "/{tail:.*}", make_dispatch(emulator))
    return app
