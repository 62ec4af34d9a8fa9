"""`vmss-contract fuzz`: send generated valid and invalid payloads to an ARM endpoint.

Exit 0: every valid payload got 2xx and every invalid one its 4xx CloudError and left
the resource unchanged; 1: anything else; 2: bad input (unknown operation, bad option).
The work is done by `contract.lifecycle.fuzz`; this module parses options and renders.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.command()
@click.option("--target", "target_url", required=True, metavar="URL",
              help="Base URL of the endpoint: the emulator, a replay server, or the recording proxy.")
@click.option("--ca", "ca_path", type=click.Path(exists=True, dir_okay=False), metavar="PEM",
              help="CA bundle that signed the endpoint's TLS certificate.")
@click.option("--operation", "operations", multiple=True, metavar="ID",
              help="Operation id to fuzz (repeatable). Default: create, update, run command, manual upgrade, reimage.")
@click.option("--examples", default=5, show_default=True, type=click.IntRange(1, 10_000),
              help="Payloads per operation and kind.")
@click.option("--invalid/--valid-only", "invalid", default=True, show_default=True,
              help="Also send payloads that each break one documented constraint.")
@click.option("--seed", default=0, show_default=True, type=int, help="Hypothesis seed (same seed, same payloads).")
@click.option("--cassette", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save every exchange as a cassette here (sanitized like the recording proxy's).")
@click.option("--azure-login", is_flag=True,
              help="Send a real ARM token (DefaultAzureCredential) instead of the local one: for Azure through "
                   "the recording proxy. $VMSS_CONTRACT_TOKEN also sets the token.")
def command(target_url: str, ca_path: str | None, operations: tuple[str, ...], examples: int, invalid: bool,
            seed: int, cassette: Path | None, azure_login: bool) -> None:
    """Fuzz an endpoint with payloads generated from the specs and rules."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from contract.lifecycle import PLANS, ContractBroken, fuzz
    from contract.specs import load_spec

    token = None
    if azure_login:
        from contract.arm_client import bearer_token as _token

        try:
            token = _token(local=False)
        except RuntimeError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)
    known = load_spec().operations
    for op in operations:
        if op not in PLANS:
            hint = "it is not in the specs" if op not in known else "the fuzzer has no plan for it"
            click.echo(f"Error: cannot fuzz {op!r} ({hint}); choose from: {', '.join(PLANS)}", err=True)
            sys.exit(2)
    _check_target(target_url, ca_path, token)
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(op: str, done: int, total: int) -> None:
            if op not in tasks:
                tasks[op] = bar.add_task(op, total=total)
            bar.update(tasks[op], completed=done)

        try:
            summary = fuzz(target_url, ca_path=ca_path, operations=operations or None, examples=examples,
                           invalid=invalid, seed=seed, token=token, progress=progress)
        except OSError as exc:
            click.echo(f"Error: cannot reach {target_url}: {exc}", err=True)
            sys.exit(2)
        except ContractBroken as exc:
            if "base scale set" not in str(exc) and "virtual network" not in str(exc):
                raise
            click.echo(f"Error: {target_url} {exc}. The fuzzer needs a target that creates scale sets and the "
                       "virtual network they stand on: the emulator "
                       "(vmss-contract emulate) or the recording proxy; a replay server answers only what it recorded.",
                       err=True)
            sys.exit(2)
    table = Table(title=f"vmss-contract fuzz (seed {seed})",
                  caption="valid: sent / 2xx; invalid: sent / refused with the expected code; unchanged: GET after refusal")
    table.add_column("operation", no_wrap=True)
    for column in ("valid", "2xx", "invalid", "refused", "unchanged"):
        table.add_column(column, justify="right")
    for op in summary.operations:
        style = "green" if op.ok else "red"
        table.add_row(op.operation_id, str(op.valid_sent), f"[{style}]{op.valid_accepted}[/]", str(op.invalid_sent),
                      f"[{style}]{op.invalid_rejected}[/]", f"{op.unchanged_ok}/{op.unchanged_checked}")
    out = Console() if sys.stdout.isatty() else Console(width=120)
    out.print(table)
    for op in summary.operations:
        for failure in op.failures:
            out.print(f"[red]FAIL[/] {op.operation_id}: {failure}")
    if summary.violations:
        out.print(f"[yellow]{len(summary.violations)} contract violation(s) in the responses[/] "
                  "(run `vmss-contract check` on --cassette for details)")
    if cassette is not None:
        out.print(f"cassette: {summary.save(cassette)}")
    out.print("[green]all valid payloads accepted, all invalid refused[/]" if summary.ok else "[red]fuzzing found problems[/]")
    sys.exit(0 if summary.ok else 1)


def _check_target(url: str, ca_path: str | None, token: str | None) -> None:
    """An `Error:` line and exit 2 for a target that is not an http(s) URL or does not answer."""
    from urllib.parse import urlsplit

    from contract.arm_client import LOCAL_TOKEN
    from contract.upstream import unreachable_cause

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        click.echo(f"Error: --target must be an http(s) URL such as https://127.0.0.1:8443, not {url!r}", err=True)
        sys.exit(2)
    cause = unreachable_cause(url, ca_path, token or os.environ.get("VMSS_CONTRACT_TOKEN") or LOCAL_TOKEN, ca_option="--ca")
    if cause:
        click.echo(f"Error: cannot reach {url}: {cause}", err=True)
        sys.exit(2)
