"""`vmss-contract replay`: serve cassettes offline as an ARM endpoint."""
from __future__ import annotations

from pathlib import Path

import click

from contract.servers import server_options


@click.command()
@click.argument("cassettes", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--fallback", type=click.Choice(["error", "emulate"]), default="error", show_default=True,
              help="Answer a request no cassette holds with a NoRecordedInteraction error, or with the emulator.")
@click.option("--allow-repeats", is_flag=True,
              help="Once every recorded answer to a request was served, serve the last one again.")
@click.option("--sanitize-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The recorder's sanitizer config (salt, rules), so requests with real ids match the cassette.")
@click.option("--identity/--no-identity", default=True, show_default=True,
              help="Also serve a local fake identity provider (OpenID discovery, OAuth token endpoints, managed "
                   "identity) under /identity and ARM's /metadata/endpoints on the same port; see `env az`.")
@server_options
def command(cassettes: tuple[Path, ...], fallback: str, allow_repeats: bool, sanitize_config: Path | None,
            host: str, port: int, tls: bool, tls_dir: Path | None, identity: bool) -> None:
    """Serve CASSETTES (files or folders of vcrpy cassettes) until stopped.

    Identical requests get the recorded answers in order; URLs in answers point
    here and polling delays are cut to 1 ms, so SDK long-running operations finish at once.
    """
    from contract.cassette import CassetteError
    from contract.replay import create_app, sanitizing_filter
    from contract.servers import serve_forever, setup_logging

    setup_logging()
    try:
        _refuse_empty(cassettes)
        app = create_app(list(cassettes), fallback=fallback, allow_repeats=allow_repeats,
                         request_filter=sanitizing_filter(sanitize_config))
    except (CassetteError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    except ImportError as exc:  # --fallback emulate without the emulator
        raise click.ClickException(f"--fallback emulate is not available: {exc}") from None
    if identity:
        from contract.identity import mount_identity

        mount_identity(app)
    serve_forever(app, host=host, port=port, tls=tls, tls_dir=tls_dir)


def _refuse_empty(sources: tuple[Path, ...]) -> None:
    """A source that holds nothing to replay is a mistake (a wrong folder, a cassette never recorded),
    not an endpoint that answers every request with a miss."""
    from contract.cassette import iter_cassette_paths, load_cassette

    for source in sources:
        files = iter_cassette_paths([source])
        if not files:
            raise click.ClickException(f"{source}: no cassettes in this folder (*.yaml, *.yml, *.json)")
        if not any(load_cassette(f).interactions for f in files):
            what = "holds no interactions" if source.is_file() else f"has {len(files)} cassette(s), none with interactions"
            raise click.ClickException(f"{source} {what}: nothing to replay (record it first: vmss-contract record)")
