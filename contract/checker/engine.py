"""Drives the checks over cassettes: classify, per-interaction checks, state machines.

Data flows one way: cassettes in, a `Report` out. The spec and the rules file are
loaded once (both cached by their modules) and shared by every cassette.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from contract.cassette import Cassette, Interaction
from contract.checker.classify import DEPLOYMENT, IN, UNDOCUMENTED, Place, outside_reason, place
from contract.checker.deployments import DEPLOYMENT_OPERATIONS
from contract.checker.interaction import Bodies, InteractionChecks, Seen
from contract.checker.model import CassetteResult, Outside, Report, Violation
from contract.checker.existence import ExistingResources
from contract.checker.identities import IDENTITIES
from contract.checker.network import NETWORK
from contract.checker.state import World

Source = str | os.PathLike[str] | Cassette | Interaction


class CheckError(Exception):
    """Bad input to the checker (an unreadable cassette, a path that does not exist)."""


def _load(sources: Source | Iterable[Source]) -> list[Cassette]:
    from contract.cassette import load_cassette

    if isinstance(sources, (str, os.PathLike, Cassette, Interaction)):
        sources = [sources]
    cassettes: list[Cassette] = []
    loose: list[Interaction] = []
    paths: list[Path] = []

    def flush_loose() -> None:
        if loose:
            cassettes.append(Cassette(list(loose), path="<interactions>"))
            loose.clear()

    for src in sources:
        if isinstance(src, Interaction):
            loose.append(src)
            continue
        flush_loose()
        if isinstance(src, Cassette):
            cassettes.append(src)
        else:
            paths.append(Path(src))
    flush_loose()
    if paths:
        from contract.cassette import iter_cassette_paths

        for p in paths:
            if not p.exists():
                raise CheckError(f"{p}: no such file or directory")
        for p in iter_cassette_paths(paths):
            try:
                cassette = load_cassette(p)
            except Exception as exc:  # CassetteError and friends: say which file, never a traceback
                raise CheckError(str(exc) if str(p) in str(exc) else f"{p}: {exc}") from exc
            if not cassette.interactions and b"interactions" not in Path(p).read_bytes():
                # e.g. a documented example (parameters/responses): "checked clean" would be a lie
                raise CheckError(f"{p}: not a vcrpy cassette (no 'interactions'); "
                                 "documented examples are checked with --examples / example_cassettes()")
            cassettes.append(cassette)
    return cassettes


class Checker:
    """A reusable checker bound to one spec and one rules object."""

    def __init__(self, spec: Any = None, rules: Any = None) -> None:
        from contract.specs import UnknownApiVersion, load_spec

        self.warnings: list[str] = []  # about the checker itself (e.g. no rules file); every report gets them
        self._run_warnings: list[str] = []  # about the traffic of the current check()
        self.spec = spec if spec is not None else load_spec()
        if rules is None:
            rules = _try_rules(self.warnings)
        self.rules = rules
        self.checks = InteractionChecks(self.spec, rules, UnknownApiVersion)
        self._versions_seen: set[str] = set()
        self._unknown_version = UnknownApiVersion
        self._declared: list[tuple[str, Any]] | None = None

    def _note_version(self, version: str, operation_id: str) -> None:
        """Warn once per run about each api-version the contract maps to an older one."""
        self._versions_seen.add(version)
        try:
            resolved = self.spec.resolve_api_version(version, operation_id)
        except self._unknown_version:
            return  # reported per interaction when it was answered 2xx
        if resolved.warning and resolved.warning not in self._run_warnings:
            self._run_warnings.append(resolved.warning)

    def check_cassette(self, cassette: Cassette, coverage: dict[str, dict[str, Any]] | None = None) -> CassetteResult:
        """Every interaction in order: place it, check it alone, feed the state machines."""
        name = str(cassette.path) if cassette.path else "<cassette>"
        result = CassetteResult(name, interactions=len(cassette.interactions))
        world = World(self.rules, getattr(self.spec, "secret_names", frozenset()))
        match_operation, run, feed, current_model = self.spec.match, self.checks.run, world.feed, world.current_model
        entries, violations, drift = result.entries, result.violations, result.drift
        places: dict[tuple[str, str], Place] = {}  # a cassette polls the same URLs over and over: place each once
        counts: dict[Place, dict[str, int]] = {}  # place -> its operation's coverage counts
        bodies = Bodies()  # ... and gets the same answers: parse and judge each distinct body once
        # What the scale sets stand on (network, identities): gone or there, read from every interaction.
        existing = ExistingResources(name, (NETWORK, IDENTITIES)).feed
        for index, interaction in enumerate(cassette.interactions):
            request = interaction.request
            found = existing(index, interaction)
            if found:
                violations.extend(found)
            key = (request.method, request.uri)
            where = places.get(key)
            if where is None:
                where = places[key] = place(match_operation, request.method, request.uri)
                if where.kind is IN:
                    self._first_seen(where, coverage, counts)
            if where.kind is not IN:
                if where.kind is UNDOCUMENTED:
                    self._undocumented(result, index, interaction, where.method, where.path)
                else:
                    result.outside_contract += 1
                    result.outside.append(Outside(name, index, where.method, request.uri,
                                                  interaction.response.status, outside_reason(where)))
                    if where.kind is DEPLOYMENT:
                        for rule, message in world.outside(index, interaction, where.method, where.path):
                            violations.append(Violation(name, index, rule, None, message, None, where.method,
                                                        request.uri, interaction.response.status))
                continue
            status = interaction.response.status
            result.checked += 1
            entries.append((index, where.method, request.uri, where.operation_id, status))
            seen = counts.get(where)
            if seen is not None:
                code = str(status)
                seen[code] = seen.get(code, 0) + 1
            s = Seen(name, index, interaction, where, status, bodies)
            found = run(s, current_model)
            if found:
                for v in found:
                    (drift if v.rule == "drift" else violations).append(v)
            found = feed(s)
            if found:
                violations.extend(found)
            if where.operation_id in DEPLOYMENT_OPERATIONS:  # a deployment may change its group under us
                for rule, message in world.outside(index, interaction, where.method, where.path):
                    violations.append(Violation(name, index, rule, where.operation_id, message, None, where.method,
                                                request.uri, status))
        _apply_opt_outs(result, cassette)
        result.violations.sort(key=lambda v: v.interaction)
        result.drift.sort(key=lambda v: v.interaction)
        return result

    def _first_seen(self, where: Place, coverage: dict[str, dict[str, Any]] | None,
                    counts: dict[Place, dict[str, int]]) -> None:
        """Once per place: its coverage counter, and a warning about an api-version mapped to an older one."""
        if coverage is not None:
            counts[where] = coverage[where.operation_id]["seen"]  # type: ignore[index]
        version = where.version
        if version is not None and version not in self._versions_seen:
            self._note_version(version, where.operation_id)  # type: ignore[arg-type]

    @staticmethod
    def _undocumented(result: CassetteResult, index: int, interaction: Interaction, method: str, path: str) -> None:
        status = interaction.response.status
        result.checked += 1
        result.entries.append((index, method, interaction.request.uri, None, status))
        if 200 <= status < 300:  # refusing an undocumented request is what ARM does
            result.violations.append(Violation(
                result.name, index, "undocumented-operation", None,
                f"answered {status} to {method} {path}, which matches no documented operation",
                None, method, interaction.request.uri, status))

    def check(self, sources: Source | Iterable[Source]) -> Report:
        cassettes = _load(sources)
        report = Report()
        self._versions_seen, self._run_warnings = set(), []
        declared = self._declared
        if declared is None:  # the spec's operations in order, worked out once per checker
            declared = self._declared = [(oid, op.statuses) for oid, op in sorted(self.spec.operations.items())]
        report.coverage = {oid: {"declared": list(statuses), "seen": {}} for oid, statuses in declared}
        for cassette in cassettes:
            result = self.check_cassette(cassette, report.coverage)
            report.results.append(result)
            report.cassettes += 1
            report.interactions += result.interactions
            report.checked += result.checked
            report.outside_contract += result.outside_contract
            report.outside.extend(result.outside)
            report.violations.extend(result.violations)
            report.drift.extend(result.drift)
            for rule, n in result.skipped.items():
                report.skipped[rule] = report.skipped.get(rule, 0) + n
        report.warnings = self.warnings + self._run_warnings
        return report


def _apply_opt_outs(result: CassetteResult, cassette: Cassette) -> None:
    """Move findings the cassette opts out of into `skipped`: every finding of a rule in `metadata.checker.skip`,
    and one finding (rule and JSON path) in `metadata.checker.known` (a recorded mismatch, each with its reason)."""
    opts = (cassette.metadata or {}).get("checker") or {}
    skip = set(opts.get("skip") or ())
    known = {(k.get("rule"), k.get("path")) for k in opts.get("known") or () if isinstance(k, dict)}
    if not skip and not known:
        return
    for name in ("violations", "drift"):
        kept = []
        for v in getattr(result, name):
            if v.rule in skip or (v.rule, v.path) in known:
                result.skipped[v.rule] = result.skipped.get(v.rule, 0) + 1
            else:
                kept.append(v)
        setattr(result, name, kept)


def _try_rules(warnings: list[str]) -> Any:
    try:
        from contract.rules import load_rules

        rules = load_rules()
        rules.check_transition({}, {})
        return rules
    except NotImplementedError:
        warnings.append("contract.rules is not implemented yet: rules-file checks skipped")
    except (OSError, ImportError) as exc:
        warnings.append(f"rules file unavailable ({exc}): rules-file checks skipped")
    return None


def check(sources: Source | Iterable[Source], *, spec: Any = None, rules: Any = None) -> Report:
    """Check cassettes (paths, folders, `Cassette`s or `Interaction`s) against the contract.

    Loose interactions given together form one cassette; paths may be files or folders.
    Raises `CheckError` for input that cannot be read.
    """
    return Checker(spec, rules).check(sources)
