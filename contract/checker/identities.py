"""What one cassette shows about user-assigned identities, and two verdicts from it.

- `deleted-resource-answered`: a user-assigned identity the traffic showed gone (a 200/204 DELETE,
  a 404 GET, or its resource group deleted or answered 404) answered a GET 2xx before a PUT
  brought it back.
- `user-assigned-identity-exists` (specs/rules.yaml `references:`): a scale set PUT/PATCH answered
  2xx while its body assigned an identity the same traffic showed missing; Azure refuses that with
  400 FailedIdentityOperation. A merge-patch null (unassigning) is not an assignment.

Only management-plane paths are read, whatever the host.
"""
from __future__ import annotations

import json
import re
from typing import Any

from contract.cassette import Interaction
from contract.checker.model import Violation

_IDENTITY = re.compile(r"^(?:https?://[^/]+)?(?P<id>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                       r"microsoft\.managedidentity/userassignedidentities/[^/?]+)/?(?:\?|$)", re.IGNORECASE)
_GROUP = re.compile(r"^(?:https?://[^/]+)?(?P<group>/subscriptions/[^/]+/resourcegroups/[^/?]+)/?(?:\?|$)",
                    re.IGNORECASE)
_SCALE_SET = re.compile(r"^(?:https?://[^/]+)?/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                        r"microsoft\.compute/virtualmachinescalesets/[^/?]+/?(?:\?|$)", re.IGNORECASE)


def _assigned(body: Any) -> list[str]:
    """The identity ids a scale set body assigns (null values unassign)."""
    try:
        doc = json.loads(body) if isinstance(body, (str, bytes)) and body else None
    except ValueError:
        return []
    identity = doc.get("identity") if isinstance(doc, dict) else None
    assigned = identity.get("userAssignedIdentities") if isinstance(identity, dict) else None
    if not isinstance(assigned, dict):
        return []
    return [k for k, v in assigned.items() if v is not None]


class IdentityWorld:
    """Per cassette: which identities and resource groups the traffic showed gone."""

    def __init__(self, cassette: str) -> None:
        self.cassette = cassette
        self.gone: set[str] = set()  # lower-case ids
        self.gone_groups: set[str] = set()

    def _is_gone(self, rid: str) -> bool:
        key = rid.rstrip("/").lower()
        return key in self.gone or key.split("/providers/", 1)[0] in self.gone_groups

    def feed(self, index: int, interaction: Interaction) -> list[Violation]:
        request, response = interaction.request, interaction.response
        uri, method, status = request.uri, request.method, response.status
        if ("dentity/" in uri or "DENTITY/" in uri) and "/microsoft.managedidentity/" in uri.lower():
            return self._identity(index, uri, method, status)
        if method in ("PUT", "PATCH") and 200 <= status < 300 and (self.gone or self.gone_groups) \
                and _SCALE_SET.match(uri):
            return [Violation(self.cassette, index, "user-assigned-identity-exists", None,
                              f"answered {status} to a scale set write assigning {rid}, which this traffic showed "
                              f"missing; Azure answers 400 FailedIdentityOperation", None, method, uri, status)
                    for rid in _assigned(request.body) if self._is_gone(rid)]
        if method in ("GET", "HEAD", "PUT", "DELETE") and ("esourcegroups/" in uri or "esourceGroups/" in uri):
            group = _GROUP.match(uri)
            if group is not None:
                key = group["group"].lower()
                if (method in ("GET", "HEAD") and status == 404) or (method == "DELETE" and status in (200, 204)):
                    self.gone_groups.add(key)
                elif method == "PUT" and 200 <= status < 300:
                    self.gone_groups.discard(key)
        return []

    def _identity(self, index: int, uri: str, method: str, status: int) -> list[Violation]:
        m = _IDENTITY.match(uri)
        if m is None:
            return []
        rid = m["id"].lower()
        if method == "PUT" and 200 <= status < 300:
            self.gone.discard(rid)
            self.gone_groups.discard(rid.split("/providers/", 1)[0])
        elif (method == "DELETE" and status in (200, 204)) or (method == "GET" and status == 404):
            self.gone.add(rid)
        elif method == "GET" and 200 <= status < 300 and self._is_gone(rid):
            return [Violation(self.cassette, index, "deleted-resource-answered", None,
                              f"answered {status} for {m['id']}, which this traffic showed deleted or missing "
                              f"earlier (and no PUT brought it back)", None, method, uri, status)]
        return []
