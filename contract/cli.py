"""The `vmss-contract` command.

Each sub-command lives in its own module under `contract/commands/` and is
imported only when it runs, so `vmss-contract --help` does not pay for
aiohttp, hypothesis or the Azure SDK.
"""
from __future__ import annotations

import importlib

import click

from contract import __version__

# name -> (module under contract.commands, one-line help shown by --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "Record a lifecycle against the emulator (or Azure), replay it, check it, write reports."),
    "record": ("record", "Run the recording proxy in front of Azure (or the emulator)."),
    "replay": ("replay", "Serve cassettes offline as an ARM endpoint."),
    "emulate": ("emulate", "Run the stateful VMSS emulator."),
    "check": ("check", "Check cassettes against the VMSS contract."),
    "scrub": ("scrub", "Re-sanitize existing cassettes in place with the current rules."),
    "fuzz": ("fuzz", "Send generated valid and invalid payloads to an endpoint."),
    "diff": ("diff", "Compare two recordings of the same journey at the contract level (drift)."),
    "parity": ("parity", "Measure how faithfully the emulator answers a recording's own traffic."),
    "specs": ("specs", "List the operations the harness knows."),
    "env": ("env", "Print what points a client (`env az`: the real Azure CLI) at a running server, offline."),
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"contract.commands.{module_name}")
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="vmss-contract")
def main() -> None:
    """Contract-testing harness for the Azure Virtual Machine Scale Set REST API."""
