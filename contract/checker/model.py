"""The report model: plain data the renderers in `contract.report` turn into text,
JSON, JUnit or HTML. Nothing here knows how it is shown."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract.checker.limits import NOT_CHECKED


@dataclass
class Violation:
    cassette: str
    interaction: int
    rule: str
    operation: str | None
    message: str
    path: str | None = None  # offending JSON path in the body, when there is one
    method: str = ""
    uri: str = ""
    status: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "cassette": self.cassette,
            "interaction": self.interaction,
            "rule": self.rule,
            "operation": self.operation,
            "message": self.message,
            "path": self.path,
            "method": self.method,
            "uri": self.uri,
            "status": self.status,
        }


@dataclass
class Outside:
    """An interaction the contract does not speak for, and why (another host, no matching operation)."""

    cassette: str
    interaction: int
    method: str
    uri: str
    status: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"cassette": self.cassette, "interaction": self.interaction, "method": self.method,
                "uri": self.uri, "status": self.status, "why": self.reason}


@dataclass
class CassetteResult:
    """What one cassette gave: counts and its violations (kept in interaction order)."""

    name: str
    interactions: int = 0
    checked: int = 0
    outside_contract: int = 0
    violations: list[Violation] = field(default_factory=list)
    drift: list[Violation] = field(default_factory=list)  # rule "drift": undocumented answer members (not failing)
    skipped: dict[str, int] = field(default_factory=dict)  # findings of rules the cassette opts out of
    outside: list[Outside] = field(default_factory=list)  # each outside-contract interaction, with why
    # (index, method, uri, operationId or None, status) of each in-contract interaction, for per-interaction views
    entries: list[tuple[int, str, str, str | None, int]] = field(default_factory=list)


@dataclass
class Report:
    cassettes: int = 0
    interactions: int = 0
    checked: int = 0
    outside_contract: int = 0
    violations: list[Violation] = field(default_factory=list)
    # answer members no schema of their api-version documents: shown everywhere, failing only when asked
    drift: list[Violation] = field(default_factory=list)
    # operationId -> {"declared": [statuses], "seen": {"200": n, ...}}
    coverage: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: list[CassetteResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    outside: list[Outside] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def failed(self, fail_on_drift: bool = False) -> bool:
        """Should this report fail a build? Violations always; drift only when asked (`--fail-on-drift`)."""
        return bool(self.violations) or (fail_on_drift and bool(self.drift))

    def coverage_summary(self) -> dict[str, dict[str, int]]:
        """How much of the spec the traffic exercised: operations, and documented (operation, status) pairs."""
        declared = sum(len(v.get("declared", ())) for v in self.coverage.values())
        seen = sum(1 for v in self.coverage.values() for s in v.get("declared", ()) if str(s) in v.get("seen", {}))
        exercised = sum(1 for v in self.coverage.values() if v.get("seen"))
        return {"operations": {"exercised": exercised, "documented": len(self.coverage)},
                "pairs": {"exercised": seen, "documented": declared}}

    def by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in self.violations:
            counts[v.rule] = counts.get(v.rule, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape issue 4 fixes, plus a few extra keys readers may ignore."""
        return {
            "cassettes": self.cassettes,
            "interactions": self.interactions,
            "checked": self.checked,
            "outside_contract": self.outside_contract,
            "violations": [v.as_dict() for v in self.violations],
            "drift": [v.as_dict() for v in self.drift],
            "outside": [o.as_dict() for o in self.outside],
            "coverage": self.coverage,
            "coverage_summary": self.coverage_summary(),
            "per_cassette": [
                {
                    "cassette": r.name,
                    "interactions": r.interactions,
                    "checked": r.checked,
                    "outside_contract": r.outside_contract,
                    "violations": len(r.violations),
                    "drift": len(r.drift),
                }
                for r in self.results
            ],
            "skipped": self.skipped,
            "warnings": self.warnings,
            "not_checked": list(NOT_CHECKED),
        }
