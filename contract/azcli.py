"""The recipe that points the real Azure CLI at one of our servers: environment plus commands.

`vmss-contract env az` prints it, and the az CLI test runs exactly it, so the documented recipe is
the tested one. It needs the server's identity provider (`contract.identity`, on by default for
`emulate` and `replay`) and TLS (`--tls`): MSAL refuses an authority that is not https.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from contract.identity import IDENTITY_PREFIX

CLOUD_NAME = "VmssContract"
TENANT = "00000000-0000-0000-0000-000000000000"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # the emulator's default subscription
CLIENT_ID = "vmss-contract-app"
CLIENT_SECRET = "not-a-secret"  # the local identity provider accepts any non-empty secret


def az_requirement() -> str:
    """The pinned azure-cli requirement of the `azcli` extra (what .ci/run installs into .venv-az)."""
    from importlib.metadata import requires

    for requirement in requires("vmss-contract") or []:
        name, _, marker = requirement.partition(";")
        if "azcli" in marker and name.strip().lower().startswith("azure-cli"):
            return name.strip().replace(" ", "")
    raise LookupError("vmss-contract has no `azcli` extra naming azure-cli (pyproject.toml)")


@dataclass(frozen=True)
class AzRecipe:
    """Environment variables to export, then az commands to run once, in order."""

    url: str
    env: dict[str, str] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)

    def shell(self) -> str:
        """POSIX shell text: comments, `export` lines, then the commands."""
        lines = [f"# The real az CLI against {self.url}: tokens come from its fake identity provider "
                 f"({self.url}{IDENTITY_PREFIX}),",
                 "# nothing leaves this machine. AZURE_CONFIG_DIR keeps your own az login untouched."]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in self.env.items()]
        lines += [shlex.join(command) for command in self.commands]
        return "\n".join(lines) + "\n"


def az_recipe(url: str, ca_path: str | Path, config_dir: str | Path, *, tenant: str = TENANT,
              subscription: str = SUBSCRIPTION, cloud: str = CLOUD_NAME) -> AzRecipe:
    """What makes `az` talk to the server at `url` (https) and nothing else.

    - `REQUESTS_CA_BUNDLE`: az (requests) must trust the local CA that signed the server's certificate.
    - `AZURE_CORE_INSTANCE_DISCOVERY=false`: otherwise MSAL asks login.microsoftonline.com whether the
      authority is a known one (azure-cli reads `core.instance_discovery`, azure/cli/core/_profile.py).
    - `AZURE_CORE_COLLECT_TELEMETRY=false`: az would upload telemetry after each command.
    - `az cloud register --endpoint-resource-manager`: az reads `<url>/metadata/endpoints` and takes the
      login endpoint and token audience from it (azure/cli/command_modules/cloud/custom.py).
    """
    base = url.rstrip("/")
    env = {
        "AZURE_CONFIG_DIR": str(config_dir),
        "REQUESTS_CA_BUNDLE": str(ca_path),
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_SURVEY_MESSAGE": "false",
    }
    commands = [
        ["az", "cloud", "register", "--name", cloud, "--endpoint-resource-manager", base],
        ["az", "cloud", "set", "--name", cloud],
        ["az", "login", "--service-principal", "--username", CLIENT_ID, "--password", CLIENT_SECRET,
         "--tenant", tenant, "--output", "none"],
        ["az", "account", "set", "--subscription", subscription],
    ]
    return AzRecipe(url=base, env=env, commands=commands)
