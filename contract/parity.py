"""How faithful is the emulator for *this* traffic? (`vmss-contract parity`)

A recording of real Azure traffic is replayed, request by request and in order,
against a fresh in-process emulator, and each emulated answer is set beside the
recorded one: does the status agree, and how alike are the two bodies' member
sets (Jaccard of their JSON member paths, array indices folded)?

What makes a replay meaningful rather than a string of 404s:
- recorded LRO polls are skipped; after a write the emulator's *own* status URL is
  followed until it is terminal, as a client would;
- resource groups the recording assumes (it never created them) are created first;
- instance ids the emulator assigns are mapped onto the recorded ones (learnt from
  the first VM list both sides answer), in later paths and `instanceIds` bodies;
- a template deployment the emulator does not serve is stood in for by PUTting the
  template's scale sets directly ("seeded"), so the scale-set traffic after it has
  something to act on. Seeds are listed, never scored.

Values are never compared (ids, times and GUIDs always differ); only which members
an answer has.
"""
from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from contract.cassette import Cassette, Interaction, load_cassette
from contract.specs import Spec, load_spec

MANAGEMENT_HOST = "management.azure.com"
SCALE_SET_PREFIX = "VirtualMachineScaleSet"  # operationIds of the scale set, its VMs, run commands, upgrades
TERMINAL = frozenset({"succeeded", "failed", "canceled"})
MAX_POLLS = 50
DEFAULT_LOCATION = "westus"
_GROUP = re.compile(r"^/subscriptions/([^/]+)/resourcegroups/([^/]+)", re.IGNORECASE)
_VM_SEGMENT = re.compile(r"(/virtualmachines/)([^/?]+)", re.IGNORECASE)
_DEPLOYMENT = re.compile(r"/providers/microsoft\.resources/deployments/[^/]+$", re.IGNORECASE)
# Operation-status resources by shape, for recordings whose sanitizer renamed the resource in request
# paths but not in the LRO headers (the CLI's `mock-deployment`).
_STATUS_SHAPE = re.compile(r"/operationstatuses/[^/]+$|/providers/[^/]+/locations/[^/]+/operations/[^/]+$|"
                           r"/operationresults/[^/]+$", re.IGNORECASE)
_UNSERVED = frozenset({"InvalidResourceType", "NoRegisteredProviderFound", "NotFound"})
_AUTH = {"Authorization": "Bearer parity", "Accept": "application/json"}


# ----------------------------------------------------------------------------- member sets

def member_paths(document: Any) -> set[str]:
    """Every member path of a JSON document, array indices folded (`a.b[].c`), and so are the keys
    of maps keyed by ARM id (`userAssignedIdentities.{id}.principalId`).

    Empty or non-JSON bodies have no members, so two empty answers agree fully.
    """
    paths: set[str] = set()

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                key = "{id}" if str(key).startswith("/subscriptions/") else key  # map keyed by ARM id
                path = f"{prefix}.{key}" if prefix else str(key)
                paths.add(path)
                walk(value, path)
        elif isinstance(node, list):
            for item in node:
                walk(item, f"{prefix}[]")

    walk(document, "")
    return paths


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# ----------------------------------------------------------------------------- results

@dataclass
class OperationParity:
    """One recorded request, answered by Azure (recorded) and by the emulator."""

    index: int
    method: str
    path: str
    operation: str  # operationId from the spec, or a label for traffic outside it
    recorded_status: int
    emulated_status: int
    similarity: float
    missing: list[str] = field(default_factory=list)  # members Azure answered and the emulator did not
    extra: list[str] = field(default_factory=list)  # members only the emulator answered
    error: str | None = None  # the emulator's error code, when it refused

    @property
    def status_agrees(self) -> bool:
        return self.recorded_status == self.emulated_status

    @property
    def scale_set(self) -> bool:
        return self.operation.startswith(SCALE_SET_PREFIX)


@dataclass
class CassetteParity:
    path: str
    operations: list[OperationParity]
    skipped_polls: int = 0
    skipped_other_hosts: int = 0
    created_groups: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)  # "PUT <id> -> <status>" for template stand-ins


@dataclass(frozen=True)
class Summary:
    operations: int
    status_agreement: float  # 0..1
    similarity: float  # mean Jaccard, 0..1

    @staticmethod
    def of(ops: list[OperationParity]) -> Summary:
        if not ops:
            return Summary(0, 1.0, 1.0)
        return Summary(len(ops), sum(o.status_agrees for o in ops) / len(ops),
                       sum(o.similarity for o in ops) / len(ops))


