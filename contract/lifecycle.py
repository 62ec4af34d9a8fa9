"""Driving a live endpoint with generated traffic: the fuzz campaign and the lifecycle machine.

Both talk through `contract.arm_client.ArmClient` (azure-core's pipeline with ARM polling,
so the traffic is an SDK's) and work against anything that speaks ARM: the emulator, the
replay server, or Azure through the recording proxy.
Every exchange is kept as a cassette `Interaction`, so what a run saw can be checked by
`contract.check` after each step and saved as a cassette.

Record once, replay forever: a recording run lets hypothesis generate the steps; a
replay run never generates anything, it re-sends the requests the cassette holds, in
order (`replay_lifecycle`), so hypothesis versions and seeds cannot make replay miss.
"""
from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contract.cassette import Cassette, Interaction, Request, Response, load_cassette, save_cassette
from contract.facts import load_facts
from contract.arm_client import LOCAL_TOKEN, Answer, ArmClient
from contract.journeys.step import COMPUTE_API, RESOURCES_API, Target
from contract.strategies import InvalidPayload, invalid_payloads, valid_payloads

__all__ = [
    "CREATE",
    "DEFAULT_OPERATIONS",
    "ContractBroken",
    "FuzzSummary",
    "LifecycleResult",
    "OperationSummary",
    "Recorder",
    "draw_examples",
    "for_disk",
    "fuzz",
    "lifecycle_machine",
    "record_lifecycle",
    "replay_lifecycle",
]

CREATE = "VirtualMachineScaleSets_CreateOrUpdate"
UPDATE = "VirtualMachineScaleSets_Update"
RUN_COMMAND = "VirtualMachineScaleSetVMRunCommands_CreateOrUpdate"
MANUAL_UPGRADE = "VirtualMachineScaleSets_UpdateInstances"
REIMAGE = "VirtualMachineScaleSets_Reimage"
DEFAULT_OPERATIONS: tuple[str, ...] = (CREATE, UPDATE, RUN_COMMAND, MANUAL_UPGRADE, REIMAGE)
TERMINAL = tuple(sorted(load_facts().terminal))  # specs/rules.yaml facts.operation-terminal-states


class ContractBroken(AssertionError):
    """The endpoint answered something the contract does not allow."""


# --------------------------------------------------------------------------- the client
class Recorder(ArmClient):
    """An `ArmClient` that keeps every exchange (polls included) as an `Interaction`."""

    def __init__(self, base_url: str, ca_path: str | None = None, token: str | None = None,
                 timeout: float = 60) -> None:
        super().__init__(base_url, ca_path, token or os.environ.get("VMSS_CONTRACT_TOKEN", LOCAL_TOKEN), timeout)
        self.interactions: list[Interaction] = []
        self.on_exchange.append(self._keep)

    def _keep(self, method: str, url: str, body: Any, answer: Answer) -> None:
        request_headers = {"Accept": ["application/json"]}
        if body is not None:
            request_headers["Content-Type"] = ["application/json"]
        self.interactions.append(Interaction(
            Request(method, url, json.dumps(body) if body is not None else None, request_headers),
            Response(answer.status, "", {k: [v] for k, v in answer.headers.items()},
                     json.dumps(answer.body) if answer.body is not None else None),
        ))

    def call(self, method: str, path: str, body: Any = None) -> tuple[Answer, Answer | None]:
        """Send, and follow a long-running answer to its end; returns (first, final poll)."""
        answer = self.send(method, path, body)
        final = self.wait(answer) if answer.status < 300 else None
        return answer, final

    def violations(self, start: int = 0) -> list[Any]:
        """Contract violations in what this client saw from exchange `start` on (one cassette, in order)."""
        from contract.checker import check

        return list(check(self.interactions[start:]).violations)


def make_network(client: Recorder, target: Target) -> None:
    """The virtual network and subnet the target's scale sets stand on, made (and followed to its end)
    before any scale set, as a real client does: Azure and the emulator refuse a missing subnet."""
    from contract.network_setup import virtual_network_request

    path, body = virtual_network_request(target.subnet_id, target.location)
    answer, final = client.call("PUT", path, body)
    if answer.status not in (200, 201) or (_lro_state(final) or "Succeeded").lower() != "succeeded":
        raise ContractBroken(f"could not create the virtual network {path.split('?')[0]}: {answer.status} "
                             f"{_error_code(answer) or ''} {_lro_state(final) or ''}".strip())


