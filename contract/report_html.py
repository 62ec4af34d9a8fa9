"""`report.html`: one self-contained page a person can read (no CDN, no network).

Three things people ask of a contract run, in this order: did it hold (summary
and violations, each with the interaction that broke it), how much of the API
did the traffic touch (operations x status codes), and what happened to each
scale set over time (provisioningState, capacity, latestModelApplied).

The checker's `Report` gives the first two; the timelines are read from the
cassettes themselves (`sources`), because they are a view of the traffic, not a
verdict on it.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

__all__ = ["render_html", "scale_set_timelines", "coverage_matrix", "TimelinePoint"]

_VMSS = re.compile(
    r"(/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.compute/virtualmachinescalesets/[^/?]+)"
    r"(/virtualmachines(?:/([^/?]+))?)?(/[^?]*)?",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- timelines


@dataclass
class TimelinePoint:
    """The scale set as one interaction showed it; None = this interaction did not say."""

    cassette: str
    interaction: int
    method: str
    what: str  # path below the scale set, e.g. "" or "/virtualMachines" or "/manualupgrade"
    status: int
    when: str | None
    provisioning_state: str | None = None
    capacity: int | None = None
    latest_model_applied: str | None = None  # "2/3 VMs", kept as text: it is a fraction of a fleet
    operation: str | None = None  # a long-running operation's status, on its polls


@dataclass
class Timeline:
    name: str
    resource_id: str
    cassette: str = ""
    points: list[TimelinePoint] = field(default_factory=list)


def _load_sources(sources: Iterable[Any]) -> list[Any]:
    """Cassettes from Cassette objects or paths (files or folders)."""
    from contract.cassette import Cassette, iter_cassette_paths, load_cassette

    cassettes: list[Any] = []
    paths: list[Any] = []
    for source in sources:
        if isinstance(source, Cassette):
            cassettes.append(source)
        else:
            paths.append(source)
    if paths:
        cassettes.extend(load_cassette(p) for p in iter_cassette_paths(paths))
    return cassettes


def _path_of(uri: str) -> str:
    path = re.sub(r"^[a-z]+://[^/]+", "", uri, flags=re.IGNORECASE)
    return path.split("?", 1)[0]


def _poll_key(url: str) -> str:
    """A poll URL as both the answer's header and the later request show it: no host, any case."""
    return re.sub(r"^[a-z]+://[^/]+", "", url, flags=re.IGNORECASE).lower()


