"""What JSON Schema cannot say: cross-field, api-version and transition rules.

`specs/rules.yaml` lists each rule (id, kind, explanation, seed passage, ARM error);
this module turns each `kind` into a predicate shared by the emulator (which
answers with the rule's ARM error) and the checker (which reports the rule id).
Adding a rule of an existing kind is a YAML edit; a new kind is one function here.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import takewhile
from pathlib import Path
from typing import Any, Callable

import yaml

from contract.facts import load_facts
from contract.jsonpath import getter, parse_path, plain_path, select, select_list, walker
from contract.specs import SpecError, UnknownApiVersion, _version_key, load_spec, specs_dir

__all__ = ["Rule", "RuleViolation", "Rules", "load_rules", "merge_patch", "scale_set_os", "select"]

RULES_FILE = "rules.yaml"


@dataclass(frozen=True)
class Rule:
    """One entry of rules.yaml."""

    id: str
    summary: str
    source: str  # seed file (or ARM-FACTS.md)
    quote: str  # the passage the rule comes from
    code: str  # ARM error code the emulator answers with
    status: int
    kind: str = ""
    phase: str = "request"  # request | transition
    operations: frozenset[str] = frozenset()
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class RuleViolation:
    """A broken rule; `code`/`status` are the ARM error the emulator answers with."""

    rule_id: str
    message: str
    target: str | None
    code: str
    status: int


def _norm(value: Any, mode: str = "casefold") -> Any:
    if isinstance(value, str):
        if mode == "exact":
            return value
        if mode == "location":
            return value.replace(" ", "").casefold()
        return value.casefold()
    return value


def _differs(new: Any, old: Any, mode: str = "casefold") -> bool:
    """Does `new` say something other than `old`? Members `new` leaves out count as unchanged."""
    if isinstance(new, dict):
        if not isinstance(old, dict):
            return bool(new)
        return any(_differs(v, old.get(k), mode) for k, v in new.items() if v is not None)
    if isinstance(new, list):
        if not isinstance(old, list) or len(new) != len(old):
            return True
        return any(_differs(a, b, mode) for a, b in zip(new, old))
    if new is None:
        return False
    return _norm(new, mode) != _norm(old, mode)


def _vnet(subnet_id: Any) -> str | None:
    """The virtual network part of a subnet id, case-folded (ARM ids are case-insensitive)."""
    if not isinstance(subnet_id, str):
        return None
    low = subnet_id.casefold()
    cut = low.find("/subnets/")
    return low[:cut] if cut >= 0 else low


def _vnets(doc: Any, paths: list[str]) -> dict[str, str]:
    """virtual network -> first concrete path that uses it."""
    out: dict[str, str] = {}
    for p in paths:
        for at, value in select_list(doc, p):
            v = _vnet(value)
            if v is not None:
                out.setdefault(v, at)
    return out


@lru_cache(maxsize=64)
def _older(api_version: str | None, minimum: str) -> bool:
    if not api_version:
        return False
    try:
        return _version_key(api_version) < _version_key(minimum)
    except UnknownApiVersion:
        return False  # unparsable versions are the spec's business, not a rule's


# ---- predicates ----------------------------------------------------------------------
# Each kind is compiled once per rule (when the rules load) into a check: ctx -> its violations.
# Checks walk values only; concrete paths (`select`) are built only for what a rule reports.

class _Ctx:
    """What the checks of one request or transition share (plain slots: one is built per call)."""

    __slots__ = ("api_version", "before", "body", "is_patch", "lists", "model", "operation_id", "vnets")

    def __init__(self, operation_id: str, body: Any, model: Any, before: Any, api_version: str | None,
                 is_patch: bool) -> None:
        self.operation_id = operation_id
        self.body = body  # the request body as sent
        self.model = model  # the resource as it would be after the request (merged for PATCH)
        self.before = before  # the current/previous model, or None
        self.api_version = api_version
        self.is_patch = is_patch
        self.vnets: dict[Any, dict[str, None]] = {}
        self.lists: dict[Any, list[tuple[str, list[Any]]]] = {}

    def vnets_of(self, doc: Any, paths: _PathSet) -> dict[str, None]:
        """The virtual networks `paths` reach in `doc`, in first-use order (several rules ask it of one model)."""
        key = paths if doc is self.model else (id(doc), paths)  # rules with equal path lists share a `_PathSet`
        found = self.vnets.get(key)
        if found is None:
            found = self.vnets[key] = {}
            for _, walk, _ in paths.entries:
                for value in walk(doc):
                    if isinstance(value, str):  # `_vnet`, inlined
                        low = value.casefold()
                        cut = low.find("/subnets/")
                        v = low[:cut] if cut >= 0 else low
                        if v not in found:
                            found[v] = None
        return found

    def lists_of(self, doc: Any, paths: _PathSet) -> list[tuple[str, list[Any]]]:
        """(concrete path, list) for each of `paths` (the NIC lists: three rules read them)."""
        key = paths if doc is self.model else (id(doc), paths)
        found = self.lists.get(key)
        if found is None:
            found = self.lists[key] = []
            for path, walk, at in paths.entries:
                if at is None:
                    found.extend((at, v) for at, v in select_list(doc, path) if isinstance(v, list))
                else:
                    for value in walk(doc):
                        if isinstance(value, list):
                            found.append((at, value))
        return found


class _PathSet:
    """A rule's path list compiled: (path, walker, the concrete path when it has no `[*]`) per path.
    Equal lists give the same object (`_paths`), which the `_Ctx` memos key on."""

    __slots__ = ("entries",)

    def __init__(self, paths: tuple[str, ...]) -> None:
        self.entries = tuple((p, walker(p), None if None in parse_path(p) else ".".join(parse_path(p)))  # type: ignore[arg-type]
                             for p in paths)


_INTERNED: dict[tuple[str, ...], _PathSet] = {}


def _paths(paths: list[str]) -> _PathSet:
    key = tuple(paths)
    found = _INTERNED.get(key)
    if found is None:
        found = _INTERNED[key] = _PathSet(key)
    return found


Found = list[RuleViolation]
Check = Callable[[_Ctx], Found]


def _reporter(r: Rule) -> Callable[[str, str | None], RuleViolation]:
    """(message, target) -> the violation of `r` (built only when a rule speaks)."""
    return lambda message, target: RuleViolation(r.id, message, target, r.code, r.status)
_NOTHING: Found = []  # returned, never appended to
_EMPTY: dict[str, Any] = {}  # read, never written


_STR_NORM: dict[str, Callable[[str], str]] = {
    "exact": str.__str__, "location": lambda v: v.replace(" ", "").casefold(), "casefold": str.casefold}


def _immutable(r: Rule) -> Check:
    return _immutables([r])


def _immutables(rules: list[Rule]) -> Check:
    """One check for a run of `immutable` rules (a scale set has many): one loop, no call per member read."""
    plan = []
    for r in rules:
        mode = "exact" if r.params.get("case_sensitive") else r.params.get("normalize", "casefold")
        path = r.params["path"]
        plan.append((_reporter(r), path, plain_path(path), getter(path), mode, r.params.get("compare") == "set",
                     _STR_NORM.get(mode, str.casefold)))  # the last: `_norm` of a string (other modes casefold)

    def check(c: _Ctx) -> Found:
        out: Found = _NOTHING
        for broken, path, tokens, get, mode, as_set, norm in plan:
            if tokens is None:
                old = get(c.before)
                new = None if old is None else get(c.model)
            else:  # `get` inlined for both models
                old = c.before
                for head in tokens:
                    old = old.get(head) if isinstance(old, dict) else None
                    if old is None:
                        break
                if old is None:
                    continue
                new = c.model
                for head in tokens:
                    new = new.get(head) if isinstance(new, dict) else None
                    if new is None:
                        break
            if old is None or new is None:
                continue
            if type(new) is str and type(old) is str:  # most immutable members: `_differs` of two strings
                changed = norm(new) != norm(old)
            elif as_set and isinstance(old, list) and isinstance(new, list):
                changed = {_norm(x, mode) for x in old} != {_norm(x, mode) for x in new}
            else:
                changed = _differs(new, old, mode)
            if changed:
                out = out or []
                out.append(broken(f"{path} cannot change after creation ({old!r} -> {new!r})", path))
        return out
    return check


def _compile(rules: list[Rule]) -> list[Check]:
    """The checks for these rules, in their order; consecutive `immutable` rules share one check."""
    out: list[Check] = []
    run: list[Rule] = []
    for rule in rules + [None]:  # type: ignore[list-item]
        if rule is not None and rule.kind == "immutable":
            run.append(rule)
            continue
        if run:
            out.append(_immutables(run))
            run = []
        if rule is not None:
            out.append(_KINDS[rule.kind](rule))
    return out


def _one_way(r: Rule) -> Check:
    broken = _reporter(r)
    path = r.params["path"]
    get = getter(path)
    frm, to = r.params["from"], r.params["to"]

    def check(c: _Ctx) -> Found:
        old, new = get(c.before), get(c.model)
        if old == frm and new == to:
            return [broken(f"{path} may not change from {old!r} to {new!r}", path)]
        return _NOTHING
    return check


def _same_virtual_network(r: Rule) -> Check:
    broken = _reporter(r)
    paths = r.params["subnets"]
    compiled = _paths(paths)
    # what each path reaches before its first `[*]`: equal there in both models means equal virtual networks
    roots = [getter(".".join(takewhile(lambda t: t is not None, parse_path(p)))) for p in paths]  # type: ignore[arg-type]

    def check(c: _Ctx) -> Found:
        for root in roots:
            if root(c.before) != root(c.model):
                break
        else:
            return _NOTHING  # the usual case: a PUT or a later GET with the network profile it had
        old = c.vnets_of(c.before, compiled)
        new = c.vnets_of(c.model, compiled)
        if not old or not new:
            return _NOTHING
        for vnet in new:
            if vnet not in old:
                at = _vnets(c.model, paths)[vnet]
                return [broken(f"subnet moves the scale set to another virtual network ({vnet.rsplit('/', 1)[-1]})", at)]
        return _NOTHING
    return check


def _one_primary(r: Rule) -> Check:
    broken = _reporter(r)
    lists = _paths(r.params["lists"])

    def check(c: _Ctx) -> Found:
        out: Found = _NOTHING
        for at, nics in c.lists_of(c.model, lists):
            if len(nics) > 1:
                primaries = 0
                for n in nics:
                    if isinstance(n, dict) and (n.get("properties") or {}).get("primary") is True:
                        primaries += 1
                if primaries != 1:
                    out = out or []
                    out.append(broken(f"{primaries} of {len(nics)} NIC configurations are primary; exactly one must be", at))
            elif len(nics) == 1:
                n = nics[0]
                if isinstance(n, dict) and (n.get("properties") or {}).get("primary") is False:
                    out = out or []
                    out.append(broken("the only NIC configuration is marked primary: false", at))
        return out
    return check


def _max_items(r: Rule) -> Check:
    broken = _reporter(r)
    lists = _paths(r.params["lists"])
    most = r.params["max"]

    def check(c: _Ctx) -> Found:
        return [broken(f"{len(nics)} NIC configurations; at most {most} are allowed", at)
                for at, nics in c.lists_of(c.model, lists) if len(nics) > most]
    return check


def _one_virtual_network(r: Rule) -> Check:
    broken = _reporter(r)
    paths = r.params["subnets"]
    compiled = _paths(paths)

    def check(c: _Ctx) -> Found:
        vnets = c.vnets_of(c.model, compiled)
        if len(vnets) > 1:
            names = sorted(v.rsplit("/", 1)[-1] for v in vnets)
            at = list(_vnets(c.model, paths).values())[1]
            return [broken(f"NICs connect to {len(vnets)} virtual networks ({', '.join(names)}); all must share one", at)]
        return _NOTHING
    return check


_CAPACITY = getter("sku.capacity")
_SPG = getter("properties.singlePlacementGroup")


def _capacity_limit(r: Rule) -> Check:
    broken = _reporter(r)
    spg_limit, limit_ = r.params["max_single_placement_group"], r.params["max"]

    def check(c: _Ctx) -> Found:
        capacity = _CAPACITY(c.model)
        if not isinstance(capacity, int) or isinstance(capacity, bool):
            return _NOTHING
        spg = _SPG(c.model)
        if spg is None:
            if c.is_patch and c.before is None:
                return _NOTHING  # unknown: the stored model decides
            spg = load_facts().single_placement_group(c.model)  # the default by orchestrationMode (rules.yaml facts)
        limit = spg_limit if spg else limit_
        if capacity > limit:
            why = "while singlePlacementGroup is true" if spg else "per scale set"
            return [broken(f"sku.capacity {capacity} exceeds {limit} {why}", "sku.capacity")]
        return _NOTHING
    return check


_HEALTH_EXTENSIONS = {"applicationhealthlinux", "applicationhealthwindows"}
_UPGRADE_MODE = getter("properties.upgradePolicy.mode")
_HEALTH_PROBE = getter("properties.virtualMachineProfile.networkProfile.healthProbe.id")
_EXTENSION_TYPES = walker("properties.virtualMachineProfile.extensionProfile.extensions[*].properties.type")


def _rolling_health(r: Rule) -> Check:
    broken = _reporter(r)
    def check(c: _Ctx) -> Found:
        if c.is_patch and c.before is None:
            return _NOTHING
        mode = _UPGRADE_MODE(c.model)
        if not (isinstance(mode, str) and mode.casefold() == "rolling"):
            return _NOTHING
        if _HEALTH_PROBE(c.model):
            return _NOTHING
        for t in _EXTENSION_TYPES(c.model):
            if isinstance(t, str) and t.casefold() in _HEALTH_EXTENSIONS:
                return _NOTHING
        return [broken("upgradePolicy.mode Rolling without a health probe or application health extension",
                 "properties.upgradePolicy.mode")]
    return check


def _change_needs_api_version(r: Rule) -> Check:
    broken = _reporter(r)
    minimum = r.params["min_api_version"]
    paths = [(p, getter(p)) for p in r.params["paths"]]

    def check(c: _Ctx) -> Found:
        if not _older(c.api_version, minimum):
            return _NOTHING
        out: Found = []
        for p, get in paths:
            new = get(c.body)
            if new is None:
                continue
            if c.before is not None:
                if _differs(new, get(c.before)):
                    out.append(broken(f"{p} changes with api-version {c.api_version}; needs {minimum} or later", p))
            elif c.is_patch:
                out.append(broken(f"{p} sent in an update with api-version {c.api_version}; needs {minimum} or later", p))
        return out
    return check


def _needs_api_version(r: Rule) -> Check:
    broken = _reporter(r)
    minimum = r.params["min_api_version"]
    paths = r.params["paths"]

    def check(c: _Ctx) -> Found:
        if not _older(c.api_version, minimum):
            return _NOTHING
        out: Found = []
        for p in paths:
            for at, _ in select_list(c.body, p):
                out.append(broken(f"{at.rsplit('.', 1)[-1]} needs api-version {minimum} or later (got {c.api_version})", at))
                break
        return out
    return check


def _present(v: Any) -> bool:
    return v is not None and v != "" and v != [] and v != {}


def _not_both(r: Rule) -> Check:
    broken = _reporter(r)
    a, b = r.params["fields"]
    paths = r.params["objects"]
    objects = _paths(paths)

    def check(c: _Ctx) -> Found:
        if not any(isinstance(obj, dict) and _present(obj.get(a)) and _present(obj.get(b))
                   for _, walk, _ in objects.entries for obj in walk(c.model)):
            return _NOTHING
        return [broken(f"{at} names both {a} and {b}; use only one", at)
                for p in paths for at, obj in select_list(c.model, p)
                if isinstance(obj, dict) and _present(obj.get(a)) and _present(obj.get(b))]
    return check


def _exactly_one(r: Rule) -> Check:
    broken = _reporter(r)
    p = r.params["object"]
    get = getter(p)
    fields_ = r.params["fields"]
    required_for = r.params.get("required_for", ())

    def check(c: _Ctx) -> Found:
        obj = get(c.model)
        given = [f for f in fields_ if isinstance(obj, dict) and _present(obj.get(f))]
        if len(given) > 1:
            return [broken(f"{p} has {', '.join(given)}; use exactly one of {', '.join(fields_)}", p)]
        if not given and c.operation_id in required_for:
            return [broken(f"{p} needs one of {', '.join(fields_)}", p)]
        return _NOTHING
    return check


_PROFILE = getter("properties.virtualMachineProfile")


def scale_set_os(profile: Any) -> str:
    """Windows or Linux: what a scale set's VM profile runs, as ARM tells them apart (its errors name "Windows
    computer name ..."): the OS disk's osType when given, else windowsConfiguration or a Windows publisher's
    image (MicrosoftWindowsServer, MicrosoftWindowsDesktop ...) make it Windows; anything else is Linux.
    The emulator's defaults (osDisk.osType) read the same function."""
    profile = profile if isinstance(profile, dict) else _EMPTY
    os_profile = profile.get("osProfile") if isinstance(profile.get("osProfile"), dict) else _EMPTY
    storage = profile.get("storageProfile") if isinstance(profile.get("storageProfile"), dict) else _EMPTY
    disk = storage.get("osDisk") if isinstance(storage.get("osDisk"), dict) else _EMPTY
    given = disk.get("osType")
    if isinstance(given, str) and given.casefold() in ("windows", "linux"):
        return "Windows" if given.casefold() == "windows" else "Linux"
    image = storage.get("imageReference") if isinstance(storage.get("imageReference"), dict) else _EMPTY
    publisher = image.get("publisher")
    if "windowsConfiguration" in os_profile or (isinstance(publisher, str) and "windows" in publisher.casefold()):
        return "Windows"
    return "Linux"


