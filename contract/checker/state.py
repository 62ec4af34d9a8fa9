"""Per-resource state machines, fed every in-contract interaction in cassette order.

Each scale set, VM and run command the cassette touches gets a small record:
does it exist (unknown / exists / absent), what provisioningState it last
showed, how many accepted writes it has had, its last model, its capacity, and
which VMs must still show `latestModelApplied: false`. Judgements are only made
from evidence inside the cassette: a resource first seen answering 200 was
simply created before the recording began (real traffic: `az vmss create` goes
through an ARM template deployment). While a template deployment is running in a
resource group, existence and transition rules for that group are suspended,
because the deployment may create or update anything in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract.cassette import Interaction
from contract.checker.classify import Place, Target, deployment_key, resource_group, target
from contract.checker.deployments import Deployed, echoed, learn_text
from contract.checker.interaction import Seen, _parse, mentions, secret_hints
from contract.checker.lro import LroTracker, Pending, is_terminal, poll_key, status_of
from contract.checker.model import Violation
from contract.facts import load_facts
from contract.jsonpath import getter

UNKNOWN, EXISTS, ABSENT = "unknown", "exists", "absent"
_FACTS = load_facts()  # specs/rules.yaml facts: the emulator reads the same values
_UPGRADING_ACTIONS = _FACTS.upgrading_actions
_CONVERT_TO_SINGLE_PLACEMENT_GROUP = _FACTS.convert_action


@dataclass
class Resource:
    key: str
    kind: str  # scaleset | vm | runcommand
    rg: str
    existence: str = UNKNOWN
    absent_reason: str | None = None  # "not-found" | "deleted"
    absent_at: int | None = None
    put_at: int | None = None  # a successful PUT (create or update) in this cassette
    first_ok_get: Seen | None = None  # a 2xx GET before any PUT in this cassette
    writes: int = 0
    pending: set[int] = field(default_factory=set)
    last_state: str | None = None
    last_state_at: int | None = None
    last_state_writes: int = 0
    finished: tuple[str, int, int] | None = None  # (status, writes at finish, poll index)
    model: dict[str, Any] | None = None
    profile: Any = None
    capacity: int | None = None
    capacity_writes: int = -1
    capacity_settled: bool = False
    flexible: bool = False
    known_instances: set[str] = field(default_factory=set)
    outdated: set[str] = field(default_factory=set)  # VMs known before a Manual-mode model change
    outdated_all: bool = False  # no scale-out since the change: every VM listed is an existing one
    upgraded: set[str] = field(default_factory=set)  # VMs a manualupgrade/reimage covered since
    outdated_since: int | None = None

    def new_incarnation(self) -> None:
        """A create after absence: forget what the previous resource of that name showed."""
        fresh = Resource(self.key, self.kind, self.rg)
        fresh.writes = self.writes
        self.__dict__.update(fresh.__dict__)


class World:
    """Everything one cassette has shown so far; `feed` returns new violations."""

    def __init__(self, rules: Any = None, secret_names: frozenset[str] = frozenset()) -> None:
        self.rules = rules
        self.secret_names = secret_names
        self._secret_hints = secret_hints(frozenset(secret_names))
        self._secret_byte_hints = tuple(h.encode() for h in self._secret_hints)
        self._secret_seen = False  # once a secret was echoed, model comparisons ignore secrets
        self.resources: dict[str, Resource] = {}
        self.lro = LroTracker()
        self.op_status: dict[str, str] = {}
        self.deployments: dict[str, set[str]] = {}  # rg -> running deployment keys
        self.deployed: dict[str, Deployed] = {}  # deployment key -> what its PUT asked (secrets, scale sets)
        self.rg_writes: dict[str, int] = {}
        # per path, parsed once: a cassette polls and re-reads the same few resources
        self._targets: dict[str, Target | None] = {}
        self._deployment_keys: dict[str, tuple[str | None, str | None]] = {}
        self._chains: dict[Target, list[Resource]] = {}
        # per request line: (target, its chain, the path as LRO keys spell it), worked out once
        self._places: dict[Place, tuple[Target | None, list[Resource] | None, str]] = {}

    # ---- helpers -----------------------------------------------------------
    def _res(self, key: str, kind: str, rg: str) -> Resource:
        r = self.resources.get(key)
        if r is None:
            r = self.resources[key] = Resource(key, kind, rg)
        return r

    def _chain(self, t: Target) -> list[Resource]:
        """Scale set, VM, run command down to the target (a resource's record is never replaced: kept per target)."""
        chain = self._chains.get(t)
        if chain is None:
            chain = [self._res(t.scale_set, "scaleset", t.rg)]
            if t.vm:
                chain.append(self._res(t.vm, "vm", t.rg))
            if t.run_command:
                chain.append(self._res(t.run_command, "runcommand", t.rg))
            self._chains[t] = chain
        return chain

    def _where(self, place: Place) -> tuple[Target | None, list[Resource] | None, str]:
        """The resource a request line addresses, its chain down from the scale set, and its LRO poll key."""
        found = self._places.get(place)
        if found is None:
            t = self.target(place.path)
            found = self._places[place] = (t, self._chain(t) if t is not None else None,
                                           poll_key(place.path))
        return found

    def writes(self, r: Resource) -> int:
        return r.writes + self.rg_writes.get(r.rg, 0)

    def relaxed(self, rg: str) -> bool:
        return bool(self.deployments.get(rg))

    def target(self, path: str) -> Target | None:
        try:
            return self._targets[path]
        except KeyError:
            t = self._targets[path] = target(path)
            return t

    def current_model(self, path: str) -> dict[str, Any] | None:
        """The last model seen of the resource a request addresses (for transition rules)."""
        t = self.target(path)
        if t is None or not t.self_path or self.relaxed(t.rg):
            return None
        r = self.resources.get(t.key)
        if r is None or r.existence == ABSENT:
            return None
        return r.model

    def _mark_deleted(self, r: Resource, index: int) -> None:
        prefix = r.key + "/"
        for other in self.resources.values():
            if other is r or other.key.startswith(prefix):
                other.existence, other.absent_reason, other.absent_at = ABSENT, "deleted", index

    # ---- outside-contract traffic --------------------------------------------
    def outside(self, index: int, interaction: Interaction, method: str, path: str) -> list[tuple[str, str]]:
        """Track template deployments: while one runs, its resource group may change under us.

        Returns (rule, message) findings: a secure parameter of the deployment echoed in its answers.
        Once a deployment succeeds, the scale sets its template created get the evaluated template
        body as their model, so the next GET is compared with it as after a direct PUT.
        """
        keys = self._deployment_keys.get(path)
        if keys is None:
            keys = self._deployment_keys[path] = (deployment_key(path), resource_group(path))
        dep, rg = keys
        if dep is None:
            return []
        status = interaction.response.status
        found: list[tuple[str, str]] = []
        if method == "PUT" and path.lower() == dep and 200 <= status < 300:
            learned = learn_text(path, interaction.request.body)
            if learned is not None:
                self.deployed[dep] = learned
        deployed = self.deployed.get(dep)
        if deployed is not None and deployed.secrets:
            name = echoed(deployed, _text(interaction.response.body))
            if name is not None:
                found.append(("secret-echoed", f"the deployment's secure parameter '{name}' appears in the answer; "
                                               f"ARM answers a secure parameter with its type only"))
        if rg is None:  # a subscription-scope deployment: its secrets are watched; which groups it changes is not
            return found
        if method != "GET" and 200 <= status < 300:
            self.deployments.setdefault(rg, set()).add(dep)
            self.rg_writes[rg] = self.rg_writes.get(rg, 0) + 1
            for r in self.resources.values():
                if r.rg == rg and r.existence == ABSENT:
                    r.existence, r.absent_reason = UNKNOWN, None
        elif method == "GET" and 200 <= status < 300 and dep in self.deployments.get(rg, ()):
            # only a GET of a deployment still running here is read (is it done?)
            body = _deployment_poll(interaction.response.body)
            if not isinstance(body, dict):
                return found
            state = status_of(body) or (body.get("properties") or {}).get("provisioningState")
            if isinstance(state, str) and is_terminal(state):
                self.deployments[rg].discard(dep)
                if state.lower() == "succeeded" and deployed is not None and not deployed.applied:
                    deployed.applied = True
                    for key, model in deployed.baselines.items():
                        self._res(key, "scaleset", rg).model = model
        return found

    # ---- in-contract traffic -------------------------------------------------
    def feed(self, s: Seen) -> list[Violation]:
        if s.operation_id == "OperationStatus_Get":
            return self._poll(s)
        t, chain, _ = self._where(s.place)
        if t is None:
            return []
        out: list[Violation] = []
        r = chain[-1]  # type: ignore[index]
        relaxed = bool(self.deployments.get(t.rg))  # self.relaxed(), inlined: this runs per interaction
        creating = t.self_path and s.method == "PUT"
        gone = s.method == "DELETE" and s.status == 204 and t.self_path  # ARM's answer to deleting what is not there
        if s.ok and not relaxed and not gone:
            self._existence(s, chain, creating, out)
        if t.self_path and r.kind in ("scaleset", "runcommand"):
            self._self_op(s, t, r, relaxed, out)
        if s.ok and s.method != "GET":
            for c in chain:
                c.writes += 1
            self._start_lro(s, t, chain)
            if s.method == "POST":
                action = t.tail.strip("/")  # case-folded by classify
                if action in _UPGRADING_ACTIONS:
                    self._upgrading(s, t, chain[0])
                elif action == _CONVERT_TO_SINGLE_PLACEMENT_GROUP:
                    self._converted(chain[0])
        body = s.response_body if s.ok else None
        if s.ok and t.self_path and s.method in ("GET", "PUT", "PATCH") and isinstance(body, dict):
            if r.kind in ("scaleset", "runcommand"):
                self._observe(s, r, body, relaxed, out)
            elif r.kind == "vm" and s.method == "GET":
                self._observe_vms(s, chain[0], [body], "$", complete=False, relaxed=relaxed, out=out)
        elif (s.ok and s.method == "GET" and r.kind == "scaleset" and t.tail == "/virtualmachines"
              and isinstance(body, dict) and isinstance(body.get("value"), list)):
            complete = not body.get("nextLink") and "$filter" not in s.uri.query  # the whole fleet, one page
            self._observe_vms(s, r, body["value"], "$.value", complete=complete, relaxed=relaxed, out=out)
        return out

    def _existence(self, s: Seen, chain: list[Resource], creating: bool, out: list[Violation]) -> None:
        for c in chain:
            if c.kind == "vm" or (creating and c is chain[-1]):
                continue
            if c.existence != ABSENT:
                continue
            what = "scale set" if c.kind == "scaleset" else "run command"
            if c.absent_reason == "deleted":
                out.append(s.violation("deleted-resource-answered",
                                       f"answered {s.status} although the {what} was deleted (interaction {c.absent_at})"))
            else:
                out.append(s.violation("get-before-create",
                                       f"answered {s.status} although the {what} answered 404 at interaction "
                                       f"{c.absent_at} and was not created since"))
            return

    def _self_op(self, s: Seen, t: Target, r: Resource, relaxed: bool, out: list[Violation]) -> None:
        if s.method == "PUT" and s.ok:
            if not relaxed:
                if s.status == 201 and r.existence == EXISTS:
                    if r.put_at is not None:
                        out.append(s.violation("create-status",
                                               f"answered 201 Created but the resource was already created or updated by "
                                               f"the PUT at interaction {r.put_at}; later PUTs answer 200"))
                    elif r.first_ok_get is not None:
                        # the PUT says it created the resource: the earlier 2xx GET is the lie
                        out.append(r.first_ok_get.violation(
                            "get-before-create",
                            f"answered {r.first_ok_get.status} although the resource was only created later "
                            f"(PUT 201 at interaction {s.index}); before create, GET is 404"))
                        r.existence = ABSENT
                elif s.status == 200 and r.existence == ABSENT:
                    why = "was deleted" if r.absent_reason == "deleted" else "answered 404"
                    out.append(s.violation("create-status",
                                           f"answered 200 but the resource {why} at interaction {r.absent_at}; "
                                           "the first successful PUT (a create) answers 201"))
            if r.existence == ABSENT or s.status == 201 and r.existence != EXISTS:
                r.new_incarnation()
            r.existence, r.put_at = EXISTS, s.index
        elif s.method == "PATCH" and s.ok:
            r.existence = EXISTS
        elif s.method == "DELETE" and s.ok:
            if not s.header("azure-asyncoperation") and not s.header("location") and s.status in (200, 204):
                self._mark_deleted(r, s.index)
        elif s.method == "GET":
            if s.ok:
                if r.existence == UNKNOWN:
                    r.existence = EXISTS
                    if r.put_at is None and r.first_ok_get is None:
                        r.first_ok_get = s
            elif s.status == 404 and not relaxed:
                if r.existence != ABSENT:
                    r.existence, r.absent_reason, r.absent_at = ABSENT, "not-found", s.index

    def _start_lro(self, s: Seen, t: Target, chain: list[Resource]) -> None:
        urls = [s.header("azure-asyncoperation"), s.header("location")]
        if not any(urls):
            return
        ids = None
        body = s.request_body
        if isinstance(body, dict) and isinstance(body.get("instanceIds"), list):
            ids = [str(i) for i in body["instanceIds"]]
        pending = Pending(s.index, s.method, t, ids)
        self.lro.start(pending, urls)
        for c in chain:
            c.pending.add(s.index)

    def _upgrading(self, s: Seen, t: Target, scale_set: Resource) -> None:
        """An accepted manualupgrade/reimage: VMs pick up the model while it runs, so from
        acceptance on (sync or long-running) `latestModelApplied: true` is allowed for them."""
        if t.vm:
            ids: list[str] | None = [t.vm.rsplit("/", 1)[-1]]
        else:
            body = s.request_body
            raw = body.get("instanceIds") if isinstance(body, dict) else None
            ids = [str(i) for i in raw] if isinstance(raw, list) else None
        if ids is None or "*" in ids:
            scale_set.outdated.clear()
            scale_set.outdated_all = False
        else:
            scale_set.outdated.difference_update(ids)
            scale_set.upgraded.update(ids)

    @staticmethod
    def _converted(scale_set: Resource) -> None:
        """ConvertToSinglePlacementGroup is the documented way from many placement groups back to one:
        the one-way rule judges PUT/PATCH, so the model later answers are compared with takes the
        action's effect (a copy: the parsed answer is shared with equal bodies)."""
        model = scale_set.model
        if isinstance(model, dict):
            scale_set.model = _with(model, _FACTS.convert_sets)

    def _poll(self, s: Seen) -> list[Violation]:
        out: list[Violation] = []
        if not s.ok:
            what = "monitor=true Location" if s.monitor else "operation-status"
            out.append(s.violation("lro-poll-status", f"poll of the {what} URL answered {s.status}; polls answer 2xx"))
            return out
        key = self._where(s.place)[2]
        if s.monitor:
            # the Location URL: 202 while running, then the result (200/204) once finished
            pending = self.lro.find(key)
            if pending is not None and pending.finished_at is None and s.status in (200, 204):
                pending.status, pending.finished_at = "Succeeded", s.index
                self._finish(pending, "Succeeded", s.index)
            return out
        status = status_of(s.response_body)
        prev = self.op_status.get(key)
        if prev is not None and is_terminal(prev):
            if status is None or status.lower() != prev.lower():
                out.append(s.violation("operation-status-terminal",
                                       f"operation status went from terminal {prev} to {status}", "$.status"))
            return out
        if status is not None:
            self.op_status[key] = status
        pending = self.lro.find(key)
        if status is not None and is_terminal(status) and pending is not None and pending.finished_at is None:
            pending.status, pending.finished_at = status, s.index
            self._finish(pending, status, s.index)
        return out

    def _finish(self, p: Pending, status: str, index: int) -> None:
        t = p.target
        if t is None:
            return
        chain = self._chain(t)
        for c in chain:
            c.pending.discard(p.origin)
        r = chain[-1]
        ok = status.lower() == "succeeded"
        if not t.self_path:
            return
        if p.method == "DELETE" and ok:
            self._mark_deleted(r, index)
        elif p.method in ("PUT", "PATCH"):
            r.finished = (status, self.writes(r), index)
            if ok and r.capacity_writes == self.writes(r) and not r.pending:
                r.capacity_settled = True

    def _observe(self, s: Seen, r: Resource, body: dict[str, Any], relaxed: bool, out: list[Violation]) -> None:
        props = body.get("properties")
        props = props if isinstance(props, dict) else {}
        ps = props.get("provisioningState")
        ps = ps if isinstance(ps, str) else None
        w = self.writes(r)
        bad_run_command = False
        if r.kind == "runcommand" and ps is not None and is_terminal(ps):
            execution = props.get("instanceView")
            execution = execution.get("executionState") if isinstance(execution, dict) else None
            if ps.casefold() not in _FACTS.run_command_terminal:
                bad_run_command = True
                out.append(s.violation("run-command-terminal", f"run command ended {ps}; it ends Succeeded or Failed",
                                       "$.properties.provisioningState"))
            elif (props.get("asyncExecution") is not True and isinstance(execution, str)
                  and execution.lower() in ("pending", "running")):
                # a synchronous run command's operation finishes with its script
                bad_run_command = True
                out.append(s.violation("run-command-terminal",
                                       f"run command provisioned {ps} but its script is still {execution}",
                                       "$.properties.instanceView.executionState"))
        if r.finished is not None and ps is not None:
            status, fw, at = r.finished
            if (fw == w and not bad_run_command
                    and (not is_terminal(ps) or (status.lower() == "succeeded" and ps.lower() != "succeeded"))):
                out.append(s.violation("lro-result",
                                       f"the operation polled {status} at interaction {at}, yet the resource shows "
                                       f"provisioningState {ps}", "$.properties.provisioningState"))
            r.finished = None
        if ps is not None:
            self._transition(s, r, ps, w, relaxed, out)
        if r.kind == "scaleset":
            same = r.model == body  # C-speed; polls and repeated GETs usually answer the same model
            if r.model is not None and self.rules is not None and not relaxed and not same:
                for v in self.rules.check_transition(r.model, body):
                    path = v.target if not v.target or v.target.startswith("$") else f"$.{v.target}"
                    out.append(s.violation(v.rule_id, f"{v.message} (compared with the model seen before)", path))
            # what VMs take from the model (facts.vm-model-paths: the profile, sku name and tier), never capacity
            vm_model = _vm_model(body)
            mode = props.get("upgradePolicy")
            mode = mode.get("mode") if isinstance(mode, dict) else None
            sku = body.get("sku")
            cap = sku.get("capacity") if isinstance(sku, dict) else None
            if isinstance(cap, int) and r.capacity is not None and cap > r.capacity:
                r.outdated_all = False  # new VMs get the latest model: existing ones can no longer be told apart
            if isinstance(mode, str) and mode.lower() != "manual":
                # Automatic/Rolling applies the latest model to every VM: leaving Manual ends the wait
                r.outdated, r.outdated_all, r.upgraded, r.outdated_since = set(), False, set(), None
            elif (r.profile is not None and vm_model is not None and _changed(r.profile, vm_model)
                    and isinstance(mode, str)
                    and not self._differs_only_in_secrets(
                        [b if a is not None else None for a, b in zip(r.profile, vm_model)],
                        [a if b is not None else None for a, b in zip(r.profile, vm_model)], s)):
                r.outdated |= r.known_instances
                r.outdated_all = r.capacity is not None and isinstance(cap, int) and cap <= r.capacity
                r.upgraded = set()
                r.outdated_since = s.index
            if vm_model is not None:
                r.profile = vm_model if r.profile is None else [
                    new if new is not None else old for new, old in zip(vm_model, r.profile)]
            if isinstance(cap, int):
                r.capacity, r.capacity_writes = cap, w
                r.capacity_settled = ps is not None and ps.lower() == "succeeded" and not r.pending
            om = props.get("orchestrationMode")
            r.flexible = isinstance(om, str) and om.lower() == "flexible"
        r.model = body

    def _differs_only_in_secrets(self, new: Any, old: Any, s: Seen) -> bool:
        """A secret echoed in one answer is `secret-echoed`, not a model change."""
        if not self._secret_seen and not mentions(s.body, self._secret_hints, self._secret_byte_hints):
            return False
        self._secret_seen = True
        return _without(new, self.secret_names) == _without(old, self.secret_names)

    def _transition(self, s: Seen, r: Resource, ps: str, w: int, relaxed: bool, out: list[Violation]) -> None:
        prev, at = r.last_state, r.last_state_at
        wrote = w != r.last_state_writes
        r.last_state, r.last_state_at, r.last_state_writes = ps, s.index, w
        if prev is None or relaxed:
            return
        pl, cl = prev.lower(), ps.lower()
        if pl == cl:
            return
        problem = None
        if cl == "creating":
            problem = f"went from {prev} (interaction {at}) back to Creating"
        elif not is_terminal(pl) and is_terminal(cl):
            return
        elif not wrote:
            problem = f"went from {prev} (interaction {at}) to {ps} with no write in between"
        if problem:
            out.append(s.violation("provisioning-state-transition", problem, "$.properties.provisioningState"))

    def _observe_vms(self, s: Seen, scale_set: Resource, items: list[Any], prefix: str, *, complete: bool,
                     relaxed: bool, out: list[Violation]) -> None:
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            iid = item.get("instanceId")
            if not isinstance(iid, str):
                rid = item.get("id")
                iid = rid.rstrip("/").rsplit("/", 1)[-1] if isinstance(rid, str) else None
            if iid is None:
                continue
            props = item.get("properties")
            applied = props.get("latestModelApplied") if isinstance(props, dict) else None
            stale = iid in scale_set.outdated or (scale_set.outdated_all and iid not in scale_set.upgraded)
            if stale and applied is True:
                where = f"{prefix}[{i}]" if prefix != "$" else "$"
                out.append(s.violation(
                    "manual-upgrade-latest-model",
                    f"VM {iid} shows latestModelApplied true after the model changed in Manual upgrade mode "
                    f"(interaction {scale_set.outdated_since}) and before a manualupgrade/reimage",
                    f"{where}.properties.latestModelApplied"))
            scale_set.known_instances.add(iid)
        if (complete and not relaxed and scale_set.capacity is not None and scale_set.capacity_settled
                and scale_set.capacity_writes == self.writes(scale_set) and not scale_set.pending
                and not scale_set.flexible and len(items) != scale_set.capacity):
            out.append(s.violation("capacity-mismatch",
                                   f"{len(items)} VMs listed but sku.capacity is {scale_set.capacity} and no operation "
                                   "is running", "$.value"))


_TERMINAL_WORDS = ("Succeeded", "Failed", "Cancel")  # a deployment poll worth parsing says one of these
_TERMINAL_BYTES = tuple(w.encode() for w in _TERMINAL_WORDS)


def _text(body: Any) -> str | None:
    if isinstance(body, bytes | bytearray):
        return bytes(body).decode("utf-8", "replace")
    return body if isinstance(body, str) else None


def _deployment_poll(body: str | bytes | None) -> Any:
    """The parsed body of a deployment GET that may say it finished, else None."""
    if not body:
        return None
    for word in _TERMINAL_WORDS if isinstance(body, str) else _TERMINAL_BYTES:
        if word in body:  # type: ignore[operator]
            return _parse(body)[0]
    return None


_MODEL_GETTERS = tuple((path, getter(path)) for path in _FACTS.vm_model_paths)


def _vm_model(body: dict[str, Any]) -> list[Any] | None:
    """The parts of a scale set model its VMs take (facts.vm-model-paths), or None when the answer shows none
    of them. A part an answer leaves out is compared with nothing (see `_changed`)."""
    parts = [get(body) for _, get in _MODEL_GETTERS]
    return None if all(p is None for p in parts) else parts


def _changed(before: list[Any], after: list[Any]) -> bool:
    return any(a is not None and b is not None and a != b for a, b in zip(before, after))


def _with(model: dict[str, Any], sets: dict[str, Any]) -> dict[str, Any]:
    """A copy of `model` with the dotted paths of `sets` set (copies only along those paths: answers are shared)."""
    out = dict(model)
    for path, value in sets.items():
        node = out
        keys = path.split(".")
        for key in keys[:-1]:
            child = node.get(key)
            node[key] = dict(child) if isinstance(child, dict) else {}
            node = node[key]
        node[keys[-1]] = value
    return out


def _without(node: Any, names: frozenset[str]) -> Any:
    """A copy of `node` without members named in `names` (secrets are never part of a model comparison)."""
    if not names:
        return node
    if isinstance(node, dict):
        return {k: _without(v, names) for k, v in node.items() if k not in names}
    if isinstance(node, list):
        return [_without(v, names) for v in node]
    return node
