"""Renderings of a checker `Report`: text (rich tables), JSON, JUnit XML, HTML.

Each renderer takes the report and returns a string; writing it somewhere is
the caller's business. HTML lives in `contract.report_html` (the plugin owner's),
reached through `render_html` here so callers have one place to look.
"""
from __future__ import annotations

import io
import json
import re
from typing import Any, Callable
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from contract.checker.model import Report, Violation

__all__ = ["RENDERERS", "render", "render_html", "render_json", "render_junit", "render_text"]


def render_json(report: Report) -> str:
    """`{"cassettes", "interactions", "checked", "outside_contract", "violations": [...], "coverage": {...}}`."""
    return json.dumps(report.as_dict(), indent=2, sort_keys=False) + "\n"


def _short_uri(uri: str) -> str:
    """Path and query without the host: hosts differ (Azure, replay, emulator) and say nothing."""
    parts = urlsplit(uri)
    if not parts.scheme:
        return uri
    return parts.path + (f"?{parts.query}" if parts.query else "")


def render_text(report: Report, *, color: bool = False, width: int = 140) -> str:
    """A headline, one rich table per cassette that has violations, a per-cassette summary."""
    from rich.console import Console
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, color_system="standard" if color else None,
                      highlight=False, soft_wrap=False)
    verdict = "[bold green]no violations[/]" if report.ok else f"[bold red]{len(report.violations)} violation(s)[/]"
    drift = getattr(report, "drift", None) or []
    if drift:
        verdict += f", [yellow]{len(drift)} drift finding(s)[/]"
    console.print(
        f"vmss-contract check: {report.cassettes} cassette(s), {report.interactions} interaction(s), "
        f"{report.checked} checked, {report.outside_contract} outside the contract: {verdict}"
    )
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    for line in outside_lines(report, width=width):
        console.print(line, markup=False)
    for result in report.results:
        if not result.violations:
            continue
        table = Table(title=f"{result.name}", title_justify="left", show_lines=True, expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("rule", style="bold red", no_wrap=True)
        table.add_column("method", no_wrap=True)
        table.add_column("request (operation)", overflow="fold", ratio=4)
        table.add_column("status", justify="right", no_wrap=True)
        table.add_column("JSON path", overflow="fold", ratio=2)
        table.add_column("message", overflow="fold", ratio=4)
        for v in result.violations:
            request = _short_uri(v.uri) + (f"\n({v.operation})" if v.operation else "")
            table.add_row(str(v.interaction), v.rule, v.method, request, str(v.status), v.path or "", v.message)
        console.print(table)
    if drift:
        table = Table(title="drift: answer members no schema of their api-version documents (not failing; "
                      "--fail-on-drift makes them fail)", title_justify="left", show_lines=True, expand=True)
        table.add_column("cassette #", overflow="fold", ratio=2)
        table.add_column("method", no_wrap=True)
        table.add_column("request (operation)", overflow="fold", ratio=4)
        table.add_column("status", justify="right", no_wrap=True)
        table.add_column("JSON path", overflow="fold", ratio=3)
        table.add_column("message", overflow="fold", ratio=3)
        for v in drift:
            request = _short_uri(v.uri) + (f"\n({v.operation})" if v.operation else "")
            table.add_row(f"{v.cassette} #{v.interaction}", v.method, request, str(v.status), v.path or "", v.message)
        console.print(table)
    if len(report.results) > 1 or report.ok:
        summary = Table(title="per cassette", title_justify="left")
        summary.add_column("cassette", overflow="fold")
        for col in ("interactions", "checked", "outside", "violations"):
            summary.add_column(col, justify="right")
        for r in report.results:
            summary.add_row(r.name, str(r.interactions), str(r.checked), str(r.outside_contract),
                            f"[red]{len(r.violations)}[/]" if r.violations else "0")
        console.print(summary)
    if report.coverage:
        summary = report.coverage_summary()
        ops, pairs = summary["operations"], summary["pairs"]
        console.print(f"coverage: {ops['exercised']} of {ops['documented']} operations exercised, "
                      f"{pairs['exercised']} of {pairs['documented']} documented operation x status pairs")
    if report.violations:
        by_rule = ", ".join(f"{rule} x{n}" for rule, n in sorted(report.by_rule().items()))
        console.print(f"by rule: {by_rule}")
    if report.skipped:
        skipped = ", ".join(f"{rule} x{n}" for rule, n in sorted(report.skipped.items()))
        console.print(f"skipped by the cassettes' own opt-outs: {skipped}")
    console.print("not checked (a pass does not prove these): requested-vs-answered values, error wording, "
                  "timing, paging completeness, guest state; the JSON report's 'not_checked' lists them.",
                  style="dim")
    return buf.getvalue()


_SUBSCRIPTION_PREFIX = re.compile(r"^/subscriptions/[^/]+(?=/)", re.I)


def short_path(uri: str, width: int) -> str:
    """A request path that fits `width`: no host, query or subscription, and the end kept when too long
    (the end names the resource type, the start only repeats the scope)."""
    path = _SUBSCRIPTION_PREFIX.sub("", _short_uri(uri).split("?", 1)[0]) or "/"
    return path if len(path) <= width else "..." + path[-(width - 3):]


def outside_lines(report: Report, examples: int = 3, width: int = 80) -> list[str]:
    """The interactions outside the contract, grouped by why, with a few examples each (text output)."""
    outside = list(getattr(report, "outside", []) or [])
    if not outside:
        return []
    groups: dict[str, list[Any]] = {}
    for o in outside:
        groups.setdefault(o.reason, []).append(o)
    lines = [f"outside the contract, not checked ({len(outside)}):"]
    for reason, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(items)} x {reason}")
        for o in items[:examples]:
            head = f"      {o.cassette.replace(chr(92), '/').rsplit('/', 1)[-1]} #{o.interaction} {o.method} "
            tail = f" -> {o.status}"
            lines.append(head + short_path(o.uri, max(24, width - len(head) - len(tail))) + tail)
        if len(items) > examples:
            lines.append(f"      ... and {len(items) - examples} more (all of them in the JSON report's 'outside')")
    return lines


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: Any) -> str:
    """Text safe for XML 1.0 (control characters from bodies would make the file unreadable)."""
    return _XML_BAD.sub("\ufffd", str(text))