def _max_length_by_os(r: Rule) -> Check:
    """A string at `path` is at most `max[os]` characters, the OS being the scale set's (`scale_set_os`)."""
    broken = _reporter(r)
    path = r.params["path"]
    get = getter(path)
    limits: dict[str, int] = {str(k): int(v) for k, v in r.params["max"].items()}
    noun = r.params.get("name") or path.rsplit(".", 1)[-1]  # ARM's words: "Windows computer name prefix cannot ..."

    def check(c: _Ctx) -> Found:
        value = get(c.model)
        if not isinstance(value, str):
            return _NOTHING
        os_ = scale_set_os(_PROFILE(c.model))
        most = limits.get(os_)
        if most is None or len(value) <= most:
            return _NOTHING
        return [broken(f"{os_} {noun} cannot be more than {most} characters long (got {len(value)})", path)]
    return check


_KINDS: dict[str, Callable[[Rule], Check]] = {
    "immutable": _immutable,
    "one-way": _one_way,
    "same-virtual-network": _same_virtual_network,
    "one-primary": _one_primary,
    "max-items": _max_items,
    "one-virtual-network": _one_virtual_network,
    "capacity-limit": _capacity_limit,
    "rolling-health": _rolling_health,
    "change-needs-api-version": _change_needs_api_version,
    "needs-api-version": _needs_api_version,
    "not-both": _not_both,
    "exactly-one": _exactly_one,
    "max-length-by-os": _max_length_by_os,
}
_META = {"id", "kind", "phase", "operations", "summary", "source", "also", "error", "reason"}