def scale_set_timelines(cassettes: Iterable[Any]) -> list[Timeline]:
    """Per scale set, in cassette order, what each touching interaction showed about it.

    Polls of a long-running operation belong to the scale set whose answer handed out the
    poll URL, so the timeline shows InProgress -> Succeeded where it happened.
    """
    timelines: dict[str, Timeline] = {}
    for cassette in cassettes:
        label = Path(cassette.path).name if getattr(cassette, "path", None) else "cassette"
        vm_models: dict[str, dict[str, bool]] = {}
        polls: dict[str, tuple[str, str]] = {}  # poll URL -> (timeline key, what started it)
        for index, interaction in enumerate(cassette.interactions):
            response = interaction.response
            body = response.json()
            method = interaction.request.method.upper()
            poll = polls.get(_poll_key(interaction.request.uri))
            match = _VMSS.search(_path_of(interaction.request.uri))
            if poll is not None and (match is None or "monitor=true" in interaction.request.uri.lower()):
                key, started_by = poll
                point = TimelinePoint(label, index, method, f"(poll of {started_by})", response.status,
                                      response.header("date"))
                if isinstance(body, dict) and isinstance(body.get("status"), str):
                    point.operation = body["status"]
                timelines[key].points.append(point)
                continue
            if not match:
                continue
            resource_id = match.group(1)
            key = f"{label}\n{resource_id.lower()}"  # one history per cassette: cassettes are separate runs
            timeline = timelines.setdefault(key, Timeline(resource_id.rsplit("/", 1)[-1], resource_id, label))
            what = (match.group(2) or "") + (match.group(4) or "")
            point = TimelinePoint(label, index, method, what, response.status, response.header("date"))
            for header in ("Azure-AsyncOperation", "Location"):
                url = response.header(header)
                if url:
                    polls[_poll_key(url)] = (key, f"{method} {what or '/'}")
            on_resource = match.group(2) is None and match.group(4) in (None, "")
            if on_resource and isinstance(body, dict):
                props = body.get("properties") if isinstance(body.get("properties"), dict) else {}
                point.provisioning_state = props.get("provisioningState")
                sku = body.get("sku") if isinstance(body.get("sku"), dict) else {}
                if isinstance(sku.get("capacity"), int):
                    point.capacity = sku["capacity"]
            if on_resource and response.status == 404:
                point.provisioning_state = "(not found)"
            vms = vm_models.setdefault(key, {})
            if match.group(2) and response.status == 200 and isinstance(body, dict) and method == "GET":
                noted = False
                if match.group(3) is None and isinstance(body.get("value"), list):
                    vms.clear()
                    noted = any([_note_vm(vms, vm) for vm in body["value"]])
                elif match.group(3) is not None and not match.group(4):
                    noted = _note_vm(vms, body)
                if noted:
                    applied = sum(1 for v in vms.values() if v)
                    point.latest_model_applied = f"{applied}/{len(vms)} VMs"
            timeline.points.append(point)
    # The richest history first: a run's lifecycle before its one-shot fuzz scale sets.
    return sorted(timelines.values(), key=lambda t: -len(t.points))


def _note_vm(vms: dict[str, bool], vm: Any) -> bool:
    if not isinstance(vm, dict):
        return False
    props = vm.get("properties") if isinstance(vm.get("properties"), dict) else {}
    if "latestModelApplied" not in props:
        return False
    vms[str(vm.get("instanceId") or vm.get("name") or len(vms))] = bool(props["latestModelApplied"])
    return True


# --------------------------------------------------------------------------- coverage


def _declared() -> dict[str, list[int]]:
    try:
        from contract.specs import load_spec

        return {op_id: sorted(op.statuses) for op_id, op in load_spec().operations.items()}
    except Exception:  # a report must render even when the spec cannot be read
        return {}


def _status_key(status: Any) -> str:
    return str(status)


def coverage_matrix(coverage: Any, declared: Mapping[str, Iterable[int]] | None = None) -> tuple[list[str], dict[str, dict[str, int]], dict[str, set[str]]]:
    """(columns, exercised[op][status] = count, declared[op] = statuses) from the Report's coverage.

    Accepts the checker's `{op: {"declared": [...], "seen": {status: n}}}`, and also
    `{op: {status: count}}` and `{op: [status, ...]}`.
    """
    declared_map: dict[str, set[str]] = {op: {_status_key(s) for s in st} for op, st in (declared or {}).items()}
    exercised: dict[str, dict[str, int]] = {}
    if isinstance(coverage, Mapping):
        for op, value in coverage.items():
            counts: dict[str, int] = {}
            if isinstance(value, Mapping) and any(k in value for k in ("seen", "exercised", "declared", "documented")):
                for key in ("declared", "documented"):
                    if key in value:
                        declared_map.setdefault(op, set()).update(_status_key(s) for s in value[key])
                value = value.get("seen", value.get("exercised", {}))
            if isinstance(value, Mapping):
                for status, count in value.items():
                    counts[_status_key(status)] = int(count) if isinstance(count, int | float) else int(bool(count))
            elif isinstance(value, Iterable) and not isinstance(value, str):
                for status in value:
                    counts[_status_key(status)] = counts.get(_status_key(status), 0) + 1
            exercised[op] = counts
    columns: set[str] = set()
    for mapping in (*declared_map.values(), *(set(c) for c in exercised.values())):
        columns.update(mapping)
    return sorted(columns, key=lambda s: (not s.isdigit(), s)), exercised, declared_map


