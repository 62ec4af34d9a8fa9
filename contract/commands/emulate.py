"""`vmss-contract emulate`: serve the stateful VMSS emulator until stopped."""
from __future__ import annotations

from pathlib import Path

import click

from contract.servers import server_options


@click.command()
@click.option("--lro-polls", default=1, show_default=True, type=click.IntRange(0, 1000),
              help="Polls of an operation that answer InProgress before it succeeds.")
@click.option("--strict-operations", is_flag=True,
              help="Answer 409 OperationNotAllowed to a write while the scale set's operation still runs "
                   "(default: finish the running one at once).")
@click.option("--identity/--no-identity", default=True, show_default=True,
              help="Also serve a local fake identity provider (OpenID discovery, OAuth token endpoints, managed "
                   "identity) under /identity and ARM's /metadata/endpoints on the same port; see `env az`.")
@server_options
def command(lro_polls: int, strict_operations: bool, host: str, port: int, tls: bool, tls_dir: Path | None,
            identity: bool) -> None:
    """Run an in-memory VMSS API that answers like ARM (state is lost on exit)."""
    from contract.emulator import create_app
    from contract.servers import serve_forever

    app = create_app(lro_polls=lro_polls, strict_operations=strict_operations)
    if identity:
        from contract.identity import mount_identity

        mount_identity(app)
    serve_forever(app, host=host, port=port, tls=tls, tls_dir=tls_dir)
