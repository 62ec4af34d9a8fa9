"""`vmss-contract record`: the recording proxy in front of Azure (or the emulator)."""
from __future__ import annotations

from pathlib import Path

import click

from contract.servers import server_options


@click.command()
@click.option("--cassette", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Cassette (vcrpy YAML) to record into; every finished exchange is on disk at once.")
@click.option("--upstream", default="https://management.azure.com", show_default=True,
              help="Where requests go; TLS to it is verified.")
@click.option("--upstream-ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra CA bundle to trust for the upstream (e.g. the emulator's ca.pem).")
@click.option("--record-mode", type=click.Choice(["once", "new_episodes", "all"]), default="once",
              show_default=True,
              help="once: refuse an existing cassette; new_episodes: add what is not yet recorded; all: re-record.")
@click.option("--read-only", is_flag=True, help="Refuse PUT/PATCH/POST/DELETE with a 403; record nothing for them.")
@click.option("--allow-resource-group", "allow_resource_groups", multiple=True, metavar="GLOB",
              help="Allow writes only in resource groups matching GLOB (repeatable); others get a 403.")
@click.option("--credential", is_flag=True,
              help="Fetch tokens with azure-identity's DefaultAzureCredential for clients that send none "
                   "(only toward --upstream, only inside --allow-resource-group when given). A privileged "
                   "mode: loopback --host only, unless --allow-remote is given too.")
@click.option("--sanitize-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML with extra sanitizer rules (remove_headers, secret_fields, json_paths, regexes, salt_file).")
@click.option("--timeout", default=120.0, show_default=True, type=click.FloatRange(0.1),
              help="Seconds to wait for the upstream before answering 504.")
@click.option("--max-body", default=4 * 1024 * 1024, show_default=True, type=click.IntRange(0),
              help="Largest request body in bytes (ARM's documented limit is 4 MB); larger ones get 413 and "
                   "are neither forwarded nor recorded.")
@click.option("--durable", is_flag=True,
              help="fsync the cassette after every exchange (survives a power cut). Without it each exchange "
                   "is written before its answer is sent (survives the recorder being killed) and fsynced at exit.")
@server_options
def command(cassette: Path, upstream: str, upstream_ca: Path | None, record_mode: str, read_only: bool,
            allow_resource_groups: tuple[str, ...], credential: bool, sanitize_config: Path | None,
            timeout: float, max_body: int, durable: bool, host: str, port: int, tls: bool,
            tls_dir: Path | None) -> None:
    """Record traffic through this proxy into a sanitized, replayable cassette.

    Point your client at the printed URL (use --tls for the Azure SDK). Secrets never
    reach disk; subscription/tenant/principal ids become stable fake GUIDs. One recorder per
    cassette (a second one is refused). If an exchange cannot be written (full disk, I/O error)
    the client still gets its answer, the cassette keeps every complete exchange before it,
    nothing more is recorded, and the command exits 1 listing what is missing.
    """
    from contract.cassette import CassetteError
    from contract.proxy import PROXY, create_app
    from contract.sanitize import Sanitizer
    from contract.servers import _allow_remote_default, is_loopback, serve_forever, setup_logging

    setup_logging()
    if credential and not is_loopback(host):
        if not _allow_remote_default():
            raise click.ClickException(
                f"--credential adds your Azure token to requests: it binds to loopback only, not --host {host} "
                "(add --allow-remote to serve other machines anyway)")
        click.echo(f"warning: --credential on --host {host} with --allow-remote: anyone who can reach it acts "
                   "in Azure as you", err=True)
    try:
        sanitizer = Sanitizer(sanitize_config)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    cred = None
    if credential:
        from azure.identity import DefaultAzureCredential

        cred = DefaultAzureCredential()
    try:
        app = create_app(cassette, upstream, upstream_ca=upstream_ca, record_mode=record_mode,
                         read_only=read_only, allow_resource_groups=allow_resource_groups,
                         sanitizer=sanitizer, credential=cred, timeout=timeout, max_body=max_body,
                         durable=durable)
    except (CassetteError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    proxy = app[PROXY]
    try:
        serve_forever(app, host=host, port=port, tls=tls, tls_dir=tls_dir)
    finally:
        proxy.recorder.lock.release()  # also when the server never started (port taken)
    if proxy.lost:
        click.echo(proxy.lost_summary(), err=True)
        raise SystemExit(1)