@dataclass
class Rules:
    rules: dict[str, Rule] = field(default_factory=dict)
    patch_operations: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._by_op: dict[str, list[Rule]] = {}
        for rule in self.rules.values():
            for op in rule.operations:
                self._by_op.setdefault(op, []).append(rule)
        # rules compiled once into checks (their paths parsed now, not per request)
        self._transition = _compile([r for r in self.rules.values() if r.phase == "transition"])
        # per operation, the rules a request runs without / with a current model (decided once, not per request)
        self._alone = {op: _compile([r for r in rules if r.phase == "request"]) for op, rules in self._by_op.items()}
        self._with_current = {op: _compile([r for r in rules if r.phase in ("request", "transition")])
                              for op, rules in self._by_op.items()}
        reads = _reads([r for r in self.rules.values() if r.phase == "transition"])
        # the prefixes grouped by first member: ('properties', False, ('virtualMachineProfile', ...)),
        # ('zones', True, ()): each first member read once per model
        groups: dict[str, tuple[list[bool], list[str]]] = {}
        for tokens in () if reads is None else (plain_path(p) for p in reads):
            whole, subs = groups.setdefault(tokens[0], ([False], []))  # type: ignore[index]
            if len(tokens) > 1:  # type: ignore[arg-type]
                subs.append(tokens[1])  # type: ignore[index]
            else:
                whole[0] = True
        self._transition_reads = None if reads is None else tuple(
            (head, whole[0], tuple(subs)) for head, (whole, subs) in groups.items())

    def for_operation(self, operation_id: str) -> list[Rule]:
        return list(self._by_op.get(operation_id, ()))

    def _run(self, checks: list[Check], ctx: _Ctx) -> list[RuleViolation]:
        out: list[RuleViolation] = []
        for check in checks:
            found = check(ctx)
            if found:
                out.extend(found)
        return out

    def _unchanged(self, before: dict[str, Any], after: Any) -> bool:
        """True when no transition rule can fire between these models (see `_reads`)."""
        reads = self._transition_reads
        if reads is None:
            return False
        for head, whole, subs in reads:
            old = before.get(head) if isinstance(before, dict) else None
            new = after.get(head) if isinstance(after, dict) else None
            # a subtree a PATCH left alone is the same object: equal without a deep compare (a NaN is not)
            if whole and (old is not new or isinstance(old, float)) and old != new:
                return False
            old = old if isinstance(old, dict) else _EMPTY
            new = new if isinstance(new, dict) else _EMPTY
            for sub in subs:
                a, b = old.get(sub), new.get(sub)
                if (a is not b or isinstance(a, float)) and a != b:
                    return False
        return True

    def check_request(
        self,
        operation_id: str,
        body: Any,
        api_version: str | None,
        current: dict[str, Any] | None = None,
    ) -> list[RuleViolation]:
        """Cross-field and api-version rules; transition rules too when `current` is given.

        For PATCH operations the rules see `merge_patch(current, body)`, the model the request would leave.
        """
        rules = self._by_op.get(operation_id)
        if not rules or not isinstance(body, dict):
            return []
        is_patch = operation_id in self.patch_operations
        model = _merged(current, body) if (is_patch and isinstance(current, dict)) else body
        before = current if isinstance(current, dict) else None
        ctx = _Ctx(operation_id, body, model, before, api_version, is_patch)
        return self._run((self._alone if before is None or self._unchanged(before, model) else self._with_current)
                         [operation_id], ctx)

    def check_transition(self, before: dict[str, Any], after: dict[str, Any]) -> list[RuleViolation]:
        """Transition rules between two observed models of the same resource (e.g. successive GETs)."""
        if not isinstance(before, dict) or not isinstance(after, dict):
            return []
        if self._unchanged(before, after):
            return []  # nothing any transition rule reads has changed (e.g. only provisioningState)
        ctx = _Ctx("", after, after, before, None, False)
        return self._run(self._transition, ctx)


