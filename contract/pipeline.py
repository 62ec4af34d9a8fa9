"""The whole loop behind `vmss-contract run`: record, replay offline, check, report.

    upstream (embedded emulator | Azure) <- proxy <- driver     => cassettes/*.yaml
    replay server (offline)              <- driver (same steps) => same statuses?
    checker over the cassettes                                  => report.json / junit.xml / report.html

The driver is `contract.arm_client.ArmClient` (azure-core's pipeline and ARM polling, as
the SDKs send), playing the steps of `contract.journeys`. Each request it sends is fixed
before recording starts (fuzzed payloads are drawn once, up front), so the replay phase
sends exactly the recorded requests in the recorded order.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from contract.arm_client import ArmClient, bearer_token
from contract.journeys import plan
from contract.journeys.step import RESOURCES_API, Step, Target

Progress = Callable[[str], None]

@dataclass
class StepResult:
    step: Step
    status: int
    final: str | None  # terminal LRO status, when followed
    error_code: str | None
    ok: bool
    statuses: list[int] = field(default_factory=list)  # every answer, polls included (for replay comparison)



# --------------------------------------------------------------------------- running steps


def run_steps(client: ArmClient, steps: Iterable[Step], progress: Progress | None = None,
              into: list[StepResult] | None = None) -> list[StepResult]:
    """Send each step (following long-running ones); `result.step` lists what was actually sent.
    Results are appended to `into` as they come, so a failure midway still says what was done."""
    results = into if into is not None else []
    queue = list(steps)
    while queue:
        step = queue.pop(0)
        if progress:
            progress(step.name)
        before = client.sent
        answer = client.send(step.method, step.path, step.body)
        statuses = [answer.status]
        final_state = None
        if step.follow and answer.status < 300:
            final = client.wait(answer)
            if final is not None:
                statuses.append(final.status)
                final_state = final.lro_state
        code = answer.body["error"].get("code") if isinstance(answer.body, dict) and isinstance(answer.body.get("error"), dict) else None
        ok = (answer.status in step.expect and (final_state is None or final_state.lower() == "succeeded")
              and (step.expect_code is None or code == step.expect_code))
        result = StepResult(step, answer.status, final_state, code, ok, statuses)
        result.statuses.insert(0, client.sent - before)  # request count first: replay must match it too
        results.append(result)
        if step.expand is not None and 200 <= answer.status < 300:
            queue[0:0] = step.expand(answer)
    return results


# --------------------------------------------------------------------------- the pipeline


@dataclass
class Phase:
    name: str
    steps: list[Step]
    cassette: Path
    emulator: dict[str, Any] = field(default_factory=dict)  # a dedicated emulator's options (see Journey)
    recorded: list[StepResult] = field(default_factory=list)
    replayed: list[StepResult] = field(default_factory=list)
    record_seconds: float = 0.0
    replay_seconds: float = 0.0

    @property
    def replay_matches(self) -> bool:
        return [(r.status, r.statuses) for r in self.recorded] == [(r.status, r.statuses) for r in self.replayed]


@dataclass
class RunResult:
    out: Path
    phases: list[Phase]
    report: Any
    files: dict[str, Path]
    upstream: str
    seconds: float

    @property
    def unexpected(self) -> list[StepResult]:
        return [r for p in self.phases for r in p.recorded if not r.ok]

    @property
    def replay_ok(self) -> bool:
        return all(p.replay_matches for p in self.phases)

    @property
    def holds(self) -> bool:
        return not list(self.report.violations) and not self.unexpected and self.replay_ok


def _start(factory: Any, tls_dir: Path) -> Any:
    from contract.servers import BackgroundServer

    return BackgroundServer(factory, tls=True, tls_dir=tls_dir).start()


def run_pipeline(
    out: str | Path,
    *,
    upstream: str | None = None,
    upstream_ca: str | None = None,
    target: Target | None = None,
    allow_writes: bool = False,
    examples: int = 3,
    seed: int = 0,
    lro_polls: int = 1,
    progress: Callable[[str, str], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> RunResult:
    """Record every journey through the proxy, replay it offline, check it, write the reports."""
    started = time.perf_counter()
    out = Path(out)
    target = target or Target()
    local = upstream is None
    token = bearer_token(local or is_loopback(str(upstream)))
    if not local:
        from contract.upstream import unreachable_cause

        cause = unreachable_cause(str(upstream), upstream_ca, token)
        if cause:
            raise RuntimeError(f"cannot record from {upstream}: {cause}")
    cassette_dir = out / "cassettes"
    cassette_dir.mkdir(parents=True, exist_ok=True)
    phases = [Phase(j.name, j.steps, cassette_dir / f"{j.name}.yaml", j.emulator)
              for j in plan(target, local, allow_writes, examples, seed)]
    if on_plan:
        on_plan(2 * sum(len(p.steps) for p in phases))
    with tempfile.TemporaryDirectory(prefix="vmss-contract-tls-") as tls:
        recording = _Recording(Path(tls), target, token, local, allow_writes, lro_polls, progress, on_plan, phases)
        try:
            for phase in phases:
                recording.record(phase, *(recording.upstream_for(phase) if local else (str(upstream), upstream_ca)))
        finally:
            recording.stop_emulators()  # from here on nothing answers but the cassettes
        for phase in phases:
            _replay(phase, Path(tls), token, progress)
    report, files = write_reports(out, [p.cassette for p in phases])
    return RunResult(out, phases, report, files, "emulator" if local else str(upstream), time.perf_counter() - started)


@dataclass
class _Recording:
    """The record half of a run: embedded emulators (one shared, plus one per special set of
    options a journey asks for), a recording proxy per journey, cleanup after each."""

    tls_dir: Path
    target: Target
    token: str
    local: bool
    allow_writes: bool
    lro_polls: int
    progress: Callable[[str, str], None] | None
    on_plan: Callable[[int], None] | None
    phases: list[Phase]
    emulators: dict[str, Any] = field(default_factory=dict)
    group_created: bool = False

    def upstream_for(self, phase: Phase) -> tuple[str, str]:
        from contract.emulator import create_app as emulator_app

        options = {"lro_polls": self.lro_polls, "network_integrity": True, **phase.emulator}
        key = repr(sorted(options.items()))
        if key not in self.emulators:
            self.emulators[key] = _start(lambda: emulator_app(**options), self.tls_dir)
        server = self.emulators[key]
        return server.url, str(server.ca_path)

    def stop_emulators(self) -> None:
        for server in self.emulators.values():
            server.stop()

    def record(self, phase: Phase, upstream: str, upstream_ca: str | None) -> None:
        from contract import proxy

        if phase.cassette.exists():
            phase.cassette.unlink()
        recorder = _start(lambda: proxy.create_app(
            str(phase.cassette), upstream, upstream_ca=upstream_ca, record_mode="all",
            read_only=not (self.local or self.allow_writes),
            allow_resource_groups=() if self.local else (self.target.resource_group,),
        ), self.tls_dir)
        clock = time.perf_counter()
        try:
            client = ArmClient(recorder.url, str(recorder.ca_path), self.token)
            tag = _tag(self.progress, f"record {phase.name}")
            planned = len(phase.steps)
            try:
                run_steps(client, phase.steps, tag, into=phase.recorded)
            finally:
                # What was sent, expansions included and without them: replay sends exactly this.
                phase.steps = [replace(r.step, expand=None) for r in phase.recorded]
                if len(phase.steps) != planned and self.on_plan:  # steps an answer led to: the bar counts them too
                    self.on_plan(2 * sum(len(p.steps) for p in self.phases))
                self._clean_up(client, phase, tag)
        finally:
            recorder.stop()
            phase.record_seconds = time.perf_counter() - clock

    def _clean_up(self, client: ArmClient, phase: Phase, tag: Progress | None) -> None:
        """Whatever happened, leave nothing behind; the cleanup is recorded and replayed too."""
        self.group_created = self.group_created or any(
            r.step.group == "setup" and r.step.method == "PUT" and r.status == 201 for r in phase.recorded)
        last = phase is self.phases[-1]
        cleanup = cleanup_steps(self.target, phase.steps, phase.recorded,
                                delete_group=self.group_created and last and not self.local)
        phase.steps.extend(cleanup)
        if cleanup and self.on_plan:
            self.on_plan(2 * sum(len(p.steps) for p in self.phases))
        run_steps(client, cleanup, tag, into=phase.recorded)


def _replay(phase: Phase, tls_dir: Path, token: str, progress: Callable[[str, str], None] | None) -> None:
    """Send the journey again to a replay server holding only its cassette: nothing else answers."""
    from contract import replay

    clock = time.perf_counter()
    server = _start(lambda: replay.create_app([str(phase.cassette)], fallback="error"), tls_dir)
    try:
        client = ArmClient(server.url, str(server.ca_path), token)
        phase.replayed = run_steps(client, phase.steps, _tag(progress, f"replay {phase.name}"))
    finally:
        server.stop()
        phase.replay_seconds = time.perf_counter() - clock


def is_loopback(url: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def cleanup_steps(target: Target, steps: list[Step], results: list[StepResult], delete_group: bool = False) -> list[Step]:
    """DELETEs for every scale set these steps created and did not delete, and the resource
    group when asked (on a real subscription, after the last phase, if this run created it)."""
    alive: dict[str, str] = {}
    for step, result in zip(steps, results):
        path = step.path.split("?", 1)[0]
        if "/virtualMachineScaleSets/" not in path or path.count("/") != 8:
            continue
        if step.method == "PUT" and 200 <= result.status < 300:
            alive[path.lower()] = step.path
        elif step.method == "DELETE" and 200 <= result.status < 300:
            alive.pop(path.lower(), None)
    steps_out = [Step(f"cleanup {p.split('/')[-1].split('?')[0]}", "DELETE", p, expect=(200, 202, 204),
                      group="cleanup", follow=True) for p in alive.values()]
    if delete_group:
        steps_out.append(Step("cleanup resource group", "DELETE", f"{target.rg_path}?api-version={RESOURCES_API}",
                              expect=(200, 202), group="cleanup", follow=True))
    return steps_out


def _tag(progress: Callable[[str, str], None] | None, phase: str) -> Progress | None:
    if progress is None:
        return None
    return lambda step: progress(phase, step)


def write_reports(out: Path, cassettes: list[Path]) -> tuple[Any, dict[str, Path]]:
    """Check the cassettes and write report.json, junit.xml and report.html beside them."""
    from contract import check, report as render

    result = check([str(c) for c in cassettes])
    files = {"json": out / "report.json", "junit": out / "junit.xml", "html": out / "report.html"}
    files["json"].write_text(render.render_json(result), encoding="utf-8")
    files["junit"].write_text(render.render_junit(result), encoding="utf-8")
    files["html"].write_text(_render_html(render, result, cassettes), encoding="utf-8")
    return result, files


def _render_html(render: Any, result: Any, cassettes: list[Path]) -> str:
    if hasattr(render, "render_html"):
        try:
            return str(render.render_html(result, [str(c) for c in cassettes]))
        except TypeError:  # a delegate that takes only the report
            pass
    from contract.report_html import render_html

    return render_html(result, [str(c) for c in cassettes])

