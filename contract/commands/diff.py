"""`vmss-contract diff OLD NEW`: did the API change between two recordings of the same journey?"""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rendering here instead of standard output.")
def command(old: Path, new: Path, fmt: str, output: Path | None) -> None:
    """Compare OLD and NEW (cassette files or folders) per operation: statuses, response members,
    types, enumeration values, LRO headers, operations that appeared or vanished. Ids, timestamps,
    etags, request ids and pseudonyms are ignored.

    Exit 0 when the contract surface is the same, 1 when it drifted, 2 on bad input.
    """
    from contract.cassette import CassetteError
    from contract.diff import diff, render

    for path in (old, new):
        if not path.exists():
            click.echo(f"Error: {path} does not exist", err=True)
            sys.exit(2)
    try:
        drift = diff(str(old), str(new))
    except (CassetteError, ValueError, OSError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    for side in (drift.old, drift.new):
        if not side.interactions:
            click.echo(f"Error: {side.source} holds no interactions: nothing to compare", err=True)
            sys.exit(2)
    text = render(drift, fmt)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{'no drift' if drift.same else f'{len(drift.changes)} change(s)'}: {output}")
    else:
        click.echo(text, nl=False)
    sys.exit(0 if drift.same else 1)
