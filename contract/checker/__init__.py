"""The contract checker: recorded traffic in, a `Report` of contract violations out.

- `registry`: every rule's stable id, one-line summary and source passage
- `classify`: in-contract vs outside-contract traffic, resource identity from ARM paths
- `interaction`: checks that need one interaction (request side, status, shape, headers)
- `lro`: following long-running operations through their polls
- `state`: per-resource state machines fed in cassette order
- `model`: the report model the renderers in `contract.report` show
- `engine`: wires them together
- `documented`: documented examples as one-interaction cassettes
"""
from __future__ import annotations

from contract.checker.documented import example_cassettes
from contract.checker.engine import Checker, CheckError, check
from contract.checker.model import CassetteResult, Report, Violation
from contract.checker.registry import RULES, RuleInfo, describe, rules_file_entries

__all__ = [
    "RULES",
    "CassetteResult",
    "CheckError",
    "Checker",
    "Report",
    "RuleInfo",
    "Violation",
    "check",
    "describe",
    "example_cassettes",
    "rules_file_entries",
]