def merge_patch(model: Any, patch: Any) -> Any:
    """ARM PATCH semantics, a JSON merge patch (RFC 7396): objects merge recursively, arrays and scalars
    replace whole, and a `null` removes the member (`"userAssignedIdentities": {"<id>": null}` unassigns
    that identity, as Azure's managed-identity docs for scale sets show); returns a new dict.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(model) if patch is None else copy.deepcopy(patch)
    out = copy.deepcopy(model) if isinstance(model, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _reads(rules: list[Rule]) -> tuple[str, ...] | None:
    """Two-member prefixes ('properties.virtualMachineProfile') of every path these rules read, or None when
    one of them might speak although nothing it reads changed. Equal values under every prefix mean equal
    values at every path below them, and then `immutable`, `same-virtual-network` and a `one-way` whose
    from != to cannot fire: a model that changed elsewhere (a poll's provisioningState) skips them all."""
    prefixes: list[str] = []
    for rule in rules:
        if rule.kind == "immutable":
            paths = [rule.params["path"]]
        elif rule.kind == "same-virtual-network":
            paths = list(rule.params["subnets"])
        elif rule.kind == "one-way" and rule.params.get("from") != rule.params.get("to"):
            paths = [rule.params["path"]]
        else:
            return None
        for path in paths:
            tokens = parse_path(path)
            head = tokens[:2] if None not in tokens[:2] else tokens[:tokens.index(None)]
            if not head:
                return None
            prefixes.append(".".join(head))  # type: ignore[arg-type]
    return tuple(dict.fromkeys(prefixes))


def _merged(model: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`merge_patch` for reading only: equal to it, but shares every subtree the patch leaves alone
    (the predicates never write, and deep-copying a whole scale set model per request was most of their cost)."""
    out = dict(model)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
            continue
        old = out.get(key)
        out[key] = _merged(old, value) if isinstance(value, dict) and isinstance(old, dict) else value
    return out


def _rule_from(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise SpecError(f"{where}: a rule must be a mapping")
    missing = [k for k in ("id", "kind", "summary", "source", "error") if k not in raw]
    if missing:
        raise SpecError(f"{where}: rule {raw.get('id', '?')} lacks {', '.join(missing)}")
    if raw["kind"] not in _KINDS:
        raise SpecError(f"{where}: rule {raw['id']} has unknown kind {raw['kind']!r}")
    src, err = raw["source"], raw["error"]
    return Rule(
        id=str(raw["id"]),
        summary=str(raw["summary"]),
        source=str(src.get("file") or src.get("url") or ""),  # a seed, ARM-FACTS.md, or a public page
        quote=str(src.get("quote", "")),
        code=str(err["code"]),
        status=int(err["status"]),
        kind=raw["kind"],
        phase=raw.get("phase", "request"),
        operations=frozenset(raw.get("operations") or ()),
        params={k: v for k, v in raw.items() if k not in _META},
    )


def load_rules(path: str | os.PathLike[str] | None = None) -> Rules:
    """Load `specs/rules.yaml` once per file (cached); `path` is the file or its folder."""
    p = Path(path) if path is not None else specs_dir()
    if p.is_dir() or p.suffix not in (".yaml", ".yml"):
        p = p / RULES_FILE
    return _load_rules(str(p.resolve()))


@lru_cache(maxsize=4)
def _load_rules(path: str) -> Rules:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError(f"cannot read rules {path}: {e.strerror or e}") from None
    except yaml.YAMLError as e:
        raise SpecError(f"rules {path} is not valid YAML: {e}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise SpecError(f"rules {path} has no 'rules' list")
    rules: dict[str, Rule] = {}
    for i, entry in enumerate(raw["rules"]):
        rule = _rule_from(entry, f"{path}: rules[{i}]")
        if rule.id in rules:
            raise SpecError(f"{path}: rule id {rule.id} is used twice")
        rules[rule.id] = rule
    try:
        spec = load_spec(Path(path).parent)
        patch_ops = frozenset(o.operation_id for o in spec.operations.values() if o.method == "PATCH")
    except SpecError:
        patch_ops = frozenset(op for r in rules.values() for op in r.operations if op.endswith("_Update"))
    return Rules(rules=rules, patch_operations=patch_ops)
