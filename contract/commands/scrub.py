"""`vmss-contract scrub`: re-sanitize existing cassettes in place with the current rules."""
from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("cassettes", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--sanitize-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML with extra sanitizer rules (as for `record`).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def command(cassettes: tuple[Path, ...], sanitize_config: Path | None, dry_run: bool) -> None:
    """Re-sanitize CASSETTES (files or folders) atomically and report what changed.

    Use it after upgrading vmss-contract (new rules) or on cassettes recorded by other
    tools. Files are replaced atomically, under the same lock a recorder holds. Exits 1
    if a file cannot be read or written.
    """
    from contract.cassette import CassetteError, iter_cassette_paths
    from contract.sanitize import Sanitizer, scrub_cassette
    from contract.servers import setup_logging

    setup_logging()
    try:
        sanitizer = Sanitizer(sanitize_config)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    failed = 0
    for path in iter_cassette_paths(cassettes):
        try:
            click.echo(scrub_cassette(path, sanitizer, dry_run=dry_run).summary())
        except (CassetteError, OSError) as exc:
            failed += 1
            click.echo(f"{path}: not scrubbed: {exc}", err=True)
    if failed:
        raise SystemExit(1)
