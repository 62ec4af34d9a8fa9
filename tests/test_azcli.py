"""contract.azcli and `vmss-contract env az`: the recipe that points the real az CLI at a server."""
from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract.azcli import az_recipe
from contract.cli import main
from contract.emulator import create_app
from contract.identity import mount_identity
from contract.servers import BackgroundServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    tls_dir = tmp_path_factory.mktemp("tls")
    with BackgroundServer(lambda: mount_identity(create_app()), tls=True, tls_dir=tls_dir) as running:
        yield running


def test_env_az_prints_the_recipe_for_a_running_server(server: BackgroundServer, tmp_path: Path) -> None:
    assert server.ca_path is not None
    result = CliRunner().invoke(main, ["env", "az", "--url", server.url, "--tls-dir", str(server.ca_path.parent),
                                       "--config-dir", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    recipe = json.loads(result.output)
    assert recipe["env"]["REQUESTS_CA_BUNDLE"] == str(server.ca_path)
    assert recipe["env"]["AZURE_CORE_INSTANCE_DISCOVERY"] == "false"
    assert recipe["env"]["AZURE_CONFIG_DIR"] == str(tmp_path.resolve())
    assert recipe["commands"][0] == ["az", "cloud", "register", "--name", "VmssContract",
                                     "--endpoint-resource-manager", server.url]
    assert [c[1] for c in recipe["commands"]] == ["cloud", "cloud", "login", "account"]

    shell = CliRunner().invoke(main, ["env", "az", "--url", server.url, "--tls-dir", str(server.ca_path.parent),
                                      "--config-dir", str(tmp_path)])
    assert shell.exit_code == 0, shell.output
    lines = [line for line in shell.output.splitlines() if not line.startswith("#")]
    assert f"export REQUESTS_CA_BUNDLE={shlex.quote(str(server.ca_path))}" in lines
    assert any(line.startswith("az login --service-principal") for line in lines)


def test_env_az_refuses_what_az_cannot_use(server: BackgroundServer, tmp_path: Path) -> None:
    assert server.ca_path is not None
    plain = CliRunner().invoke(main, ["env", "az", "--url", "http://127.0.0.1:1"])
    assert plain.exit_code == 2 and "https" in plain.output
    no_ca = CliRunner().invoke(main, ["env", "az", "--url", server.url, "--tls-dir", str(tmp_path)])
    assert no_ca.exit_code == 1 and "no CA at" in no_ca.output
    nobody = CliRunner().invoke(main, ["env", "az", "--url", "https://127.0.0.1:1",
                                       "--tls-dir", str(server.ca_path.parent)])
    assert nobody.exit_code == 1 and "cannot read" in nobody.output


def test_recipe_shell_quotes_paths() -> None:
    recipe = az_recipe("https://127.0.0.1:5/", "/tmp/a b/ca.pem", "/tmp/cfg")
    assert recipe.url == "https://127.0.0.1:5"
    assert "export REQUESTS_CA_BUNDLE='/tmp/a b/ca.pem'" in recipe.shell()
