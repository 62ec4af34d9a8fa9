"""`vmss-contract emulate`: serve the stateful VMSS emulator until stopped."""
from __future__ import annotations

from pathlib import Path

import click

from contract.servers import server_options


@click.command()
@click.option("--lro-polls", default=1, show_default=True, type=click.IntRange(0, 1000),
              help="Polls of an operation that answer InProgress before it succeeds.")
@server_options
def command(lro_polls: int, host: str, port: int, tls: bool, tls_dir: Path | None) -> None:
    """Run an in-memory VMSS API that answers like ARM (state is lost on exit)."""
    from contract.emulator import create_app
    from contract.servers import serve_forever

    serve_forever(create_app(lro_polls=lro_polls), host=host, port=port, tls=tls, tls_dir=tls_dir)