@dataclass
class ParityReport:
    cassettes: list[CassetteParity]

    def operations(self, scale_set_only: bool = False) -> list[OperationParity]:
        return [o for c in self.cassettes for o in c.operations if o.scale_set or not scale_set_only]

    @property
    def scale_set(self) -> Summary:
        return Summary.of(self.operations(scale_set_only=True))

    @property
    def overall(self) -> Summary:
        return Summary.of(self.operations())

    def by_operation(self) -> dict[str, Summary]:
        groups: dict[str, list[OperationParity]] = {}
        for op in self.operations():
            groups.setdefault(op.operation, []).append(op)
        return {name: Summary.of(ops) for name, ops in sorted(groups.items())}

    def to_dict(self) -> dict[str, Any]:
        def ops(c: CassetteParity) -> list[dict[str, Any]]:
            return [{**asdict(o), "status_agrees": o.status_agrees, "scale_set": o.scale_set} for o in c.operations]

        return {
            "scale_set": asdict(self.scale_set),
            "overall": asdict(self.overall),
            "by_operation": {k: asdict(v) for k, v in self.by_operation().items()},
            "cassettes": [{**{k: v for k, v in asdict(c).items() if k != "operations"}, "operations": ops(c)}
                          for c in self.cassettes],
        }


# ----------------------------------------------------------------------------- the emulator as a client sees it

@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            code = self.body["error"].get("code")
            return str(code) if code is not None else None
        return None


class _Client:
    """Plain HTTP/1.1 with keep-alive to the in-process emulator."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.base = base_url.rstrip("/")
        self._conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)

    def send(self, method: str, target: str, body: bytes | None = None) -> _Answer:
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(_AUTH)
        if body:
            headers["Content-Type"] = "application/json"
        self._conn.request(method, target, body=body, headers=headers)
        response = self._conn.getresponse()
        raw = response.read()
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        return _Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)

    def settle(self, answer: _Answer) -> None:
        """Follow the emulator's own LRO headers to the end, as azure-core's poller would."""
        status_url = answer.headers.get("azure-asyncoperation")
        location = answer.headers.get("location")
        if status_url:
            for _ in range(MAX_POLLS):
                poll = self.send("GET", status_url)
                state = poll.body.get("status") if isinstance(poll.body, dict) else None
                if poll.status >= 400 or str(state).lower() in TERMINAL:
                    break
        if location:
            for _ in range(MAX_POLLS):
                if self.send("GET", location).status != 202:
                    break

    def close(self) -> None:
        self._conn.close()


# ----------------------------------------------------------------------------- the replay

def _path_and_query(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.path, parts.query


def _poll_paths(interactions: Iterable[Interaction]) -> Iterator[tuple[int, set[str]]]:
    """For each interaction, the LRO poll paths announced by the answers before it."""
    seen: set[str] = set()
    for index, interaction in enumerate(interactions):
        yield index, set(seen)
        own = urlsplit(interaction.request.uri).path.lower()
        for name in ("Azure-AsyncOperation", "Location", "Operation-Location"):
            url = interaction.response.header(name)
            if url and urlsplit(url).path.lower() != own.rstrip("/"):
                seen.add(urlsplit(url).path.lower())


def _label(spec: Spec, method: str, path: str) -> str:
    match = spec.match(method, path)
    if match is not None:
        return match.operation.operation_id
    segments = [s for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    if "providers" in lowered:
        at = len(lowered) - 1 - lowered[::-1].index("providers")
        kind = "/".join(segments[at + 1:at + 3:1] + segments[at + 4::2])
        return f"{method} {kind}"
    if len(segments) >= 4 and lowered[2] == "resourcegroups":
        return f"{method} resourceGroups"
    return f"{method} {'/'.join(segments[:3])}"


class _Mapper:
    """Recorded instance ids -> the ids the emulator gave the same instances."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}

    def learn(self, recorded: Any, emulated: Any) -> None:
        theirs = _instance_ids(recorded)
        ours = _instance_ids(emulated)
        for a, b in zip(theirs, ours, strict=False):
            self.ids.setdefault(a, b)

    def path(self, path: str) -> str:
        if not self.ids:
            return path
        return _VM_SEGMENT.sub(lambda m: m.group(1) + self.ids.get(m.group(2), m.group(2)), path)

    def body(self, body: Any) -> Any:
        if self.ids and isinstance(body, dict) and isinstance(body.get("instanceIds"), list):
            return {**body, "instanceIds": [self.ids.get(i, i) if isinstance(i, str) else i
                                            for i in body["instanceIds"]]}
        return body


