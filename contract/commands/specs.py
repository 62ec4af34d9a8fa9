"""`vmss-contract specs`: list the operations (or rules) the harness knows."""
from __future__ import annotations

import json
from typing import Any

import click

from contract.specs import SpecError, load_spec

_SUB = "/subscriptions/{subscriptionId}"
_RG = "/resourceGroups/{resourceGroupName}"
_COMPUTE = "/providers/Microsoft.Compute"


class _BadInput(click.ClickException):
    exit_code = 2


def operations_json(spec_path: str | None = None) -> list[dict[str, Any]]:
    """The JSON listing: one object per operation, statuses as integers (no `default`)."""
    spec = load_spec(spec_path)
    return [
        {
            "operationId": op.operation_id,
            "method": op.method,
            "path": op.path,
            "apiVersions": list(op.api_versions),
            "statuses": list(op.statuses),
        }
        for op in sorted(spec.operations.values(), key=lambda o: (o.path.lower(), o.method))
    ]


def rules_json(spec_path: str | None = None) -> list[dict[str, Any]]:
    from contract.rules import load_rules
    from contract.sources import references

    return [
        {"id": r.id, "summary": r.summary, "source": r.source, "quote": r.quote, "code": r.code,
         "status": r.status, "operations": sorted(r.operations), "read": references(r.source)}
        for r in load_rules(spec_path).rules.values()
    ]


def _short(path: str) -> str:
    """Drop the ARM prefix every row shares, so the table fits a terminal."""
    scope = "SUB"
    path = path.removeprefix(_SUB)
    if path.startswith(_RG):
        scope, path = "RG", path[len(_RG):]
    return scope + path.removeprefix(_COMPUTE)


def _versions(versions: list[str]) -> str:
    if len(versions) <= 1:
        return ", ".join(versions)
    return f"{versions[0]}+ ({len(versions)})"


@click.command("specs")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--rules", "show_rules", is_flag=True, help="List the rules of specs/rules.yaml instead.")
@click.option("--spec", "spec_path", type=click.Path(exists=True), default=None,
              help="specs folder or OpenAPI file (default: $VMSS_CONTRACT_SPECS or the shipped specs/).")
def command(fmt: str, show_rules: bool, spec_path: str | None) -> None:
    """List the operations the harness knows (operationId, method, path, api-versions, statuses)."""
    try:
        rows = rules_json(spec_path) if show_rules else operations_json(spec_path)
    except SpecError as e:
        raise _BadInput(str(e)) from None
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if show_rules:
        table = Table(title=f"{len(rows)} rules (specs/rules.yaml)")
        for col in ("id", "ARM error", "summary", "source"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(escape(r["id"]), f"{r['status']} {r['code']}", escape(r["summary"]), escape(r["source"]))
    else:
        table = Table(title=escape(f"{len(rows)} operations (specs/vmss.openapi.yaml); SUB = {_SUB}, "
                                   f"RG = {_SUB}{_RG}; {_COMPUTE} left out"))
        for col in ("operationId", "method", "path", "api-versions", "statuses"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(r["operationId"], r["method"], escape(_short(r["path"])), _versions(r["apiVersions"]),
                          " ".join(map(str, r["statuses"])))
    Console().print(table)
