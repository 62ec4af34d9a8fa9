"""Where a rule's source can be read by someone who has only the installed package.

Rules cite the documents the project was built from as "seed 000", a seed file name such as
`002_d3ce88703c41e133.txt`, or "ARM-FACTS". Seeds are public Microsoft Learn pages: each maps to
its public address. ARM-FACTS (what real ARM traffic showed) ships in the package as
`specs/ARM-FACTS.md`, so a citation of it names that file.
"""
from __future__ import annotations

import re

# The seed documents (../shared/seeds/README.md says what each is) and the public page each one is.
SEED_DOCS: dict[str, str] = {
    # VMSS create or update, api-version 2017-03-30, and an older (2016-04-30-preview) edition of it.
    "000": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/create-or-update",
    "001": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-sets/create-or-update",
    # "Modify an Azure virtual machine scale set"
    "002": "https://learn.microsoft.com/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-upgrade-scale-set",
    # "Virtual Machine Scale Set VM Run Commands - Create Or Update", api-version 2024-07-01
    "003": "https://learn.microsoft.com/rest/api/compute/virtual-machine-scale-set-vm-run-commands/create-or-update",
    # "Networking for Azure Virtual Machine Scale Sets"
    "004": "https://learn.microsoft.com/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-networking",
}
ARM_FACTS_FILE = "ARM-FACTS.md"  # shipped in specs/ (contract/_specs/ in a wheel): contract.specs.specs_dir()
SWAGGER = "https://github.com/Azure/azure-rest-api-specs/tree/main/specification/compute/resource-manager"

_SPEC_FILE = re.compile(r"\bspecs/([\w.-]+\.(?:yaml|md))\b")
_SEED = re.compile(r"\bseed (\d{3})\b|\b(\d{3})_[0-9a-f]{16}\.txt\b", re.I)


def references(source: str) -> list[str]:
    """The public URLs and shipped files a rule's `source` text points to, in order, without repeats."""
    found: list[str] = []
    if source.startswith("https://"):  # a rule whose source is a public page (rules.yaml `source: {url: ...}`)
        found.append(source.split()[0].rstrip(":,"))
    for m in _SEED.finditer(source):
        url = SEED_DOCS.get(m.group(1) or m.group(2))
        if url:
            found.append(url)
    if "ARM-FACTS" in source:
        from contract.specs import specs_dir

        found.append(str(specs_dir() / ARM_FACTS_FILE))
    for name in _SPEC_FILE.findall(source):  # e.g. "specs/rules.yaml facts...": the shipped copy
        from contract.specs import specs_dir

        found.append(str(specs_dir() / name))
    if "swagger" in source.lower():
        found.append(SWAGGER)
    return list(dict.fromkeys(found))
