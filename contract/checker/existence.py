"""What one cassette shows exists, and the verdicts that follow from it.

ARM answers for what exists. Read in order, a cassette shows resources going (a 200/204
DELETE, a 404 GET, their resource group deleted or answered 404) and coming back (a 2xx
PUT). Two kinds of finding come from that one picture:

- `deleted-resource-answered`: a tracked resource the traffic showed gone answered a GET 2xx
  before any PUT brought it back;
- a scale set PUT/PATCH answered 2xx while its body referenced something the traffic showed
  gone (`reference-must-exist` for network ids, `user-assigned-identity-exists` for
  identities; specs/rules.yaml `references:`), which Azure refuses;
- a DELETE answered 2xx for something a live scale set's model still references (a subnet, an
  NSG, a load balancer or its pool: `subnet-in-use`, `network-security-group-in-use-by-scale-set`,
  `load-balancer-in-use-by-scale-set`), which Azure refuses with 400 too.

Each tracked kind (`Tracked`) says which URIs are its resources and which ids a scale set
body references. Only management-plane paths are read, whatever the host: Graph, Key Vault
data planes or raw.githubusercontent.com never match and are never judged.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract.cassette import Interaction
from contract.checker.model import Violation

__all__ = ["ExistingResources", "Tracked"]

_GROUP = re.compile(r"^(?:https?://[^/]+)?(?P<group>/subscriptions/[^/]+/resourcegroups/[^/?]+)/?(?:\?|$)",
                    re.IGNORECASE)
_SCALE_SET = re.compile(r"^(?:https?://[^/]+)?(?P<id>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                        r"microsoft\.compute/virtualmachinescalesets/[^/?]+)/?(?:\?|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Tracked:
    """One kind of resource whose existence a cassette shows.

    `hint`: a cheap substring test (any case) before the regex; `resource_id(uri)`: the id a
    URI addresses, or None; `referenced(body)`: the ids of this kind a scale set body names;
    `rule` and `refusal`: the finding and Azure's answer when a scale set names a gone one."""

    hint: str
    resource_id: Callable[[str], str | None]
    referenced: Callable[[Any], list[str]]
    rule: str
    refusal: str
    what: str  # "referencing" / "assigning"
    # For a referenced id: (rule, Azure's answer) when deleting it, or what holds it, is refused while in use.
    in_use: Callable[[str], tuple[str, str] | None] = lambda ref: None


class ExistingResources:
    """Per cassette: which tracked resources and resource groups the traffic showed gone."""

    def __init__(self, cassette: str, kinds: tuple[Tracked, ...]) -> None:
        self.cassette = cassette
        self.kinds = kinds
        self.gone: set[str] = set()  # lower-case ids
        self.gone_groups: set[str] = set()
        self.used_by: dict[str, dict[str, Tracked]] = {}  # scale set id -> the ids its model references

    def is_gone(self, rid: str) -> bool:
        key = rid.rstrip("/").lower()
        return key in self.gone or key.split("/providers/", 1)[0] in self.gone_groups

    def feed(self, index: int, interaction: Interaction) -> list[Violation]:
        request, response = interaction.request, interaction.response
        uri, method, status = request.uri, request.method, response.status
        lowered = uri.lower()
        for kind in self.kinds:
            if kind.hint in lowered:
                rid = kind.resource_id(uri)
                if rid is not None:
                    return self._resource(index, rid, uri, method, status)
        if method in ("PUT", "PATCH", "DELETE") and 200 <= status < 300 and _SCALE_SET.match(uri):
            return self._scale_set(index, interaction)
        if method in ("GET", "HEAD", "PUT", "DELETE") and "resourcegroups/" in lowered:
            group = _GROUP.match(uri)
            if group is not None:
                key = group["group"].lower()
                if method == "DELETE" and 200 <= status < 300:  # accepted: its scale sets free what they used
                    self.used_by = {ss: refs for ss, refs in self.used_by.items() if not ss.startswith(key + "/")}
                if (method in ("GET", "HEAD") and status == 404) or (method == "DELETE" and status in (200, 204)):
                    self.gone_groups.add(key)
                elif method == "PUT" and 200 <= status < 300:
                    self.gone_groups.discard(key)
        return []

    def _resource(self, index: int, rid: str, uri: str, method: str, status: int) -> list[Violation]:
        key = rid.lower()
        if method == "PUT" and 200 <= status < 300:
            self.gone = {g for g in self.gone if g != key and not g.startswith(f"{key}/")}
            self.gone_groups.discard(key.split("/providers/", 1)[0])
        elif (method == "DELETE" and status in (200, 204)) or (method == "GET" and status == 404):
            found = self._deleted_in_use(index, key, uri, status) if method == "DELETE" and status == 200 else []
            self.gone.add(key)
            return found
        elif method == "DELETE" and status == 202:
            return self._deleted_in_use(index, key, uri, status)
        elif method == "GET" and 200 <= status < 300 and self.is_gone(key):
            return [Violation(self.cassette, index, "deleted-resource-answered", None,
                              f"answered {status} for {rid}, which this traffic showed deleted or missing earlier "
                              f"(and no PUT brought it back)", None, method, uri, status)]
        return []

    def _scale_set(self, index: int, interaction: Interaction) -> list[Violation]:
        request, status = interaction.request, interaction.response.status
        scale_set = _SCALE_SET.match(request.uri)["id"].lower()  # type: ignore[index]
        if request.method == "DELETE":  # accepted: what it referenced is free once it is gone
            self.used_by.pop(scale_set, None)
            return []
        body = _json(request.body)
        out: list[Violation] = []
        references: dict[str, Tracked] = {}
        for kind in self.kinds:
            refs = kind.referenced(body)
            references.update((ref.lower(), kind) for ref in refs)
            for ref in refs:
                parts = ref.split("/", 9)
                top = "/".join(parts[:9]) if len(parts) >= 9 else ref  # a pool or subnet: its parent too
                if self.is_gone(ref) or self.is_gone(top):
                    out.append(Violation(
                        self.cassette, index, kind.rule, None,
                        f"answered {status} to a scale set write {kind.what} {ref}, which this traffic showed "
                        f"missing; Azure answers {kind.refusal}", None, request.method, request.uri, status))
        # A PUT states the whole model; a PATCH without a network profile leaves the references as they were.
        if request.method == "PUT" or references:
            self.used_by[scale_set] = references
        return out

    def _deleted_in_use(self, index: int, key: str, uri: str, status: int) -> list[Violation]:
        """A DELETE Azure accepted although a live scale set's model references it (or something below it)."""
        for scale_set, references in self.used_by.items():
            for ref, kind in references.items():
                if ref != key and not ref.startswith(key + "/"):
                    continue
                refused = kind.in_use(ref)
                if refused is not None:
                    rule, answer = refused
                    return [Violation(self.cassette, index, rule, None,
                                      f"answered {status} to deleting {key}, which scale set {scale_set} still "
                                      f"references ({ref}) in this traffic; Azure answers {answer}",
                                      None, "DELETE", uri, status)]
        return []


def _json(text: Any) -> Any:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
