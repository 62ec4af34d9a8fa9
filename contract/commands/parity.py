"""`vmss-contract parity`: how faithfully does the emulator answer a real recording's traffic?

Exit 0: measured (and above any --min-* floor); 1: below a floor; 2: bad input.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

FORMATS = ("text", "json")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE instead of stdout.")
@click.option("--lro-polls", type=click.IntRange(0, 20), default=1, show_default=True,
              help="InProgress polls the emulator answers before an operation finishes.")
@click.option("--min-status", type=click.FloatRange(0, 100), default=None,
              help="Exit 1 when scale-set status agreement (percent) is below this.")
@click.option("--min-similarity", type=click.FloatRange(0, 100), default=None,
              help="Exit 1 when scale-set member similarity (percent) is below this.")
def command(paths: tuple[Path, ...], fmt: str, output: Path | None, lro_polls: int,
            min_status: float | None, min_similarity: float | None) -> None:
    """Replay each recording in PATHS (cassettes, or folders of them) against a fresh emulator.

    Reports, per operation, whether the emulator's status agrees with Azure's and how alike
    the two answers' member sets are (Jaccard of JSON member paths), with the members missing
    or extra. The summary line for scale-set operations is the figure to watch.
    """
    from contract.cassette import CassetteError, iter_cassette_paths
    from contract.parity import render_json, render_text, run_parity

    files = iter_cassette_paths(paths)
    if not files:
        click.echo("Error: no cassettes found", err=True)
        sys.exit(2)
    try:
        report = run_parity(files, lro_polls=lro_polls)
    except CassetteError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    text = render_json(report) if fmt == "json" else render_text(report)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    summary = report.scale_set
    if min_status is not None and 100 * summary.status_agreement < min_status:
        sys.exit(1)
    if min_similarity is not None and 100 * summary.similarity < min_similarity:
        sys.exit(1)