def _instance_ids(body: Any) -> list[str]:
    items = body.get("value") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return []
    return [str(v["instanceId"]) for v in items if isinstance(v, dict) and v.get("instanceId") is not None]


def _groups_to_create(cassette: Cassette) -> dict[tuple[str, str], dict[str, Any]]:
    """(subscription, group) -> PUT body, for groups the recording uses without creating them first.

    The body is the group as the recording shows it (its own GET answer: location and tags);
    failing that, the location of the first resource answered in it.
    """
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    decided: set[tuple[str, str]] = set()  # created by the recording itself, or seen as a group answer
    for interaction in cassette.interactions:
        if urlsplit(interaction.request.uri).hostname != MANAGEMENT_HOST:
            continue
        path = urlsplit(interaction.request.uri).path
        match = _GROUP.match(path)
        if match is None:
            continue
        key = (match.group(1).lower(), match.group(2).lower())
        is_group = path.rstrip("/").lower() == match.group(0).lower()
        if key in decided:
            continue
        if is_group and interaction.request.method == "PUT":
            decided.add(key)
            continue
        body = interaction.response.json()
        body = body if isinstance(body, dict) else {}
        location = body.get("location") if isinstance(body.get("location"), str) else None
        entry = groups.setdefault((match.group(1), match.group(2)), {"location": DEFAULT_LOCATION})
        if is_group and interaction.response.status == 200:
            entry.update({"location": location or DEFAULT_LOCATION, "tags": body.get("tags") or {}})
            decided.add(key)
        elif location and entry["location"] == DEFAULT_LOCATION:
            entry["location"] = location
    return groups


# ----------------------------------------------------------------------------- template stand-ins

def _unserved_deployment(answer: Any) -> bool:
    """The emulator cannot run this deployment: it serves no deployments (404), or the template holds a
    resource type it does not serve (400 InvalidTemplateDeployment whose inner errors all say so)."""
    if answer.status == 404:
        return answer.error_code in _UNSERVED
    if answer.status != 400 or answer.error_code != "InvalidTemplateDeployment" or not isinstance(answer.body, dict):
        return False
    details = (answer.body.get("error") or {}).get("details") or []
    return bool(details) and all(isinstance(d, dict) and d.get("code") in _UNSERVED for d in details)


def _seed_scale_sets(client: _Client, path: str, body: Any) -> list[str]:
    """PUT each scale set of a deployment's template to the emulator; returns what was done.

    The template is read with the project's ARM template language (`contract.templates`), so the
    scale set body is exactly what a deployment would PUT.
    """
    from contract.templates import DeploymentContext, TemplateError, prepare

    props = body.get("properties") if isinstance(body, dict) else None
    template = props.get("template") if isinstance(props, dict) else None
    group = _GROUP.match(path)
    if not isinstance(template, dict) or group is None:
        return []
    location = next((r.get("location") for r in template.get("resources") or []
                     if isinstance(r, dict) and isinstance(r.get("location"), str)), DEFAULT_LOCATION)
    context = DeploymentContext(subscription_id=group.group(1), resource_group=group.group(2),
                                location=str(location), name=path.rstrip("/").rsplit("/", 1)[-1])
    try:
        plan = prepare(template, props.get("parameters") or {}, context)
    except TemplateError as exc:
        return [f"template not read: {exc}"]
    done: list[str] = []
    for instance in plan.instances:
        if instance.type.lower() != "microsoft.compute/virtualmachinescalesets":
            continue
        try:
            resource_body = plan.evaluate(instance)
        except TemplateError as exc:
            done.append(f"{instance.id}: template not evaluated: {exc}")
            continue
        keep = ("location", "tags", "sku", "properties", "zones", "identity", "plan", "extendedLocation")
        resource_body = {k: v for k, v in resource_body.items() if k in keep}
        target = f"{instance.id}?api-version={instance.api_version}"
        answer = client.send("PUT", target, json.dumps(resource_body).encode())
        if answer.status < 300:
            client.settle(answer)
        code = f" {answer.error_code}: {answer.body['error'].get('message')}" if answer.error_code else ""
        done.append(f"PUT {instance.id} -> {answer.status}{code}")
    return done


# ----------------------------------------------------------------------------- driver

