"""Invalid payloads: a valid body with exactly one documented constraint broken, and ARM's answer.

Candidates come from `mutations` (a JSON Schema keyword) and `moves` (a rules.yaml rule);
each is kept only if the spec or the rules report exactly that constraint.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import reject
from hypothesis import strategies as st

from contract.strategies.bits import Bits
from contract.strategies.moves import Proposal, rule_proposals
from contract.strategies.mutations import Mutation, schema_mutations
from contract.strategies.paths import json_path, norm, parse_path
from contract.strategies.schema import SchemaView
from contract.strategies.valid import contract, latest_version, valid_payloads


@dataclass
class InvalidPayload:
    """A request body that breaks exactly one documented constraint, and what ARM must answer.

    `rule` is a rules.yaml id, or `schema:<keyword>` for a JSON Schema constraint; `path` is
    the JSON path of the broken field ('$.sku.capacity'); `code`/`status` the expected CloudError.
    `api_version` is set only when the break needs one (an api-version gate): send it with
    that version, or the body is valid. Aim it at a resource whose model is `current`
    (transition rules) or that does not exist yet (current is None).
    """

    payload: Any
    rule: str
    keyword: str | None
    path: str
    code: str
    status: int
    description: str
    api_version: str | None = None
    current: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def is_schema(self) -> bool:
        return self.rule.startswith("schema:")

    @property
    def reason(self) -> str:
        """One line for reports: which constraint, where, and why."""
        return f"{self.rule} at {self.path}: {self.description}"


def schema_error_answer(keyword: str, path: str) -> tuple[int, str]:
    """The ARM answer to a schema problem (ARM-FACTS): unknown or mistyped top-level
    content is InvalidRequestContent, any other bad property InvalidParameter."""
    if path in ("$", "") and keyword in ("additionalProperties", "type"):
        return 400, "InvalidRequestContent"
    return 400, "InvalidParameter"


def _classify_schema(operation_id: str, mutation: Mutation, base: Any, version: str | None,
                     current: dict[str, Any] | None, spec: Any, rules: Any) -> InvalidPayload | None:
    """Keep a schema mutation only if the spec reports exactly that keyword there, and no rule fires."""
    keyword, keys, description, apply = mutation
    payload = copy.deepcopy(base)
    apply(payload)
    errors = spec.validate_request(operation_id, payload, version)
    if not errors:
        return None
    here = norm(json_path(keys))
    for e in errors:
        where = norm(e.path)
        child = where.startswith(here + ".") if here else "." not in where
        if e.keyword != keyword or not (where == here or (child and keyword == "required")):
            return None
    try:
        if rules.check_request(operation_id, payload, version, current=current):
            return None
    except Exception:  # noqa: BLE001 - rules may not cope with a mistyped body; the schema refuses it first
        pass
    path = json_path(keys)
    status, code = schema_error_answer(keyword, path)
    return InvalidPayload(payload, f"schema:{keyword}", keyword, path, code, status, description, None, current)


def _classify_rule(operation_id: str, proposal: Proposal, version: str | None,
                   current: dict[str, Any] | None, spec: Any, rules: Any) -> InvalidPayload | None:
    """Keep a move only if the body is schema-valid and exactly one rule objects to it."""
    description, make = proposal
    made = make()
    if made is None:
        return None
    payload, av = made
    if spec.validate_request(operation_id, payload, av):
        return None
    found = rules.check_request(operation_id, payload, av, current=current)
    if not found or len({v.rule_id for v in found}) != 1:
        return None
    v = found[0]
    path = json_path(parse_path(v.target)) if v.target else "$"
    return InvalidPayload(payload, v.rule_id, None, path, v.code, v.status, f"{description}: {v.message}",
                          av if av != version else None, current)


def invalid_payloads(
    operation_id: str,
    api_version: str | None = None,
    *,
    current: dict[str, Any] | None = None,
    instance_ids: Iterable[str] | None = None,
    kinds: Iterable[str] = ("schema", "rule"),
    spec: Any = None,
    rules: Any = None,
) -> st.SearchStrategy[InvalidPayload]:
    """Bodies that break exactly one documented constraint, each naming it and ARM's answer.

    Starts from a `valid_payloads` draw and applies one mutation: a JSON Schema keyword
    (`kinds` includes "schema": missing required, wrong type, enum, lengths, bounds, unknown
    member) or a rules.yaml rule ("rule": primary NICs, NIC count, one virtual network,
    identity and script-source exclusivity, api-version gates, and with `current` the
    transition rules). Each candidate is kept only if the spec/rules report exactly it.
    """
    spec, rules = contract(spec, rules)
    version = api_version or latest_version(spec, operation_id)
    schema = spec.request_schema(operation_id)
    view = SchemaView(schema)
    wanted = tuple(kinds)
    valid = valid_payloads(operation_id, version, current=current, instance_ids=instance_ids, spec=spec, rules=rules)

    @st.composite
    def build(draw: st.DrawFn) -> InvalidPayload:
        base = draw(valid)
        # Group candidates by what they break (a schema keyword, a domain move) and pick a
        # group uniformly, so rare constraints are tried as often as the many `type` sites.
        groups: dict[str, list[Callable[[], InvalidPayload | None]]] = {}
        if "schema" in wanted:
            sites: list[Mutation] = []
            schema_mutations(view, schema, base, (), sites)
            for m in sites:
                groups.setdefault(f"schema:{m[0]}", []).append(
                    lambda m=m: _classify_schema(operation_id, m, base, version, current, spec, rules))
        if "rule" in wanted:
            for p in rule_proposals(operation_id, base, version, current, spec, rules):
                groups.setdefault(f"rule:{p[0]}", []).append(
                    lambda p=p: _classify_rule(operation_id, p, version, current, spec, rules))
        names = sorted(groups)
        # Picks come from wide byte draws: hypothesis' small-integer draws favour index 0
        # so heavily that the groups sorted first crowded out the rest.
        bits = Bits(draw, mix=True)
        while names:
            # A group that yields nothing (a move no rule forbids) is dropped and another
            # drawn, rather than falling through to its neighbour, which would skew the mix.
            name = names[bits.below(len(names))]
            tries = groups[name]
            start = bits.below(len(tries))
            for i in range(len(tries)):
                found = tries[(start + i) % len(tries)]()
                if found is not None:
                    return found
            names.remove(name)
        reject()

    return build()
