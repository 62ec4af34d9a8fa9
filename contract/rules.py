"""What JSON Schema cannot say: cross-field, api-version and transition rules.

`specs/rules.yaml` lists each rule (id, explanation, seed passage, ARM error);
this module turns them into predicates shared by the emulator (which answers
with the rule's ARM error) and the checker (which reports a violation).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["Rule", "RuleViolation", "Rules", "load_rules", "merge_patch"]


@dataclass(frozen=True)
class Rule:
    """One entry of rules.yaml."""

    id: str
    summary: str
    source: str  # seed file
    quote: str  # seed passage
    code: str  # ARM error code the emulator answers with
    status: int


@dataclass(frozen=True)
class RuleViolation:
    """A broken rule; `code`/`status` are the ARM error the emulator answers with."""

    rule_id: str
    message: str
    target: str | None
    code: str
    status: int


@dataclass
class Rules:
    rules: dict[str, Rule] = field(default_factory=dict)

    def check_request(
        self,
        operation_id: str,
        body: Any,
        api_version: str | None,
        current: dict[str, Any] | None = None,
    ) -> list[RuleViolation]:
        """Cross-field and api-version rules; transition rules too when `current` is given."""
        raise NotImplementedError

    def check_transition(self, before: dict[str, Any], after: dict[str, Any]) -> list[RuleViolation]:
        """Transition rules between two observed models of the same scale set."""
        raise NotImplementedError


def merge_patch(model: Any, patch: Any) -> Any:
    """ARM PATCH semantics: objects merge recursively, arrays and scalars replace whole; returns a new dict."""
    raise NotImplementedError


@lru_cache(maxsize=4)
def load_rules(path: str | os.PathLike[str] | None = None) -> Rules:
    """Load `specs/rules.yaml` once (cached)."""
    raise NotImplementedError
