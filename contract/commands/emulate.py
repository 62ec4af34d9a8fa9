"""`vmss-contract emulate`: serve the stateful VMSS emulator until stopped."""
from __future__ import annotations

from pathlib import Path

import click

from contract.servers import server_options


@click.command()
@click.option("--lro-polls", default=1, show_default=True, type=click.IntRange(0, 1000),
              help="Polls of an operation that answer InProgress before it succeeds.")
@click.option("--fast-forward-operations", is_flag=True,
              help="Finish a running operation at once when another write arrives (default: ARM's 409 "
                   "OperationNotAllowed, as Azure answers).")
@click.option("--strict-operations", is_flag=True, hidden=True,
              help="The default now; kept so older command lines still work.")
@click.option("--complete-after", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Seconds after which an operation nobody polls finishes on its own.")
@click.option("--complete-on-read/--no-complete-on-read", default=True, show_default=True,
              help="A read of the scale set or its VMs finishes its running operation (as clients that never "
                   "poll, like az rest or Terraform, expect). Turn off, with --lro-polls N, to watch "
                   "in-between states.")
@click.option("--identity/--no-identity", default=True, show_default=True,
              help="Also serve a local fake identity provider (OpenID discovery, OAuth token endpoints, managed "
                   "identity) under /identity and ARM's /metadata/endpoints on the same port; see `env az`.")
@click.option("--images", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A JSON or YAML file of platform images ({images: [{publisher, offer, sku, os, versions}]}) added "
                   "to the built-in catalogue; a scale set naming an image outside it gets PlatformImageNotFound.")
@click.option("--no-network-integrity", "no_network_integrity", is_flag=True,
              help="Accept a scale set whose subnet, load-balancer pool, NSG, ASG or public IP prefix does not exist. "
                   "Not what Azure does (it answers 400 InvalidResourceReference): by default the emulator refuses "
                   "them too, so create the virtual network before the scale set.")
@click.option("--synchronous", is_flag=True,
              help="Answer every long-running operation synchronously, as ARM's RPC allows and the swagger "
                   "documents (PUT 200/201 in a terminal state, DELETE 200, action 200, no Azure-AsyncOperation), "
                   "to prove a client handles both forms. Azure's Compute answers asynchronously, as the default does.")
@server_options
def command(lro_polls: int, fast_forward_operations: bool, strict_operations: bool, complete_after: float,
            complete_on_read: bool, host: str, port: int, tls: bool, tls_dir: Path | None, identity: bool,
            images: Path | None, no_network_integrity: bool, synchronous: bool) -> None:
    """Run an in-memory VMSS API that answers like ARM (state is lost on exit)."""
    from contract.emulator import create_app
    from contract.servers import serve_forever

    try:
        app = create_app(lro_polls=lro_polls, strict_operations=not fast_forward_operations,
                         complete_after=complete_after, complete_on_read=complete_on_read, images=images,
                         network_integrity=not no_network_integrity, synchronous=synchronous)
    except ValueError as exc:  # a malformed --images file
        raise click.BadParameter(str(exc), param_hint="--images") from None
    if identity:
        from contract.identity import mount_identity

        mount_identity(app)
    serve_forever(app, host=host, port=port, tls=tls, tls_dir=tls_dir)
