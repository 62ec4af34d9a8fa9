"""What one cassette shows about the network a scale set stands on, and two verdicts from it.

- `deleted-resource-answered`: a Microsoft.Network resource the traffic showed gone (a 200/204
  DELETE, a 404 GET, or its resource group answered 404) answered a GET 2xx before any PUT
  brought it back.
- `reference-must-exist` (specs/rules.yaml `references:`): a scale set PUT/PATCH answered 2xx
  while its body referenced a subnet, pool, NSG, ASG or public IP prefix the same traffic showed
  missing; Azure refuses that with 400 InvalidResourceReference.

Only management-plane paths under `/providers/Microsoft.Network/` (and scale set writes) are
read, whatever the host; calls to Graph, Key Vault data planes or raw.githubusercontent.com
never match and are never judged here.
"""
from __future__ import annotations

import json
import re
from typing import Any

from contract.cassette import Interaction
from contract.checker.model import Violation

_NETWORK = re.compile(r"^(?:https?://[^/]+)?(?P<top>/subscriptions/[^/]+/resourcegroups/(?P<group>[^/]+)/providers/"
                      r"microsoft\.network/[^/]+/[^/?]+)(?:/(?P<member>[^/?]+)/(?P<child>[^/?]+))?/?(?:\?|$)",
                      re.IGNORECASE)
_GROUP = re.compile(r"^(?:https?://[^/]+)?(?P<group>/subscriptions/[^/]+/resourcegroups/[^/?]+)/?(?:\?|$)",
                    re.IGNORECASE)
_SCALE_SET = re.compile(r"^(?:https?://[^/]+)?/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                        r"microsoft\.compute/virtualmachinescalesets/[^/?]+/?(?:\?|$)", re.IGNORECASE)
_REF_MEMBERS = ("subnet", "loadBalancerBackendAddressPools", "loadBalancerInboundNatPools",
                "applicationGatewayBackendAddressPools", "applicationSecurityGroups", "publicIPPrefix")


def _json(text: Any) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _refs(body: Any) -> list[str]:
    """Every network id a scale set body's NIC configurations reference."""
    out: list[str] = []
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        return out
    profiles = [((props.get("virtualMachineProfile") or {}).get("networkProfile") or {}),
                props.get("networkProfileConfiguration") or {}]
    for profile in profiles:
        if not isinstance(profile, dict):
            continue
        for nic in profile.get("networkInterfaceConfigurations") or ():
            nic_props = nic.get("properties") if isinstance(nic, dict) else None
            if not isinstance(nic_props, dict):
                continue
            _add(out, nic_props.get("networkSecurityGroup"))
            for config in nic_props.get("ipConfigurations") or ():
                cprops = config.get("properties") if isinstance(config, dict) else None
                if not isinstance(cprops, dict):
                    continue
                pip = ((cprops.get("publicIPAddressConfiguration") or {}).get("properties") or {})
                for member in _REF_MEMBERS:
                    value = pip.get(member) if member == "publicIPPrefix" else cprops.get(member)
                    for item in value if isinstance(value, list) else [value]:
                        _add(out, item)
    return out


def _add(out: list[str], value: Any) -> None:
    ref = value.get("id") if isinstance(value, dict) else None
    if isinstance(ref, str) and ref:
        out.append(ref.rstrip("/").lower())


class NetworkWorld:
    """Per cassette: which network ids and resource groups the traffic showed gone."""

    def __init__(self, cassette: str) -> None:
        self.cassette = cassette
        self.gone: set[str] = set()  # lower-case ids
        self.gone_groups: set[str] = set()

    def _is_gone(self, rid: str) -> bool:
        if rid in self.gone:
            return True
        parts = rid.split("/providers/", 1)[0]
        return parts in self.gone_groups

    def feed(self, index: int, interaction: Interaction) -> list[Violation]:
        request, response = interaction.request, interaction.response
        uri, method, status = request.uri, request.method, response.status
        if "etwork/" in uri or "ETWORK/" in uri:
            return self._network(index, uri, method, status)
        if method in ("PUT", "PATCH") and 200 <= status < 300 and _SCALE_SET.match(uri):
            return self._scale_set(index, interaction)
        if method in ("GET", "HEAD", "PUT", "DELETE") and ("esourcegroups/" in uri or "esourceGroups/" in uri):
            group = _GROUP.match(uri)
            if group is not None:
                key = group["group"].lower()
                if (method in ("GET", "HEAD") and status == 404) or (method == "DELETE" and status in (200, 204)):
                    self.gone_groups.add(key)
                elif method == "PUT" and 200 <= status < 300:
                    self.gone_groups.discard(key)
        return []

    def _network(self, index: int, uri: str, method: str, status: int) -> list[Violation]:
        m = _NETWORK.match(uri)
        if m is None:
            return []
        rid = (f"{m['top']}/{m['member']}/{m['child']}" if m["member"] else m["top"]).lower()
        if method == "PUT" and 200 <= status < 300:
            self.gone = {g for g in self.gone if g != rid and not g.startswith(f"{rid}/")}
            self.gone_groups.discard(rid.split("/providers/", 1)[0])
        elif (method == "DELETE" and status in (200, 204)) or (method == "GET" and status == 404):
            self.gone.add(rid)
        elif method == "GET" and 200 <= status < 300 and self._is_gone(rid):
            return [Violation(self.cassette, index, "deleted-resource-answered", None,
                              f"answered {status} for {m['top'] if not m['member'] else rid}, which this traffic "
                              f"showed deleted or missing earlier (and no PUT brought it back)",
                              None, method, uri, status)]
        return []

    def _scale_set(self, index: int, interaction: Interaction) -> list[Violation]:
        if not self.gone and not self.gone_groups:
            return []
        out: list[Violation] = []
        for ref in _refs(_json(interaction.request.body)):
            top = ref.split("/", 9)
            top_id = "/".join(top[:9]) if len(top) >= 9 else ref
            if self._is_gone(ref) or self._is_gone(top_id):
                out.append(Violation(
                    self.cassette, index, "reference-must-exist", None,
                    f"answered {interaction.response.status} to a scale set write referencing {ref}, which this "
                    f"traffic showed missing; Azure answers 400 InvalidResourceReference",
                    None, interaction.request.method, interaction.request.uri, interaction.response.status))
        return out