# --------------------------------------------------------------------------- rendering


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#0b3d62;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
nav{margin-top:8px}nav a{color:#cfe8ff;margin-right:16px;text-decoration:none;font-weight:600}
main{padding:18px 28px;max-width:1400px}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:14px 18px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 10px}
.verdict{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}
.stats{display:flex;gap:24px;flex-wrap:wrap;margin-top:8px}
.stats div{font-size:13px}.stats b{display:block;font-size:20px}
#per-cassette{margin-top:12px;width:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}
td.hit{background:#dafbe1;text-align:center;font-weight:600}
td.gap{background:#fff8c5;text-align:center;color:#7d4e00}
td.extra{background:#ffebe9;text-align:center;font-weight:600}
td.err{background:#ddf4ff;text-align:center}
td.na{color:#bbb;text-align:center}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow:auto;max-height:320px;white-space:pre-wrap}
details{border:1px solid #d0d7de;border-radius:6px;margin:8px 0;padding:6px 10px}
summary{cursor:pointer}.rule{font-weight:700;color:#a40e26}
.legend span{display:inline-block;padding:1px 8px;margin-right:8px;border-radius:4px;font-size:12px}
button{font:inherit;padding:3px 10px;margin:0 0 8px;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;cursor:pointer}
svg text{font:11px system-ui,sans-serif}
.changed{font-weight:700}
tr.poll td{color:#6e7781;font-size:12px}
mark{background:#ffd8d3;color:#a40e26;font-weight:700}
.scale-set td:nth-child(1),.scale-set td:nth-child(2){white-space:nowrap}
"""

_JS = """
document.addEventListener('DOMContentLoaded',function(){
  var cells=document.querySelectorAll('#coverage td[data-declared="1"]');
  var hit=0;cells.forEach(function(c){if(c.classList.contains('hit'))hit++;});
  var pct=cells.length?Math.round(100*hit/cells.length):0;
  var s=document.getElementById('coverage-summary');
  s.textContent=hit+' of '+cells.length+' documented (operation, status) pairs exercised ('+pct+'%)';
  var b=document.getElementById('gaps-only');
  b.addEventListener('click',function(){
    var on=b.getAttribute('aria-pressed')!=='true';b.setAttribute('aria-pressed',on?'true':'false');
    b.textContent=on?'Show all operations':'Show only operations with gaps';
    document.querySelectorAll('#coverage tbody tr').forEach(function(r){
      r.style.display=(on&&!r.querySelector('td.gap'))?'none':'';});
  });
  document.querySelectorAll('pre').forEach(function(p){
    var m=p.querySelector('mark');if(m){p.scrollTop=Math.max(0,m.offsetTop-p.offsetTop-60);}});
  document.body.setAttribute('data-rendered','1');
});
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _pretty(body: Any) -> str:
    if body in (None, b"", ""):
        return "(empty)"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body)
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=False)[:20000]
    except ValueError:
        return text[:20000]


def _last_key(path: Any) -> str | None:
    """`$.properties.osProfile.adminPassword` -> `adminPassword` (None for indexes or no path)."""
    if not path:
        return None
    last = re.split(r"[.\[]", str(path))[-1].rstrip("]").strip("'\"")
    return None if not last or last.isdigit() or last == "$" else last


def _marked(text: str, key: str | None) -> str:
    """Escaped text with the lines naming `key` highlighted, so the eye lands on the JSON path."""
    if not key:
        return _e(text)
    needle = f'"{key}":'
    return "\n".join(f"<mark>{_e(line)}</mark>" if needle in line else _e(line) for line in text.split("\n"))


def _find_interaction(cassettes: list[Any], cassette: Any, index: Any) -> Any:
    if not isinstance(index, int):
        return None
    wanted = str(cassette or "")
    for c in cassettes:
        path = str(getattr(c, "path", "") or "")
        if len(cassettes) == 1 or (wanted and (path == wanted or Path(path).name == Path(wanted).name)):
            if 0 <= index < len(c.interactions):
                return c.interactions[index]
    return None


def _summary(report: Any, violations: list[Any]) -> str:
    verdict = (
        '<span class="verdict ok">contract holds</span>'
        if not violations
        else f'<span class="verdict bad">{len(violations)} violation{"s" if len(violations) != 1 else ""}</span>'
    )
    stats = "".join(
        f"<div><b>{_e(_get(report, key, 0))}</b>{label}</div>"
        for key, label in (
            ("cassettes", "cassettes"),
            ("interactions", "interactions"),
            ("checked", "checked against the contract"),
            ("outside_contract", "outside the contract"),
        )
    )
    stats += f"<div><b>{len(violations)}</b>violations</div>"
    stats += f"<div><b>{len(_get(report, 'drift', []) or [])}</b>drift (not failing)</div>"
    per = ""
    results = list(_get(report, "results", []) or [])
    if results:
        rows = "".join(
            f"<tr><td>{_e(Path(str(_get(r, 'name', ''))).name)}</td><td>{_e(_get(r, 'interactions', 0))}</td>"
            f"<td>{_e(_get(r, 'checked', 0))}</td><td>{_e(_get(r, 'outside_contract', 0))}</td>"
            f"<td>{len(_get(r, 'violations', []) or [])}</td></tr>" for r in results)
        per = ('<table id="per-cassette"><thead><tr><th>cassette</th><th>interactions</th><th>checked</th>'
               f"<th>outside the contract</th><th>violations</th></tr></thead><tbody>{rows}</tbody></table>")
    by_rule: dict[str, int] = {}
    for v in violations:
        by_rule[str(_get(v, "rule"))] = by_rule.get(str(_get(v, "rule")), 0) + 1
    rules = "".join(f'<li><span class="rule">{_e(r)}</span> &times; {n}</li>' for r, n in sorted(by_rule.items()))
    warnings = "".join(f"<li>{_e(w)}</li>" for w in (_get(report, "warnings", []) or []))
    extra = (f'<ul id="by-rule">{rules}</ul>' if rules else "") + (f'<h3>Warnings</h3><ul id="warnings">{warnings}</ul>' if warnings else "")
    return f'<section id="summary"><h2>Summary {verdict}</h2><div class="stats">{stats}</div>{extra}{per}</section>'


def _coverage_html(report: Any) -> str:
    coverage = _get(report, "coverage", {}) or {}
    # The checker's coverage names what each operation declares; read the spec only when it does not.
    has_declared = any(isinstance(v, Mapping) and ("declared" in v or "documented" in v) for v in coverage.values())
    columns, exercised, declared = coverage_matrix(coverage, None if has_declared else _declared())
    # What the traffic touched first, then the documented rest: the gaps stay one click away.
    operations = sorted(set(declared) | set(exercised), key=lambda op: (not any(exercised.get(op, {}).values()), op))
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    rows = []
    for op in operations:
        cells = []
        for col in columns:
            count = exercised.get(op, {}).get(col, 0)
            is_declared = col in declared.get(op, set())
            if count and is_declared:
                cells.append(f'<td class="hit" data-declared="1" title="exercised {count}x">{count}</td>')
            elif count and col.isdigit() and int(col) >= 400:
                cells.append(f'<td class="err" title="error answer (the CloudError default)">{count}</td>')
            elif count:
                cells.append(f'<td class="extra" title="answered but not documented">{count}</td>')
            elif is_declared:
                cells.append('<td class="gap" data-declared="1" title="documented, not exercised">not exercised</td>')
            else:
                cells.append('<td class="na">·</td>')
        rows.append(f"<tr><th>{_e(op)}</th>{''.join(cells)}</tr>")
    summary = report.coverage_summary() if hasattr(report, "coverage_summary") else None
    figures = (f'<p id="coverage-figures">{summary["operations"]["exercised"]} of {summary["operations"]["documented"]}'
               f' operations exercised; {summary["pairs"]["exercised"]} of {summary["pairs"]["documented"]} documented'
               " (operation, status) pairs</p>") if summary else ""
    legend = figures + (
        '<p class="legend"><span style="background:#dafbe1">exercised (count)</span>'
        '<span style="background:#fff8c5">documented, not exercised</span>'
        '<span style="background:#ddf4ff">error answer (CloudError)</span>'
        '<span style="background:#ffebe9">answered, not documented</span></p>'
    )
    return (
        '<section id="coverage-section"><h2>Coverage: operations &times; status codes</h2>'
        f'<p id="coverage-summary">{sum(1 for o in exercised.values() for n in o.values() if n)} cells exercised</p>'
        f'{legend}<button id="gaps-only" aria-pressed="false">Show only operations with gaps</button>'
        f'<table id="coverage"><thead><tr><th>operation</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</section>"
    )


def _violations_html(violations: list[Any], cassettes: list[Any]) -> str:
    if not violations:
        return '<section id="violations"><h2>Violations</h2><p>None: every checked interaction honours the contract.</p></section>'
    items = []
    for n, v in enumerate(violations, 1):
        rule, operation = _get(v, "rule"), _get(v, "operation")
        index, cassette = _get(v, "interaction"), _get(v, "cassette")
        method, uri, status = _get(v, "method"), _get(v, "uri"), _get(v, "status")
        where = f" at <code>{_e(_get(v, 'path'))}</code>" if _get(v, "path") else ""
        found = _find_interaction(cassettes, cassette, index)
        if found is not None:
            method = method or found.request.method
            uri = uri or found.request.uri
            status = status or found.response.status
        detail = ""
        if found is not None:
            key = _last_key(_get(v, "path"))
            detail = (
                f"<h4>Request</h4><pre>{_e(found.request.method)} {_e(found.request.uri)}\n\n"
                f"{_marked(_pretty(found.request.body), key)}</pre>"
                f"<h4>Response {_e(found.response.status)}</h4><pre>{_marked(_pretty(found.response.body), key)}</pre>"
            )
        items.append(
            f'<details class="violation" id="violation-{n}" open><summary><span class="rule">{_e(rule)}</span> '
            f"&middot; {_e(operation or '-')} &middot; {_e(Path(str(cassette)).name if cassette else '')} "
            f"#{_e(index)}</summary><p>{_e(_get(v, 'message'))}{where}</p>"
            f"<p><code>{_e(method)} {_e(uri)} &rarr; {_e(status)}</code></p>{detail}</details>"
        )
    return f'<section id="violations"><h2>Violations ({len(violations)})</h2>{"".join(items)}</section>'


def _drift_html(drift: list[Any]) -> str:
    """Answer members no schema of their api-version documents: listed with their paths, never a failure."""
    if not drift:
        return '<section id="drift"><h2>Drift</h2><p>None: every answer member is documented.</p></section>'
    rows = "".join(
        f"<tr><td>{_e(Path(str(_get(v, 'cassette', ''))).name)} #{_e(_get(v, 'interaction'))}</td>"
        f"<td>{_e(_get(v, 'operation') or '-')}</td><td><code>{_e(_get(v, 'path'))}</code></td>"
        f"<td>{_e(_get(v, 'message'))}</td></tr>" for v in drift)
    return (f'<section id="drift"><h2>Drift ({len(drift)})</h2><p>Members Azure answers that no schema of that '
            "api-version documents. Not failing (<code>--fail-on-drift</code> makes them fail).</p>"
            '<table id="drift-table"><thead><tr><th>interaction</th><th>operation</th><th>JSON path</th>'
            f"<th>message</th></tr></thead><tbody>{rows}</tbody></table></section>")


POLL_CLASS = ' class="poll"'
_STATE_COLOURS = {
    "creating": "#0969da", "updating": "#bf8700", "succeeded": "#1a7f37", "failed": "#cf222e",
    "canceled": "#8c959f", "deleting": "#8250df", "(not found)": "#57606a",
}


def _timeline_svg(points: list[TimelinePoint]) -> str:
    """Capacity as a step line over the interactions, one dot per provisioningState seen."""
    shown = [p for p in points if p.capacity is not None or p.provisioning_state is not None]
    if sum(1 for p in shown if p.capacity is not None) < 2:
        return ""  # one value is no trend: the table says it
    width, height, pad = max(320, 46 * len(shown)), 150, 30
    caps = [p.capacity for p in shown if p.capacity is not None] or [0]
    top = max(max(caps), 1)
    step = (width - 2 * pad) / max(len(shown) - 1, 1)
    parts = [f'<svg class="timeline" width="{width}" height="{height}" role="img" aria-label="capacity over time">']
    line, last_cap = [], None
    for i, p in enumerate(shown):
        x = pad + i * step
        if p.capacity is not None:
            last_cap = p.capacity
        if last_cap is not None:
            y = height - pad - (height - 2 * pad) * last_cap / top
            line.append(f"{x:.0f},{y:.0f}")
            parts.append(f'<text x="{x:.0f}" y="{y - 6:.0f}" text-anchor="middle">{last_cap}</text>')
        state = (p.provisioning_state or "").lower()
        colour = _STATE_COLOURS.get(state, "#57606a")
        if p.provisioning_state:
            parts.append(
                f'<circle cx="{x:.0f}" cy="{height - 12}" r="5" fill="{colour}"><title>#{p.interaction} '
                f"{_e(p.method)} {_e(p.what or '/')}: {_e(p.provisioning_state)}</title></circle>"
            )
    if line:
        parts.insert(1, f'<polyline fill="none" stroke="#0b3d62" stroke-width="2" points="{" ".join(line)}"/>')
    parts.append("</svg>")
    states = sorted({p.provisioning_state for p in shown if p.provisioning_state})
    legend = "".join(
        f'<span><svg width="10" height="10"><circle cx="5" cy="5" r="5" fill="{_STATE_COLOURS.get(s.lower(), "#57606a")}"/>'
        f"</svg> {_e(s)}</span> " for s in states)
    return "".join(parts) + f'<p class="legend">capacity (line) and provisioningState (dots): {legend}</p>'



def _timelines_html(timelines: list[Timeline]) -> str:
    if not timelines:
        return '<section id="timelines"><h2>Scale set timelines</h2><p>No scale set traffic in these cassettes.</p></section>'
    blocks = []
    for t in timelines:
        rows = []
        previous: dict[str, Any] = {}
        for p in t.points:
            cells = []
            for key in ("operation", "provisioning_state", "capacity", "latest_model_applied"):
                value = getattr(p, key)
                changed = value is not None and previous.get(key) not in (None, value)
                if value is not None:
                    previous[key] = value
                cells.append(f'<td class="{"changed" if changed else ""}">{_e(value if value is not None else "")}</td>')
            rows.append(
                f"<tr{POLL_CLASS if p.what.startswith('(poll') else ''}><td>{_e(p.cassette)} #{p.interaction}</td>"
                f"<td>{_e(p.when or '')}</td>"
                f"<td><code>{_e(p.method)} {_e(p.what or '/')}</code></td><td>{p.status}</td>{''.join(cells)}</tr>"
            )
        blocks.append(
            f'<div class="scale-set" data-name="{_e(t.name)}"><h3>{_e(t.name)}</h3><p><code>{_e(t.resource_id)}</code> in {_e(t.cassette)}</p>'
            f"{_timeline_svg(t.points)}"
            "<table><thead><tr><th>interaction</th><th>time</th><th>request</th><th>status</th>"
            "<th>operation status</th><th>provisioningState</th><th>capacity</th><th>latestModelApplied</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
    return f'<section id="timelines"><h2>Scale set timelines ({len(timelines)})</h2>{"".join(blocks)}</section>'


def _outside_html(report: Any, limit: int = 500) -> str:
    """Each interaction outside the contract (not checked) and why: another host, no operation in specs/."""
    outside = list(_get(report, "outside", []) or [])
    if not outside:
        return ""
    rows = "".join(
        f"<tr><td>{_e(Path(str(_get(o, 'cassette', ''))).name)}</td><td>{_e(_get(o, 'interaction', ''))}</td>"
        f"<td>{_e(_get(o, 'method', ''))}</td><td class=\"uri\">{_e(str(_get(o, 'uri', '')).split('?', 1)[0])}</td>"
        f"<td>{_e(_get(o, 'status', ''))}</td><td>{_e(_get(o, 'reason', ''))}</td></tr>"
        for o in outside[:limit])
    more = f"<p>... and {len(outside) - limit} more (see report.json)</p>" if len(outside) > limit else ""
    return ('<section id="outside"><h2>Outside the contract (not checked)</h2>'
            '<table id="outside-table"><thead><tr><th>cassette</th><th>#</th><th>method</th><th>path</th>'
            f"<th>status</th><th>why</th></tr></thead><tbody>{rows}</tbody></table>{more}</section>")


def _rule_sources_html(violations: list[Any]) -> str:
    """For each violated rule: its summary and where to read its source (a public page or a shipped file)."""
    from contract.checker.registry import describe
    from contract.sources import references

    ids = sorted({str(_get(v, "rule")) for v in violations})
    if not ids:
        return ""
    try:
        from contract.rules import load_rules

        rules: Any = load_rules()
    except Exception:  # the checker's own rules still have their sources
        rules = None
    items = []
    for rule_id in ids:
        info = describe(rule_id, rules)
        links = " ".join(
            f'<a href="{_e(ref)}">{_e(ref)}</a>' if ref.startswith("http") else f"<code>{_e(ref)}</code>"
            for ref in references(info.source))
        items.append(f'<li><span class="rule">{_e(rule_id)}</span> {_e(info.summary)}'
                     f"<br><small>source: {_e(info.source)}{'<br>read: ' + links if links else ''}</small></li>")
    return f'<section id="rule-sources"><h2>Rules and their sources</h2><ul>{"".join(items)}</ul></section>'


def _not_checked_html() -> str:
    from contract.checker.limits import NOT_CHECKED

    items = "".join(f"<li>{_e(line)}</li>" for line in NOT_CHECKED)
    return ('<section id="not-checked"><h2>What this report does not check</h2>'
            f"<p>A passing report does not prove these:</p><ul>{items}</ul></section>")


def _pct(x: Any) -> str:
    try:
        return f"{100 * float(x):.1f}%"
    except (TypeError, ValueError):
        return "-"


def _parity_html(parity: Mapping[str, Any], details: int = 6) -> str:
    """How faithfully the emulator answered the recordings' own requests: the data `vmss-contract parity
    --format json` wrote (this page only renders it; it runs nothing)."""
    def figure(key: str, label: str) -> str:
        s = parity.get(key) or {}
        return (f'<div id="parity-{key.replace("_", "-")}"><b>{_e(_pct(s.get("status_agreement")))} / '
                f'{_e(_pct(s.get("similarity")))}</b>{label}: {_e(s.get("operations", 0))} operations, '
                "status agreement / member similarity</div>")

    def cls(x: Any) -> str:
        try:
            return "hit" if float(x) >= 0.999 else ("gap" if float(x) >= 0.9 else "extra")
        except (TypeError, ValueError):
            return "na"

    rows = "".join(
        f"<tr><td>{_e(name)}</td><td>{_e(s.get('operations', 0))}</td>"
        f'<td class="{cls(s.get("status_agreement"))}">{_e(_pct(s.get("status_agreement")))}</td>'
        f'<td class="{cls(s.get("similarity"))}">{_e(_pct(s.get("similarity")))}</td></tr>'
        for name, s in sorted((parity.get("by_operation") or {}).items()))
    per = []
    for c in parity.get("cassettes") or ():
        ops = list(c.get("operations") or ())
        off = [o for o in ops if not o.get("status_agrees") or o.get("missing") or o.get("extra")]
        lines = "".join(
            f"<tr><td>#{_e(o.get('index'))}</td><td>{_e(o.get('method'))}</td><td>{_e(o.get('operation'))}</td>"
            f'<td class="{"hit" if o.get("status_agrees") else "extra"}">{_e(o.get("recorded_status"))} &rarr; '
            f"{_e(o.get('emulated_status'))}{(' ' + _e(o.get('error'))) if o.get('error') else ''}</td>"
            f"<td>{_e(_pct(o.get('similarity')))}</td>"
            f"<td>{_e(', '.join((o.get('missing') or [])[:details]))}"
            f"{' &hellip;' if len(o.get('missing') or []) > details else ''}</td>"
            f"<td>{_e(', '.join((o.get('extra') or [])[:details]))}"
            f"{' &hellip;' if len(o.get('extra') or []) > details else ''}</td></tr>" for o in off)
        table = ("<table><thead><tr><th>request</th><th>method</th><th>operation</th><th>status Azure &rarr; "
                 "emulator</th><th>members</th><th>missing (Azure only)</th><th>extra (emulator only)</th></tr>"
                 f"</thead><tbody>{lines}</tbody></table>") if off else "<p>Every answer agrees.</p>"
        per.append(f"<details{' open' if off else ''}><summary>{_e(Path(str(c.get('path', ''))).name)}: {len(ops)} requests, "
                   f"{len(off)} differ</summary>{table}</details>")
    return ('<section id="parity"><h2>Parity</h2><p>The emulator, driven with each recording\'s own requests, '
            "against what Azure answered (<code>vmss-contract parity</code>).</p>"
            f'<div class="stats">{figure("scale_set", "scale-set operations")}{figure("overall", "all operations")}</div>'
            '<h3>By operation</h3><table id="parity-by-operation"><thead><tr><th>operation</th><th>n</th>'
            f"<th>status agreement</th><th>member similarity</th></tr></thead><tbody>{rows}</tbody></table>"
            f'<h3>Per recording</h3><div id="parity-cassettes">{"".join(per)}</div></section>')


def render_html(report: Any, sources: Iterable[Any] = (), *, title: str = "vmss-contract report",
                parity: Mapping[str, Any] | None = None) -> str:
    """The whole page as one string: inline CSS and script, nothing fetched. `parity` is the data of a
    `vmss-contract parity --format json` run; given, the page shows it in its own section."""
    cassettes = _load_sources(sources)
    violations = list(_get(report, "violations", []) or [])
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = (
        f"<header><h1>{_e(title)}</h1><div>Azure VMSS REST API contract &middot; generated {stamp}</div>"
        '<nav><a href="#summary">Summary</a><a href="#violations">Violations</a><a href="#drift">Drift</a>'
        + ('<a href="#parity">Parity</a>' if parity is not None else "")
        + '<a href="#coverage-section">Coverage</a><a href="#timelines">Timelines</a></nav></header><main>'
        + _summary(report, violations)
        + _violations_html(violations, cassettes)
        + _drift_html(list(_get(report, "drift", []) or []))
        + (_parity_html(parity) if parity is not None else "")
        + _outside_html(report)
        + _rule_sources_html(violations)
        + _not_checked_html()
        + _coverage_html(report)
        + _timelines_html(scale_set_timelines(cassettes))
        + "</main>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style><script>{_JS}</script></head>"
        f"<body>{body}</body></html>"
    )
