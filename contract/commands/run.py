"""`vmss-contract run`: the whole loop on shipped defaults (no Azure account needed)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.console import Console

    from contract.pipeline import RunResult


@click.command(name="run")
@click.option("--upstream", default=None, metavar="URL",
              help="Record from this ARM endpoint (e.g. https://management.azure.com). Default: an embedded emulator.")
@click.option("--upstream-ca", default=None, type=click.Path(exists=True, dir_okay=False), help="Extra CA (PEM) for the upstream.")
@click.option("--out", "out", default="vmss-contract-out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for cassettes/, report.json, junit.xml and report.html.")
@click.option("--subscription", default=None, help="Subscription id (default $AZURE_SUBSCRIPTION_ID, else zeros).")
@click.option("--resource-group", default="vmss-contract-run", show_default=True,
              help="The only resource group a real-Azure run may write to.")
@click.option("--location", default="westus", show_default=True)
@click.option("--allow-writes", is_flag=True,
              help="With --upstream: create (and clean up) a scale set in --resource-group. Without it the run is read-only.")
@click.option("--examples", default=3, show_default=True, type=click.IntRange(0, 200),
              help="Fuzzed valid and invalid create payloads each.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for the fuzzed payloads.")
def command(upstream: str | None, upstream_ca: str | None, out: str, subscription: str | None, resource_group: str,
            location: str, allow_writes: bool, examples: int, seed: int) -> None:
    """Record every journey (the scale set's lifecycle and actions, its network, identities and roles, resource
    groups, deployments at every scope, refusals, fuzzed payloads) through the proxy, replay it offline, check
    it, write reports.

    Exit 0 when the contract holds, 1 when it does not, 2 on bad input.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from contract.journeys.step import DEFAULT_SUBSCRIPTION, Target
    from contract.pipeline import is_loopback, run_pipeline

    console = Console(stderr=False)
    subscription = subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if upstream and not subscription and not is_loopback(upstream):
        raise click.UsageError("a real upstream needs --subscription (or AZURE_SUBSCRIPTION_ID)")
    target = Target(subscription or DEFAULT_SUBSCRIPTION, resource_group, location)
    # The bar counts steps (the run's calls), each sent twice: recorded, then replayed offline.
    with Progress(TextColumn("[bold]{task.description:<17}"), BarColumn(bar_width=16), MofNCompleteColumn(),
                  TextColumn("steps {task.fields[step]}"), TimeElapsedColumn(), console=console,
                  transient=False) as bar:
        task = bar.add_task("starting", total=None, step="")

        def on_plan(total: int) -> None:
            bar.update(task, total=total)

        def progress(phase: str, step: str) -> None:
            bar.update(task, advance=1, description=phase, step=step[:22])

        try:
            result = run_pipeline(Path(out), upstream=upstream, upstream_ca=upstream_ca, target=target,
                                  allow_writes=allow_writes, examples=examples, seed=seed,
                                  progress=progress, on_plan=on_plan)
        except (OSError, RuntimeError, ValueError) as exc:
            bar.update(task, description="failed", step="")
            bar.stop()
            console.print(f"[red]Error:[/red] {exc}", soft_wrap=True)
            sys.exit(2)
        bar.update(task, description="done", step="")
    _summary(console, result)
    sys.exit(0 if result.holds else 1)


def _summary(console: Console, result: RunResult) -> None:
    from rich.table import Table

    from contract.report import outside_lines

    report = result.report
    table = Table(title=f"vmss-contract run against {result.upstream} ({result.seconds:.1f} s)")
    table.add_column("phase")
    table.add_column("steps as\nexpected", justify="right")
    table.add_column("requests", justify="right")
    table.add_column("replayed\noffline")
    table.add_column(f"cassette (in {_short(result.out)})", overflow="fold")
    for phase in result.phases:
        sent = sum(r.statuses[0] for r in phase.recorded)
        good = sum(1 for r in phase.recorded if r.ok)
        table.add_row(phase.name, f"{good}/{len(phase.recorded)}", str(sent),
                      "identical" if phase.replay_matches else "[red]DIFFERENT[/red]", _below(phase.cassette, result.out))
    console.print(table)
    console.print("steps: the run's calls, each checked for the status it must get; requests: every "
                  "exchange recorded, long-running-operation polls included. The bar counts steps twice "
                  "(recorded, then replayed).", style="dim")
    for r in result.unexpected:
        console.print(f"[yellow]unexpected[/yellow] {r.step.name}: {r.step.method} -> {r.status}"
                      f" {r.error_code or ''} {r.final or ''} (expected {'/'.join(map(str, r.step.expect))})")
    violations = list(report.violations)
    console.print(
        f"checked {report.checked} of {report.interactions} interactions, {report.outside_contract} outside the contract, "
        f"{len(violations)} violation(s)")
    for line in outside_lines(report, width=console.width):
        console.print(line, markup=False)
    for v in violations[:20]:
        where = f" at {v.path}" if getattr(v, "path", None) else ""
        console.print(f"  [red]{v.rule}[/red] {v.operation} #{v.interaction}: {v.message}{where}")
    for kind, path in result.files.items():
        console.print(f"{kind:>6}: {_short(path)}")
    verdict = "[green]the contract holds[/green]" if result.holds else "[red]the contract does not hold[/red]"
    console.print(verdict)


def _below(path: Path, folder: Path) -> str:
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


def _short(path: Path) -> str:
    """A path as the user typed it: relative to where they are, when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