def render_junit(report: Report) -> str:
    """JUnit XML: a testsuite per cassette, a testcase per in-contract interaction.

    A testcase fails with one <failure> whose type is the (first) rule id, its message
    naming every rule and message at that interaction; CI systems show one line per
    interaction and the details below. Drift findings never fail a testcase: they are its
    <system-out> (one `[drift] PATH: message` line each) and a `drift` count per suite.
    """
    root = ET.Element("testsuites", name="vmss-contract", tests=str(report.checked),
                      failures=str(sum(1 for r in report.results for _ in _failed_indices(r.violations))),
                      errors="0")
    for result in report.results:
        by_index: dict[int, list[Violation]] = {}
        for v in result.violations:
            by_index.setdefault(v.interaction, []).append(v)
        suite = ET.SubElement(root, "testsuite", name=_x(result.name), tests=str(len(result.entries)),
                              failures=str(len(by_index)), errors="0", skipped="0")
        drift_at: dict[int, list[Violation]] = {}
        for v in getattr(result, "drift", ()):
            drift_at.setdefault(v.interaction, []).append(v)
        props = ET.SubElement(suite, "properties")
        for key, value in (("interactions", result.interactions), ("outside_contract", result.outside_contract),
                           ("drift", len(getattr(result, "drift", ())))):
            ET.SubElement(props, "property", name=key, value=str(value))
        classname = _x(result.name)
        for index, method, uri, operation, status in result.entries:
            case = ET.SubElement(suite, "testcase", classname=classname,
                                 name=_x(f"#{index} {method} {_short_uri(uri)} -> {status}"
                                         + (f" [{operation}]" if operation else "")))
            drifted = drift_at.get(index)
            if drifted:  # shown, never a failure: JUnit readers list system-out under the test case
                out = ET.SubElement(case, "system-out")
                out.text = _x("\n".join(f"[drift] {v.path}: {v.message}" for v in drifted))
            found = by_index.get(index)
            if not found:
                continue
            message = "; ".join(f"[{v.rule}] {v.message}" for v in found)
            detail = "\n".join(
                f"rule: {v.rule}\noperation: {v.operation or '-'}\nrequest: {v.method} {v.uri}\nstatus: {v.status}\n"
                f"path: {v.path or '-'}\nmessage: {v.message}\n"
                for v in found
            )
            failure = ET.SubElement(case, "failure", type=_x(found[0].rule), message=_x(message))
            failure.text = _x(detail)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _failed_indices(violations: list[Violation]) -> set[int]:
    return {v.interaction for v in violations}


def render_html(report: Report, sources: list[str] | None = None) -> str:
    """Delegates to `contract.report_html` (owned by the plugin side)."""
    from contract.report_html import render_html as _html

    return str(_html(report, sources or []))


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "html": render_html,
}


def render(report: Report, fmt: str) -> str:
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(RENDERERS)})") from None
    return renderer(report)
