"""`vmss-contract env az`: print what points the real Azure CLI at a running emulator or replay server."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def command() -> None:
    """Print the environment a client needs to use a running server offline."""


@command.command("az")
@click.option("--url", required=True, help="The server's https URL, as its `listening on` line printed it.")
@click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The --tls-dir the server was started with (its ca.pem); default: the per-user cache folder.")
@click.option("--config-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="AZURE_CONFIG_DIR for this server (default: a folder per host and port in the per-user cache), "
                   "so your own az login is left alone.")
@click.option("--format", "fmt", type=click.Choice(["sh", "json"]), default="sh", show_default=True)
@click.option("--check/--no-check", default=True, show_default=True,
              help="First make sure the server answers /metadata/endpoints over TLS with that CA.")
def az(url: str, tls_dir: Path | None, config_dir: Path | None, fmt: str, check: bool) -> None:
    """Export lines and `az cloud register` / `az login` commands for the server at URL.

    Run them in a shell (`eval "$(vmss-contract env az --url URL)"`), then use az as usual:
    `az group create -n rg -l westus`, `az vmss show ...`.
    """
    from urllib.parse import urlsplit

    from contract.azcli import az_recipe
    from contract.servers import default_tls_dir

    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise click.UsageError("--url must be the https URL of a server started with --tls "
                               "(MSAL, which az uses to log in, accepts only https authorities).")
    ca_path = (tls_dir or default_tls_dir()) / "ca.pem"
    if not ca_path.is_file():
        raise click.ClickException(f"no CA at {ca_path}: pass the --tls-dir the server was started with.")
    folder = config_dir or default_tls_dir().parent / "az" / f"{parts.hostname}-{parts.port or 443}"
    if check:
        _check(url, ca_path)
    recipe = az_recipe(url, ca_path, folder.resolve())
    if fmt == "json":
        click.echo(json.dumps({"url": recipe.url, "env": recipe.env, "commands": recipe.commands}, indent=2))
    else:
        click.echo(recipe.shell(), nl=False)


def _check(url: str, ca_path: Path) -> None:
    """Fail with a plain sentence when the server is not there, not https, or has no identity provider."""
    import ssl
    import urllib.error
    import urllib.request

    probe = f"{url.rstrip('/')}/metadata/endpoints?api-version=2022-09-01"
    try:
        context = ssl.create_default_context(cafile=str(ca_path))
        with urllib.request.urlopen(probe, context=context, timeout=10) as answer:  # noqa: S310 (https only)
            metadata = json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"{probe} answered {exc.code}: start the server with its identity provider "
                                   "(the default; not --no-identity).") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise click.ClickException(f"cannot read {probe}: {reason}") from None
    if not isinstance(metadata, dict) or "authentication" not in metadata:
        raise click.ClickException(f"{probe} is not ARM cloud metadata: is {url} a vmss-contract server?")