def payload_kwargs(target: Target) -> dict[str, Any]:
    """What makes generated bodies name only what `make_network` made: the target's own subnet, in its
    region, and no load-balancer/application-gateway pools, NSG or vault the subscription lacks."""
    from contract.strategies import NetworkContext

    return {"network": NetworkContext.of_subnet(target.subnet_id), "references": False, "location": target.location}


def _lro_state(final: Answer | None) -> str | None:
    return final.lro_state if final is not None else None


def _error_code(answer: Answer) -> str | None:
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and "code" in error else None


_VOLATILE = ("etag", "timeCreated", "provisioningState", "instanceView")


def _stable(model: Any) -> Any:
    """A model without what ARM may change on its own (etag, times, provisioning state)."""
    if isinstance(model, dict):
        return {k: _stable(v) for k, v in model.items() if k not in _VOLATILE}
    if isinstance(model, list):
        return [_stable(v) for v in model]
    return model


# --------------------------------------------------------------------------- drawing
def draw_examples(strategy: st.SearchStrategy[Any], count: int, seed: int) -> list[Any]:
    """`count` examples of `strategy`, the same ones for the same seed and hypothesis version.

    Used by recording runs and the fuzz command; replay never calls it (it re-sends what
    the cassette holds), so a different hypothesis cannot make replay miss.
    """
    from hypothesis import given
    from hypothesis import seed as hseed

    out: list[Any] = []
    if count <= 0:
        return out

    @hseed(seed)
    # Scale set bodies are big by nature (large_base_example) and slow to build (too_slow); the state machine
    # draws its create body inside its own running test (nested_given). filter_too_much and data_too_large
    # stay on: they are the sign that a strategy stopped producing data.
    @settings(max_examples=count, database=None, deadline=None, phases=["generate"],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.nested_given])
    @given(strategy)
    def collect(value: Any) -> None:
        if len(out) < count:
            out.append(value)

    collect()
    return out


# --------------------------------------------------------------------------- fuzz
@dataclass
class OperationSummary:
    """What one operation's fuzzing found."""

    operation_id: str
    valid_sent: int = 0
    valid_accepted: int = 0
    invalid_sent: int = 0
    invalid_rejected: int = 0  # with the expected status and CloudError code
    unchanged_checked: int = 0
    unchanged_ok: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.valid_accepted == self.valid_sent and self.invalid_rejected == self.invalid_sent
                and self.unchanged_ok == self.unchanged_checked and not self.failures)


@dataclass
class FuzzSummary:
    """The result of `fuzz`: per-operation counts, every exchange, the checker's verdict."""

    operations: list[OperationSummary]
    interactions: list[Interaction]
    violations: list[Any] = field(default_factory=list)  # contract.check over `interactions`
    seed: int = 0
    base_url: str = ""

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.operations)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write everything sent and received as a cassette (the checker and replay read it)."""
        target = Path(path)
        save_cassette(Cassette(for_disk(self.interactions, self.base_url), target, {"generator": "vmss-contract fuzz", "seed": self.seed}), target)
        return target


Progress = Callable[[str, int, int], None]  # operation id, done, total


@dataclass
class _Context:
    client: Recorder
    target: Target
    seed: int
    api_version: str
    base_body: dict[str, Any] | None = None
    counter: int = 0

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"fz{self.seed % 1000}-{stem}-{self.counter}"

    def vmss(self, name: str, suffix: str = "", api: str | None = None) -> str:
        return self.target.vmss(name, suffix, api=api or self.api_version)


def _create(ctx: _Context, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create a scale set and wait until it is there; its model as a GET shows it."""
    answer, final = ctx.client.call("PUT", ctx.vmss(name), body)
    if answer.status not in (200, 201) or (_lro_state(final) or "Succeeded").lower() != "succeeded":
        raise ContractBroken(f"could not create base scale set {name}: {answer.status} {_error_code(answer)} {_lro_state(final)}")
    got = ctx.client.send("GET", ctx.vmss(name))
    if got.status != 200 or not isinstance(got.body, dict):
        raise ContractBroken(f"GET of new scale set {name} answered {got.status}")
    return got.body


