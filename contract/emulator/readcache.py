"""Answers to repeated reads, kept until anything could have changed them.

A read of a scale set, its VMs, instance views, run commands, NICs or public IPs is built from
state and encoded on every request; a client polling or listing asks the same thing many times
between writes. The emulator keeps a `revision` that moves on every write (any non-GET request
routed, template deployments included) and every operation that finishes (time, poll or read);
an answer is reused only while the revision it was made at is current, and only if making it
changed nothing (a read that finishes an operation is not kept). Headers are fresh per answer:
only the status and body are reused.
"""
from __future__ import annotations

from aiohttp import web

from contract.servers import JSON_CONTENT_TYPE, arm_headers

# Reads whose answers depend only on emulator state (no clock of their own).
CACHED_READS = frozenset({
    "VirtualMachineScaleSets_Get", "VirtualMachineScaleSets_List", "VirtualMachineScaleSets_ListAll",
    "VirtualMachineScaleSets_ListByLocation", "VirtualMachineScaleSets_GetInstanceView",
    "VirtualMachineScaleSets_ListSkus", "VirtualMachineScaleSetVMs_List", "VirtualMachineScaleSetVMs_Get",
    "VirtualMachineScaleSetVMs_GetInstanceView", "VirtualMachineScaleSetVMRunCommands_List",
    "VirtualMachineScaleSetVMRunCommands_Get", "NetworkInterfaces_ListVirtualMachineScaleSetNetworkInterfaces",
    "NetworkInterfaces_ListVirtualMachineScaleSetVMNetworkInterfaces",
    "NetworkInterfaces_GetVirtualMachineScaleSetNetworkInterface",
    "PublicIPAddresses_ListVirtualMachineScaleSetPublicIPAddresses",
    "PublicIPAddresses_ListVirtualMachineScaleSetVMPublicIPAddresses",
    "PublicIPAddresses_GetVirtualMachineScaleSetPublicIPAddress",
})
MAX_ENTRIES = 4096


class ReadCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, int, bytes]] = {}

    def get(self, key: str, revision: int) -> web.Response | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] != revision:
            return None
        headers = arm_headers(write=False)
        headers["Content-Type"] = JSON_CONTENT_TYPE
        return web.Response(status=hit[1], body=hit[2], headers=headers)

    def put(self, key: str, revision: int, response: web.Response) -> None:
        body = response.body
        if response.status != 200 or not isinstance(body, bytes) or \
                response.headers.get("Content-Type") != JSON_CONTENT_TYPE or _has_extra_headers(response):
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (revision, response.status, body)


_PLAIN = frozenset({"x-ms-request-id", "x-ms-correlation-request-id", "x-ms-routing-request-id",
                    "x-ms-ratelimit-remaining-subscription-reads", "content-type", "content-length"})


def _has_extra_headers(response: web.Response) -> bool:
    """An answer with headers of its own (Retry-After, Location...) is not a plain read: never kept."""
    return any(name.lower() not in _PLAIN for name in response.headers)
