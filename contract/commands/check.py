"""`vmss-contract check`: check cassettes against the VMSS contract.

Exit 0: no violation; 1: violations (or drift, with --fail-on-drift); 2: bad input (unreadable cassette, bad option).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

FORMATS = ("text", "json", "junit", "html")


def _write(path: Path, text: str) -> None:
    """Atomic: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of stdout.")
@click.option("--examples", "examples", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Also check a folder of documented examples (each interaction on its own).")
@click.option("--list-rules", is_flag=True, help="List every rule (id, summary, source) and exit.")
@click.option("--fail-on-drift", is_flag=True,
              help="Exit 1 on drift too (answer members no schema of their api-version documents); "
                   "by default drift is reported and does not fail.")
@click.option("--parity", "parity_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Show a parity result in the HTML report: the file `vmss-contract parity --format json -o FILE` "
                   "wrote (with --format html).")
def command(paths: tuple[Path, ...], fmt: str, output: Path | None, examples: tuple[Path, ...],
            list_rules: bool, fail_on_drift: bool, parity_file: Path | None) -> None:
    """Check PATHS (cassettes, or folders of them) against the VMSS contract.

    Traffic outside the contract (resource groups, deployments, networks, image
    lookups, other hosts) is counted, never flagged.
    """
    if list_rules:
        _print_rules()
        return
    if not paths and not examples:
        _fail("give at least one cassette or folder (or --examples DIR)")
    from contract import report as render
    from contract.checker import CheckError, Checker, example_cassettes

    parity = None
    if parity_file is not None:
        if fmt != "html":
            _fail("--parity shows a parity result in the HTML report: add --format html")
        parity = _read_parity(parity_file)

    try:
        checker = Checker()
        sources: list = list(paths)
        for folder in examples:
            sources.extend(example_cassettes(folder))
        report = checker.check(sources)
    except CheckError as exc:
        _fail(str(exc))
        return
    except ValueError as exc:  # an example folder that cannot be read
        _fail(str(exc))
        return
    if report.cassettes == 0:
        _fail("no cassettes found (*.yaml, *.yml, *.json) in " + ", ".join(str(p) for p in paths))
    if fmt == "text":
        tty = output is None and sys.stdout.isatty()
        width = max(100, shutil.get_terminal_size((160, 40)).columns) if tty else 160
        text = render.render_text(report, color=tty, width=width)
    elif fmt == "html":  # the page of `run`'s report.html: timelines of the cassettes, and parity when given
        from contract.report_html import render_html

        text = render_html(report, sources, parity=parity)
    else:
        text = render.render(report, fmt)
    if output is not None:
        _write(output, text)
        verdict = "no violations" if report.ok else f"{len(report.violations)} violation(s)"
        if report.drift:
            verdict += f", {len(report.drift)} drift finding(s)"
        click.echo(f"{report.cassettes} cassette(s), {report.checked} interaction(s) checked: {verdict} -> {output}",
                   err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(1 if report.failed(fail_on_drift) else 0)


def _read_parity(path: Path) -> dict:
    """The data a `vmss-contract parity --format json` run wrote (only read here; parity runs nothing for check)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _fail(f"{path}: cannot read the parity result: {exc}")
    if not isinstance(data, dict) or not isinstance(data.get("by_operation"), dict) or "scale_set" not in data:
        _fail(f"{path}: not a parity result (write one with: vmss-contract parity CASSETTE --format json -o {path})")
    return data


def _print_rules() -> None:
    from contract.checker import RULES, rules_file_entries
    from contract.rules import load_rules
    from contract.sources import references

    try:
        extra = rules_file_entries(load_rules())
    except Exception as exc:  # the list of checker rules is still worth showing
        click.echo(f"warning: rules file unavailable: {exc}", err=True)
        extra = []
    for info in [*RULES.values(), *extra]:
        click.echo(f"{info.id}  [{info.category}]\n    {info.summary}\n    source: {info.source}")
        for where in references(info.source):
            click.echo(f"    read: {where}")