def _delete(ctx: _Context, name: str) -> None:
    ctx.client.call("DELETE", ctx.vmss(name))


def _base(ctx: _Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid create body with two VMs (drawn once per campaign) and the model it yields."""
    if ctx.base_body is None:
        body = draw_examples(valid_payloads(CREATE, ctx.api_version, **payload_kwargs(ctx.target)), 1, ctx.seed)[0]
        body = copy.deepcopy(body)
        body["sku"]["capacity"] = 2
        ctx.base_body = body
    name = ctx.fresh("base")
    model = _create(ctx, name, ctx.base_body)
    _delete(ctx, name)
    return ctx.base_body, model


@dataclass
class _OpPlan:
    """How to aim one operation's payloads at the endpoint."""

    needs_base: bool
    url: Callable[[_Context, str], str]  # (context, base scale set name) -> request path
    check_url: Callable[[_Context, str], str]  # what to GET to see the resource unchanged (or still missing)


def _rc_name(ctx: _Context) -> str:
    """A run command name no earlier request used (refused ones must leave it missing)."""
    return f"rc{ctx.counter}"


PLANS: dict[str, _OpPlan] = {
    CREATE: _OpPlan(False, lambda c, n: c.vmss(n), lambda c, n: c.vmss(n)),
    UPDATE: _OpPlan(True, lambda c, n: c.vmss(n), lambda c, n: c.vmss(n)),
    RUN_COMMAND: _OpPlan(True, lambda c, n: c.vmss(n, f"/virtualMachines/0/runCommands/{_rc_name(c)}"),
                         lambda c, n: c.vmss(n, f"/virtualMachines/0/runCommands/{_rc_name(c)}")),
    MANUAL_UPGRADE: _OpPlan(True, lambda c, n: c.vmss(n, "/manualupgrade"), lambda c, n: c.vmss(n)),
    REIMAGE: _OpPlan(True, lambda c, n: c.vmss(n, "/reimage"), lambda c, n: c.vmss(n)),
}
# The other scale set actions whose body is an instance list: same aim, their own path.
for _action, _op in (("reimageall", "VirtualMachineScaleSets_ReimageAll"), ("start", "VirtualMachineScaleSets_Start"),
                     ("restart", "VirtualMachineScaleSets_Restart"), ("poweroff", "VirtualMachineScaleSets_PowerOff"),
                     ("deallocate", "VirtualMachineScaleSets_Deallocate"), ("redeploy", "VirtualMachineScaleSets_Redeploy"),
                     ("delete", "VirtualMachineScaleSets_DeleteInstances")):
    PLANS[_op] = _OpPlan(True, lambda c, n, a=_action: c.vmss(n, f"/{a}"), lambda c, n: c.vmss(n))


def _send_valid(ctx: _Context, op: str, plan: _OpPlan, payload: Any, summary: OperationSummary) -> None:
    base_name = ctx.fresh("v")
    if plan.needs_base:
        assert ctx.base_body is not None
        _create(ctx, base_name, ctx.base_body)
    url = plan.url(ctx, base_name)
    summary.valid_sent += 1
    answer, final = ctx.client.call(_method(op), url, payload)
    state = _lro_state(final)
    if 200 <= answer.status < 300 and (state is None or state.lower() == "succeeded"):
        summary.valid_accepted += 1
    else:
        summary.failures.append(f"valid payload refused: {answer.status} {_error_code(answer) or ''} {state or ''}".strip())
    _delete(ctx, base_name)


def _send_invalid(ctx: _Context, op: str, plan: _OpPlan, bad: InvalidPayload, base_name: str | None,
                  summary: OperationSummary) -> None:
    name = base_name or ctx.fresh("bad")
    url = plan.url(ctx, name)
    if bad.api_version:
        url = _with_api_version(url, bad.api_version)
    check_url = plan.check_url(ctx, name)
    before = ctx.client.send("GET", check_url)
    summary.invalid_sent += 1
    answer = ctx.client.send(_method(op), url, bad.payload)
    code = _error_code(answer)
    if answer.status == bad.status and code == bad.code:
        summary.invalid_rejected += 1
    else:
        summary.failures.append(
            f"{bad.rule} at {bad.path}: expected {bad.status} {bad.code}, got {answer.status} {code or '(no CloudError)'}")
        if 200 <= answer.status < 300:
            ctx.client.wait(answer)
    after = ctx.client.send("GET", check_url)
    summary.unchanged_checked += 1
    if before.status == after.status and _stable(before.body) == _stable(after.body):
        summary.unchanged_ok += 1
    else:
        summary.failures.append(f"{bad.rule}: resource changed after a refused request ({before.status} -> {after.status})")


def _method(operation_id: str) -> str:
    """The HTTP method the spec gives an operation."""
    from contract.specs import load_spec

    return load_spec().operations[operation_id].method


def _with_api_version(url: str, version: str) -> str:
    path, _, query = url.partition("?")
    params = {k: v for k, v in parse_qs(query, keep_blank_values=True).items() if k != "api-version"}
    rest = "".join(f"&{k}={v[0]}" for k, v in params.items())
    return f"{path}?api-version={version}{rest}"


def fuzz(
    target_url: str,
    *,
    ca_path: str | None = None,
    operations: Sequence[str] | None = None,
    examples: int = 5,
    invalid: bool = True,
    seed: int = 0,
    token: str | None = None,
    target: Target | None = None,
    api_version: str = COMPUTE_API,
    progress: Progress | None = None,
) -> FuzzSummary:
    """Send generated valid (and, with `invalid`, rule-breaking) payloads for each operation.

    Valid payloads must get 2xx and a Succeeded long-running end; invalid ones the 4xx
    CloudError their broken constraint names, after which a GET must show the resource
    as it was (or still missing). Scale sets it creates are deleted again.
    """
    target = target or Target()
    client = Recorder(target_url, ca_path, token)
    ctx = _Context(client, target, seed, api_version)
    ops = list(operations or DEFAULT_OPERATIONS)
    unknown = [op for op in ops if op not in PLANS]
    if unknown:
        raise ValueError(f"cannot fuzz {', '.join(unknown)}; supported: {', '.join(PLANS)}")
    client.send("PUT", f"{target.rg_path}?api-version={RESOURCES_API}", {"location": target.location})
    make_network(client, target)
    summaries: list[OperationSummary] = []
    for op in ops:
        plan = PLANS[op]
        summary = OperationSummary(op)
        summaries.append(summary)
        total = examples * (2 if invalid else 1)
        done = 0
        if progress:
            progress(op, 0, total)
        current = None
        instance_ids: tuple[str, ...] | None = None
        if plan.needs_base:
            _, current = _base(ctx)
            instance_ids = ("0", "1")
        kwargs: dict[str, Any] = {"instance_ids": instance_ids}
        valid_kwargs = payload_kwargs(target)
        if op == UPDATE:
            kwargs["current"] = current
        try:
            good = draw_examples(valid_payloads(op, api_version, **kwargs, **valid_kwargs), examples, seed)
            bad = draw_examples(invalid_payloads(op, api_version, **kwargs), examples, seed) if invalid else []
        except Exception as exc:  # noqa: BLE001 - a strategy that cannot generate is a finding, not a crash
            summary.failures.append(f"could not generate payloads: {exc}")
            continue
        for payload in good:
            _send_valid(ctx, op, plan, payload, summary)
            done += 1
            if progress:
                progress(op, done, total)
        if bad:
            base_name = None
            if plan.needs_base:
                base_name = ctx.fresh("inv")
                assert ctx.base_body is not None
                _create(ctx, base_name, ctx.base_body)
            for item in bad:
                _send_invalid(ctx, op, plan, item, base_name, summary)  # no base: a fresh name each time
                done += 1
                if progress:
                    progress(op, done, total)
            if base_name:
                _delete(ctx, base_name)
    violations = client.violations()
    return FuzzSummary(summaries, client.interactions, violations, seed, client.base_url)


# --------------------------------------------------------------------------- lifecycle
def _expected_refusal(rules: Any, operation_id: str, body: Any, api_version: str,
                      current: dict[str, Any] | None) -> tuple[int, str] | None:
    """What ARM must answer to this body given the live model, per rules.yaml (None = accept)."""
    found = rules.check_request(operation_id, body, api_version, current=current)
    return (found[0].status, found[0].code) if found else None


def _leaves(node: Any, keys: tuple[str, ...] = ()) -> Iterable[tuple[tuple[str, ...], Any]]:
    """Scalar leaves reached through objects only (arrays are compared by ARM's own rules)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, keys + (k,))
    elif not isinstance(node, list):
        yield keys, node


def _at(node: Any, keys: tuple[str, ...]) -> Any:
    for k in keys:
        if not isinstance(node, dict) or k not in node:
            return _MISSING
        node = node[k]
    return node


_MISSING = object()


def lifecycle_machine(client: Recorder, *, target: Target | None = None, api_version: str = COMPUTE_API,
                      spec: Any = None, rules: Any = None) -> type[RuleBasedStateMachine]:
    """A state machine class that drives one scale set at a time through its whole life.

    Rules: create, get, PATCH and PUT model updates, scale, singlePlacementGroup flips,
    manual upgrade, reimage, run commands, refused updates, delete. What each step must
    answer comes from the spec (statuses) and rules.yaml (refusals); after every step the
    checker runs over everything this scale set's life sent and received.
    """
    from contract.rules import load_rules
    from contract.specs import load_spec

    spec = spec or load_spec()
    rules = rules or load_rules()
    where = target or Target()
    payloads = payload_kwargs(where)
    names = iter(range(1, 1_000_000))

    class ScaleSetLifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.name = f"lc-{next(names)}"
            self.model: dict[str, Any] | None = None
            self.vms: list[str] = []
            self.run_commands: set[str] = set()
            self.start = len(client.interactions)

        # ---------------------------------------------------------------- helpers
        def url(self, suffix: str = "", api: str | None = None) -> str:
            return where.vmss(self.name, suffix, api=api or api_version)

        def expect(self, what: str, answer: Answer, statuses: Iterable[int], final: Answer | None = None) -> None:
            allowed = tuple(statuses)
            if answer.status not in allowed:
                raise ContractBroken(f"{what}: expected {allowed}, got {answer.status} {_error_code(answer) or ''}".strip())
            state = _lro_state(final)
            if state is not None and state.lower() != "succeeded":
                raise ContractBroken(f"{what}: long-running operation ended {state}")

        def refresh(self, what: str) -> dict[str, Any]:
            got = client.send("GET", self.url())
            self.expect(f"{what}: GET", got, (200,))
            assert isinstance(got.body, dict)
            state = str((got.body.get("properties") or {}).get("provisioningState", "Succeeded"))
            if state.lower() != "succeeded":
                raise ContractBroken(f"{what}: provisioningState {state} after the operation finished")
            self.model = got.body
            listed = client.send("GET", self.url("/virtualMachines"))
            self.expect(f"{what}: list VMs", listed, (200,))
            values = (listed.body or {}).get("value", []) if isinstance(listed.body, dict) else []
            self.vms = [str(v.get("instanceId", v.get("name", ""))) for v in values if isinstance(v, dict)]
            capacity = (got.body.get("sku") or {}).get("capacity")
            if capacity is not None and len(self.vms) != int(capacity):
                raise ContractBroken(f"{what}: {len(self.vms)} VMs listed, sku.capacity is {capacity}")
            return got.body

        def write(self, what: str, operation_id: str, method: str, url: str, body: Any) -> bool:
            """Send a write; expect the refusal rules.yaml predicts, or success. True if applied."""
            refusal = _expected_refusal(rules, operation_id, body, api_version, self.model)
            before = self.model
            answer, final = client.call(method, url, body)
            if refusal is not None:
                status, code = refusal
                if answer.status != status or _error_code(answer) != code:
                    raise ContractBroken(f"{what}: expected refusal {status} {code}, got {answer.status} {_error_code(answer)}")
                after = client.send("GET", self.url())
                if _stable(after.body) != _stable(before):
                    raise ContractBroken(f"{what}: the refused request changed the scale set")
                return False
            self.expect(what, answer, spec.operations[operation_id].statuses, final)
            return True

        def reflects(self, what: str, sent: dict[str, Any]) -> None:
            """Every non-secret scalar the client sent is what the model now says."""
            assert self.model is not None
            secrets = {tuple(p.lstrip("$.").split(".")) for p in spec.secret_paths(sent)}
            for keys, value in _leaves(sent):
                if keys in secrets or any(keys[: len(s)] == s for s in secrets):
                    continue
                seen = _at(self.model, keys)
                if seen is _MISSING or seen == value:
                    continue  # ARM may normalise or omit; a different value is the finding
                if isinstance(value, str) and isinstance(seen, str) and value.replace(" ", "").lower() == seen.replace(" ", "").lower():
                    continue
                raise ContractBroken(f"{what}: sent {'.'.join(keys)}={value!r}, the model says {seen!r}")

        # ---------------------------------------------------------------- rules
        @initialize()
        def resource_group(self) -> None:
            self.start = len(client.interactions)
            answer = client.send("PUT", f"{where.rg_path}?api-version={RESOURCES_API}", {"location": where.location})
            self.expect("resource group", answer, (200, 201))
            make_network(client, where)

        @precondition(lambda self: self.model is None)
        @rule(data=st.data())
        def create(self, data: st.DataObject) -> None:
            missing = client.send("GET", self.url())
            self.expect("GET before create", missing, (404,))
            body = data.draw(valid_payloads(CREATE, api_version, spec=spec, rules=rules, **payloads), label="create body")
            answer, final = client.call("PUT", self.url(), body)
            self.expect("create", answer, (201,), final)
            self.refresh("create")
            self.reflects("create", body)

        @precondition(lambda self: self.model is not None)
        @rule()
        def get(self) -> None:
            before = self.model
            self.refresh("get")
            if _stable(before) != _stable(self.model):
                raise ContractBroken("get: the model changed without a write")

        @precondition(lambda self: self.model is not None)
        @rule(data=st.data())
        def patch(self, data: st.DataObject) -> None:
            body = data.draw(valid_payloads(UPDATE, api_version, current=self.model, spec=spec, rules=rules, **payloads), label="PATCH body")
            if self.write("PATCH", UPDATE, "PATCH", self.url(), body):
                self.refresh("PATCH")
                self.reflects("PATCH", body)

        @precondition(lambda self: self.model is not None)
        @rule(data=st.data())
        def put_update(self, data: st.DataObject) -> None:
            body = data.draw(valid_payloads(CREATE, api_version, current=self.model, spec=spec, rules=rules, **payloads), label="PUT body")
            if self.write("PUT update", CREATE, "PUT", self.url(), body):
                self.refresh("PUT update")
                self.reflects("PUT update", body)

        @precondition(lambda self: self.model is not None)
        @rule(capacity=st.integers(0, 3))
        def scale(self, capacity: int) -> None:
            if self.write("scale", UPDATE, "PATCH", self.url(), {"sku": {"capacity": capacity}}):
                self.refresh("scale")

        @precondition(lambda self: self.model is not None)
        @rule(value=st.booleans())
        def single_placement_group(self, value: bool) -> None:
            body = {"properties": {"singlePlacementGroup": value}}
            if self.write(f"singlePlacementGroup -> {value}", UPDATE, "PATCH", self.url(), body):
                self.refresh("singlePlacementGroup")
                self.reflects("singlePlacementGroup", body)

        @precondition(lambda self: self.model is not None and bool(self.vms))
        @rule(data=st.data())
        def manual_upgrade(self, data: st.DataObject) -> None:
            body = data.draw(valid_payloads(MANUAL_UPGRADE, api_version, instance_ids=self.vms, spec=spec, rules=rules))
            if self.write("manual upgrade", MANUAL_UPGRADE, "POST", self.url("/manualupgrade"), body):
                self.refresh("manual upgrade")
                self.latest_model("manual upgrade", body.get("instanceIds") or [])

        @precondition(lambda self: self.model is not None and bool(self.vms))
        @rule(data=st.data())
        def reimage(self, data: st.DataObject) -> None:
            body = data.draw(valid_payloads(REIMAGE, api_version, instance_ids=self.vms, spec=spec, rules=rules))
            if self.write("reimage", REIMAGE, "POST", self.url("/reimage"), body):
                self.refresh("reimage")
                self.latest_model("reimage", body.get("instanceIds") or self.vms)

        def latest_model(self, what: str, instance_ids: Iterable[str]) -> None:
            for instance in instance_ids:
                vm = client.send("GET", self.url(f"/virtualMachines/{instance}"))
                self.expect(f"{what}: VM {instance}", vm, (200,))
                applied = ((vm.body or {}).get("properties") or {}).get("latestModelApplied") if isinstance(vm.body, dict) else None
                if applied is False:
                    raise ContractBroken(f"{what}: VM {instance} still has latestModelApplied false")

        @precondition(lambda self: self.model is not None and bool(self.vms))
        @rule(data=st.data(), name=st.sampled_from(["hello", "inventory", "patch-check"]))
        def run_command(self, data: st.DataObject, name: str) -> None:
            instance = data.draw(st.sampled_from(self.vms), label="instance")
            body = data.draw(valid_payloads(RUN_COMMAND, api_version, spec=spec, rules=rules), label="run command")
            key = f"{instance}/{name}"
            url = self.url(f"/virtualMachines/{instance}/runCommands/{name}")
            answer, final = client.call("PUT", url, body)
            self.expect("run command", answer, (200,) if key in self.run_commands else (201,), final)
            self.run_commands.add(key)
            got = client.send("GET", url)
            self.expect("run command GET", got, (200,))

        @precondition(lambda self: self.model is not None)
        @rule(data=st.data())
        def refused_update(self, data: st.DataObject) -> None:
            bad = data.draw(invalid_payloads(UPDATE, api_version, current=self.model, spec=spec, rules=rules), label="invalid PATCH")
            url = self.url() if not bad.api_version else _with_api_version(self.url(), bad.api_version)
            before = self.model
            answer = client.send("PATCH", url, bad.payload)
            if answer.status != bad.status or _error_code(answer) != bad.code:
                raise ContractBroken(f"refused update ({bad.rule} at {bad.path}): expected {bad.status} {bad.code}, "
                                     f"got {answer.status} {_error_code(answer)}")
            self.refresh("after refusal")
            if _stable(before) != _stable(self.model):
                raise ContractBroken(f"refused update ({bad.rule}) changed the scale set")

        @precondition(lambda self: self.model is not None)
        @rule()
        def delete(self) -> None:
            answer, final = client.call("DELETE", self.url())
            self.expect("delete", answer, spec.operations["VirtualMachineScaleSets_Delete"].statuses, final)
            gone = client.send("GET", self.url())
            self.expect("GET after delete", gone, (404,))
            self.model, self.vms, self.run_commands = None, [], set()
            self.name = f"lc-{next(names)}"

        @invariant()
        def contract_holds(self) -> None:
            found = client.violations(self.start)
            if found:
                v = found[0]
                raise ContractBroken(f"{len(found)} contract violation(s); first: {v.rule} on {v.method} {v.uri} "
                                     f"({v.status}): {v.message}")

        def teardown(self) -> None:
            if self.model is not None:
                client.call("DELETE", self.url())

    ScaleSetLifecycle.__name__ = "ScaleSetLifecycle"
    return ScaleSetLifecycle


@dataclass
class LifecycleResult:
    """What a recorded or replayed lifecycle run sent, saw and broke."""

    interactions: list[Interaction]
    violations: list[Any]
    mismatches: list[str] = field(default_factory=list)  # replay: answers that differ from the recording
    steps: int = 0
    cassette: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.violations and not self.mismatches


def record_lifecycle(
    base_url: str,
    *,
    ca_path: str | None = None,
    token: str | None = None,
    cassette: str | os.PathLike[str] | None = None,
    seed: int = 0,
    examples: int = 1,
    steps: int = 12,
    target: Target | None = None,
    api_version: str = COMPUTE_API,
    shrink: bool = False,
) -> LifecycleResult:
    """Run the lifecycle machine (hypothesis generates the steps) and optionally save what
    it saw as a cassette with secrets scrubbed. Raises the machine's failure (shrunk only
    with `shrink`: every shrink step replays requests against the live endpoint)."""
    from hypothesis import seed as hseed

    client = Recorder(base_url, ca_path, token)
    machine = hseed(seed)(lifecycle_machine(client, target=target, api_version=api_version))
    run_state_machine_as_test(machine, settings=settings(
        max_examples=examples, stateful_step_count=steps, database=None, deadline=None,
        phases=["generate", "shrink"] if shrink else ["generate"],
        # each step is an HTTP round trip to a live server (too_slow) and draws whole scale set bodies
        # (large_base_example); filter_too_much and data_too_large stay on (a strategy that stopped producing data)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example]))
    saved = None
    if cassette is not None:
        saved = Path(cassette)
        scrubbed = for_disk(client.interactions, client.base_url)
        save_cassette(Cassette(scrubbed, saved, {"generator": "vmss-contract lifecycle", "seed": seed}), saved)
    return LifecycleResult(client.interactions, client.violations(), steps=steps, cassette=saved)


def for_disk(interactions: Iterable[Interaction], base_url: str) -> list[Interaction]:
    """What a cassette may hold: URLs moved to the canonical ARM host and the recording
    proxy's own sanitizing (secrets scrubbed, ids pseudonymised), so a cassette this
    client saved and one the proxy wrote replay the same way."""
    from contract.rewrite import CANONICAL_BASE, canonical_uri, rewrite_urls
    from contract.sanitize import Sanitizer

    sanitizer = Sanitizer()
    out = []
    for i in interactions:
        request = Request(i.request.method, canonical_uri(i.request.uri), i.request.body, i.request.headers)
        response = Response(i.response.status, i.response.reason,
                            rewrite_urls(i.response.headers, base_url, CANONICAL_BASE),
                            rewrite_urls(i.response.body, base_url, CANONICAL_BASE) if i.response.body else i.response.body)
        out.append(sanitizer.interaction(Interaction(request, response)))
    return out


def _is_poll(spec: Any, request: Request) -> bool:
    parts = urlsplit(request.uri)
    if "monitor=true" in parts.query.lower():
        return True
    found = spec.match(request.method, parts.path)
    return found is not None and found.operation.operation_id in _POLLS


# the status and result monitors a client follows (Compute's, Network's, ARM's): never re-sent by replay
_POLLS = frozenset({"OperationStatus_Get", "NetworkOperationStatus_Get", "NetworkOperationResults_Get",
                    "OperationResults_Get", "DeploymentOperationStatus_Get"})


def replay_lifecycle(
    base_url: str,
    cassette: str | os.PathLike[str] | Cassette,
    *,
    ca_path: str | None = None,
    token: str | None = None,
) -> LifecycleResult:
    """Re-send a recorded lifecycle's requests, in order, and compare every answer.

    Nothing is generated: the requests are the cassette's own (its explicit examples),
    polls are left to the client's LRO following, so the run is the same whatever the
    hypothesis version or seed. The checker then judges what this run saw.
    """
    from contract.specs import load_spec

    spec = load_spec()
    recorded = cassette if isinstance(cassette, Cassette) else load_cassette(cassette)
    client = Recorder(base_url, ca_path, token)
    mismatches: list[str] = []
    sent = 0
    index, interactions = 0, recorded.interactions
    while index < len(interactions):
        interaction = interactions[index]
        request = interaction.request
        if _is_poll(spec, request):
            index += 1
            continue
        parts = urlsplit(request.uri)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        before = client.sent
        answer, _ = client.call(request.method, path, request.json())
        sent += 1
        if answer.status != interaction.response.status:
            mismatches.append(f"#{index} {request.method} {parts.path}: recorded {interaction.response.status}, "
                              f"replayed {answer.status} {_error_code(answer) or ''}".strip())
        # The client's own LRO following (polls, and the final GET of a PUT or POST) stood for
        # the recorded exchanges after this one: step over as many as it sent.
        index += max(1, client.sent - before)
    return LifecycleResult(client.interactions, client.violations(), mismatches, steps=sent)
