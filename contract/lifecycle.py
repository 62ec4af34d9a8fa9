"""Driving a live endpoint with generated traffic: the fuzz campaign and the lifecycle machine.

Both talk plain HTTP (the `ArmClient` of `contract.pipeline`: stdlib, bearer token, CA
bundle, LRO polling that honours `retry-after-ms`) so they work against anything that
speaks ARM: the emulator, the replay server, or Azure through the recording proxy.
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
    Bundle,  # noqa: F401 - re-exported for users composing machines
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contract.cassette import Cassette, Interaction, Request, Response, load_cassette, save_cassette
from contract.pipeline import (
    COMPUTE_API,
    LOCAL_TOKEN,
    RESOURCES_API,
    Answer,
    ArmClient,
    Target,
)
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
TERMINAL = ("succeeded", "failed", "canceled")


class ContractBroken(AssertionError):
    """The endpoint answered something the contract does not allow."""


# --------------------------------------------------------------------------- the client
class Recorder(ArmClient):
    """An `ArmClient` that keeps every exchange (polls included) as an `Interaction`."""

    def __init__(self, base_url: str, ca_path: str | None = None, token: str | None = None,
                 timeout: float = 60) -> None:
        super().__init__(base_url, ca_path, token or os.environ.get("VMSS_CONTRACT_TOKEN", LOCAL_TOKEN), timeout)
        self.interactions: list[Interaction] = []

    def send(self, method: str, path_or_url: str, body: Any = None) -> Answer:
        answer = super().send(method, path_or_url, body)
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        request_headers = {"Accept": ["application/json"]}
        if body is not None:
            request_headers["Content-Type"] = ["application/json"]
        self.interactions.append(Interaction(
            Request(method, url, json.dumps(body) if body is not None else None, request_headers),
            Response(answer.status, "", {k: [v] for k, v in answer.headers.items()},
                     json.dumps(answer.body) if answer.body is not None else None),
        ))
        return answer

    def call(self, method: str, path: str, body: Any = None) -> tuple[Answer, Answer | None]:
        """Send, and follow a long-running answer to its end; returns (first, final poll)."""
        answer = self.send(method, path, body)
        final = self.wait(answer) if answer.status < 300 else None
        return answer, final

    def violations(self, since: int = 0) -> list[Any]:
        """Contract violations in what this client saw (checked as one cassette, in order)."""
        from contract.checker import check

        report = check(self.interactions)
        return [v for v in report.violations if v.interaction >= since]


def _lro_state(final: Answer | None) -> str | None:
    if final is None or not isinstance(final.body, dict) or "status" not in final.body:
        return None
    return str(final.body["status"])


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
    @settings(max_examples=count, database=None, deadline=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))
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

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.operations)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write everything sent and received as a cassette (the checker and replay read it)."""
        target = Path(path)
        save_cassette(Cassette(list(self.interactions), target, {"generator": "vmss-contract fuzz", "seed": self.seed}), target)
        return target


Progress = Callable[[str, int, int], None]  # operation id, done, total


@dataclass
class _Context:
    client: Recorder
    target: Target
    seed: int
    api_version: str
    base_body: dict[str, Any] | None = None
    base_model: dict[str, Any] | None = None
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
        body = draw_examples(valid_payloads(CREATE, ctx.api_version), 1, ctx.seed)[0]
        body = copy.deepcopy(body)
        body["sku"]["capacity"] = 2
        ctx.base_body = body
    name = ctx.fresh("base")
    model = _create(ctx, name, ctx.base_body)
    ctx.base_model = model
    _delete(ctx, name)
    return ctx.base_body, model


@dataclass
class _OpPlan:
    """How to aim one operation's payloads at the endpoint."""

    needs_base: bool
    url: Callable[[_Context, str], str]  # (context, base scale set name) -> request path
    check_url: Callable[[_Context, str], str]  # what to GET to see the resource unchanged
    fresh_target: bool = False  # the request creates a new resource (a miss afterwards = unchanged)


def _rc_name(ctx: _Context) -> str:
    return f"rc{ctx.counter}"


PLANS: dict[str, _OpPlan] = {
    CREATE: _OpPlan(False, lambda c, n: c.vmss(n), lambda c, n: c.vmss(n), fresh_target=True),
    UPDATE: _OpPlan(True, lambda c, n: c.vmss(n), lambda c, n: c.vmss(n)),
    RUN_COMMAND: _OpPlan(True, lambda c, n: c.vmss(n, f"/virtualMachines/0/runCommands/{_rc_name(c)}"),
                         lambda c, n: c.vmss(n, f"/virtualMachines/0/runCommands/{_rc_name(c)}"), fresh_target=True),
    MANUAL_UPGRADE: _OpPlan(True, lambda c, n: c.vmss(n, "/manualupgrade"), lambda c, n: c.vmss(n)),
    REIMAGE: _OpPlan(True, lambda c, n: c.vmss(n, "/reimage"), lambda c, n: c.vmss(n)),
}


def _send_valid(ctx: _Context, op: str, plan: _OpPlan, payload: Any, summary: OperationSummary) -> None:
    base_name = ctx.fresh("v")
    if plan.needs_base:
        assert ctx.base_body is not None
        _create(ctx, base_name, ctx.base_body)
    url = plan.url(ctx, base_name)
    summary.valid_sent += 1
    answer, final = ctx.client.call(ctx_method(op), url, payload)
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
    answer = ctx.client.send(ctx_method(op), url, bad.payload)
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


def ctx_method(operation_id: str) -> str:
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
        if op == UPDATE:
            kwargs["current"] = current
        try:
            good = draw_examples(valid_payloads(op, api_version, **kwargs), examples, seed)
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
                _send_invalid(ctx, op, plan, item, None if plan.fresh_target and not plan.needs_base else base_name, summary)
                done += 1
                if progress:
                    progress(op, done, total)
            if base_name:
                _delete(ctx, base_name)
    violations = client.violations()
    return FuzzSummary(summaries, client.interactions, violations, seed)