def run_cassette(cassette: Cassette, base_url: str, spec: Spec | None = None) -> CassetteParity:
    """Replay one recording's management-plane requests against the emulator at `base_url`."""
    spec = spec or load_spec()
    result = CassetteParity(path=str(cassette.path or ""), operations=[])
    client = _Client(base_url)
    mapper = _Mapper()
    try:
        for (sub, group), group_body in _groups_to_create(cassette).items():
            client.send("PUT", f"/subscriptions/{sub}/resourcegroups/{group}?api-version=2022-09-01",
                        json.dumps(group_body).encode())
            result.created_groups.append(group)
        for index, polls in _poll_paths(cassette.interactions):
            interaction = cassette.interactions[index]
            request = interaction.request
            path, query = _path_and_query(request.uri)
            if urlsplit(request.uri).hostname != MANAGEMENT_HOST:
                result.skipped_other_hosts += 1
                continue
            if request.method == "GET" and (path.lower() in polls or _STATUS_SHAPE.search(path)):
                result.skipped_polls += 1
                continue
            body = request.json()
            sent = mapper.body(body)
            raw = json.dumps(sent).encode() if sent is not None and sent is not body else request.content or None
            target = mapper.path(path) + (f"?{query}" if query else "")
            answer = client.send(request.method, target, raw)
            if request.method != "GET" and answer.status < 300:
                client.settle(answer)
            recorded = interaction.response.json()
            if _DEPLOYMENT.search(path) and request.method == "PUT" and _unserved_deployment(answer):
                result.seeded.extend(_seed_scale_sets(client, path, body))
            mapper.learn(recorded, answer.body)
            theirs, ours = member_paths(recorded), member_paths(answer.body)
            result.operations.append(OperationParity(
                index=index, method=request.method, path=path, operation=_label(spec, request.method, path),
                recorded_status=interaction.response.status, emulated_status=answer.status,
                similarity=round(jaccard(theirs, ours), 4), missing=sorted(theirs - ours), extra=sorted(ours - theirs),
                error=answer.error_code if answer.status >= 400 else None))
    finally:
        client.close()
    return result


def run_parity(paths: Iterable[str | Path | Cassette], *, lro_polls: int = 1) -> ParityReport:
    """Each cassette against its own fresh emulator (in-process, on loopback)."""
    from contract.emulator import create_app
    from contract.servers import BackgroundServer

    spec = load_spec()
    report = ParityReport(cassettes=[])
    for source in paths:
        cassette = source if isinstance(source, Cassette) else load_cassette(source)
        server = BackgroundServer(lambda: create_app(lro_polls=lro_polls)).start()
        try:
            report.cassettes.append(run_cassette(cassette, server.url, spec))
        finally:
            server.stop()
    return report


# ----------------------------------------------------------------------------- rendering

def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render_text(report: ParityReport, *, details: int = 6) -> str:
    lines: list[str] = []
    for cassette in report.cassettes:
        lines.append(f"== {cassette.path}")
        extras = []
        if cassette.created_groups:
            extras.append(f"created groups: {', '.join(cassette.created_groups)}")
        if cassette.skipped_polls:
            extras.append(f"recorded polls skipped: {cassette.skipped_polls}")
        if cassette.skipped_other_hosts:
            extras.append(f"other hosts skipped: {cassette.skipped_other_hosts}")
        if extras:
            lines.append("   " + "; ".join(extras))
        for seed in cassette.seeded:
            lines.append(f"   seeded from template: {seed}")
        for op in cassette.operations:
            mark = "ok " if op.status_agrees else "DIFF"
            error = f" {op.error}" if op.error else ""
            lines.append(f"  [{op.index:3}] {mark} {op.method:6} {op.operation:55} "
                         f"{op.recorded_status}->{op.emulated_status}{error}  members {_pct(op.similarity)}")
            if op.missing:
                shown = ", ".join(op.missing[:details]) + (" ..." if len(op.missing) > details else "")
                lines.append(f"          missing ({len(op.missing)}): {shown}")
            if op.extra:
                shown = ", ".join(op.extra[:details]) + (" ..." if len(op.extra) > details else "")
                lines.append(f"          extra ({len(op.extra)}): {shown}")
    lines.append("")
    lines.append("by operation:")
    for name, summary in report.by_operation().items():
        lines.append(f"  {name:60} n={summary.operations:3}  status {_pct(summary.status_agreement):>6}  "
                     f"members {_pct(summary.similarity):>6}")
    s, o = report.scale_set, report.overall
    lines.append("")
    lines.append(f"scale-set operations: {s.operations}  status agreement {_pct(s.status_agreement)}  "
                 f"member similarity {_pct(s.similarity)}")
    lines.append(f"all operations:       {o.operations}  status agreement {_pct(o.status_agreement)}  "
                 f"member similarity {_pct(o.similarity)}")
    return "\n".join(lines) + "\n"


def render_json(report: ParityReport) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
