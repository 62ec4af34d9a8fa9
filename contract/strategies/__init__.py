"""Hypothesis strategies for VMSS request bodies: valid ones and ones that break one rule.

Valid payloads are built by walking the spec's request schema (`Spec.request_schema`)
and filling every leaf either with a realistic value (a region Azure has, a VM size it
sells, an image that exists, ARM ids that point into one virtual network ...) or, where
we know nothing better, with what hypothesis-jsonschema draws for that leaf. Invalid
payloads start from a valid one and break exactly one documented constraint, either a
schema keyword (found by walking the schema) or a rule of `specs/rules.yaml` (read via
`contract.rules`), and carry the ARM error the service must answer with.

Modules, in the order data flows through them:
- `bits`: many small choices served from a few wide draws (the speed of it all);
- `values`, `ssh`, `network`: realistic Azure values and ARM ids;
- `scenario`: the facts one payload agrees on (region, size, image, network);
- `schema`: reading the request schema; the only module importing hypothesis-jsonschema;
- `overlays`, `walker`: filling a schema with realistic values;
- `valid`: `valid_payloads`;
- `paths`, `mutations`, `moves`, `invalid`: `invalid_payloads` and `InvalidPayload`.
Import from `contract.strategies`; the modules' layout is not an interface.
"""
from __future__ import annotations

from contract.strategies.invalid import InvalidPayload, invalid_payloads, schema_error_answer
from contract.strategies.moves import Proposal
from contract.strategies.mutations import Mutation
from contract.strategies.network import (
    NetworkContext, application_gateway_pool_ids, key_vault_ids, load_balancer_pool_ids, network_contexts, subnet_ids,
)
from contract.strategies.overlays import DEFER, OMIT, OVERLAYS, Overlay, Path
from contract.strategies.paths import Keys, json_path, parse_path
from contract.strategies.scenario import Scenario, scenario_from_model, scenarios, spec_vm_sizes
from contract.strategies.ssh import ssh_public_keys
from contract.strategies.valid import valid_payloads
from contract.strategies.values import (
    ADMIN_USERNAMES_RESERVED, IMAGES, LOCATIONS, VM_SIZES, WORDS, ZONAL_LOCATIONS, Image, admin_passwords,
    admin_usernames, blob_uris, computer_name_prefixes, images, ipv4_addresses, locations, resource_names,
    subscription_ids, vm_sizes,
)
from contract.strategies.walker import CREATE_ALWAYS, OPTIONAL_NAMES, WITH_PARENT

__all__ = [
    "ADMIN_USERNAMES_RESERVED",
    "IMAGES",
    "LOCATIONS",
    "VM_SIZES",
    "Image",
    "InvalidPayload",
    "NetworkContext",
    "Scenario",
    "admin_passwords",
    "admin_usernames",
    "application_gateway_pool_ids",
    "computer_name_prefixes",
    "blob_uris",
    "images",
    "invalid_payloads",
    "ipv4_addresses",
    "json_path",
    "key_vault_ids",
    "load_balancer_pool_ids",
    "locations",
    "network_contexts",
    "parse_path",
    "resource_names",
    "scenario_from_model",
    "scenarios",
    "schema_error_answer",
    "spec_vm_sizes",
    "ssh_public_keys",
    "subnet_ids",
    "subscription_ids",
    "valid_payloads",
    "vm_sizes",
]
# Also importable, for code that tunes generation (not in `import *`):
# ZONAL_LOCATIONS, WORDS, OMIT, DEFER, OVERLAYS, OPTIONAL_NAMES, CREATE_ALWAYS, WITH_PARENT,
# and the type aliases Path, Overlay, Keys, Mutation, Proposal.
