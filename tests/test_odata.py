"""contract.emulator.odata: ARM's $filter for the generic resource lists."""
from __future__ import annotations

import pytest

from contract.emulator.odata import FilterError, parse_filter

VMSS = {"id": "/subscriptions/s/resourceGroups/RG1/providers/Microsoft.Compute/virtualMachineScaleSets/web",
        "name": "web", "type": "Microsoft.Compute/virtualMachineScaleSets", "location": "westus",
        "tags": {"env": "dev"}}
VNET = {"id": "/subscriptions/s/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/net",
        "name": "net", "type": "Microsoft.Network/virtualNetworks", "location": "eastus"}


@pytest.mark.parametrize(("text", "expected"), [
    (None, ["web", "net"]),
    ("resourceType eq 'microsoft.compute/virtualMachineScaleSets'", ["web"]),  # ARM names are case-insensitive
    ("resourceType ne 'Microsoft.Compute/virtualMachineScaleSets'", ["net"]),
    ("name eq 'web' and location eq 'eastus'", []),
    ("resourceGroup eq 'rg1' or name eq 'net'", ["web", "net"]),
    ("substringof('ne', name)", ["net"]),
    ("tagName eq 'env' and tagValue eq 'dev'", ["web"]),
    ("tagName eq 'env' and tagValue eq 'prod'", []),
    ("tagName eq 'ENV'", ["web"]),
    ("name eq 'it''s'", []),
])
def test_filters_select_what_arm_would(text: str | None, expected: list[str]) -> None:
    keep = parse_filter(text)
    assert [r["name"] for r in (VMSS, VNET) if keep(r)] == expected


@pytest.mark.parametrize("text", ["plan eq 'x'", "identity/principalId eq 'x'", "(name eq 'a')", "name gt 'a'",
                                  "substringof('a', location)", "tagValue eq 'v'", "name eq 'a' and"])
def test_filters_it_cannot_apply_are_refused_not_ignored(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)
