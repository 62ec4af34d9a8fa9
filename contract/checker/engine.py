"""Drives the checks over cassettes: classify, per-interaction checks, state machines.

Data flows one way: cassettes in, a `Report` out. The spec and the rules file are
loaded once (both cached by their modules) and shared by every cassette.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from contract.cassette import Cassette, Interaction
from contract.checker.classify import Uri, in_namespace, split_uri
from contract.checker.interaction import Bodies, InteractionChecks, Seen
from contract.checker.model import CassetteResult, Report, Violation
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
        """Every interaction in order: classify, check it alone, feed the state machines."""
        name = str(cassette.path) if cassette.path else "<cassette>"
        result = CassetteResult(name, interactions=len(cassette.interactions))
        world = World(self.rules, getattr(self.spec, "secret_names", frozenset()))
        match_operation, run, feed, current_model = self.spec.match, self.checks.run, world.feed, world.current_model
        entries, violations, versions_seen = result.entries, result.violations, self._versions_seen
        uris: dict[str, Uri] = {}  # a cassette polls the same URLs over and over: split each once
        places: dict[tuple[str, str], Any] = {}  # (method, path) -> OperationMatch, or where it is outside
        bodies = Bodies()  # ... and gets the same answers: parse and judge each distinct body once
        for index, interaction in enumerate(cassette.interactions):
            request = interaction.request
            method = request.method.upper()
            uri = uris.get(request.uri)
            if uri is None:
                uri = uris[request.uri] = split_uri(request.uri)
            path = uri.path
            match = places.get((method, path))
            if match is None:
                match = places[(method, path)] = _place(match_operation, method, path)
            if match.__class__ is str:
                if match is _UNDOCUMENTED:
                    self._undocumented(result, index, interaction, method, path)
                else:
                    result.outside_contract += 1
                    if match is _DEPLOYMENT:
                        world.outside(index, interaction, method, path)
                continue
            op_id = match.operation.operation_id
            status = interaction.response.status
            result.checked += 1
            entries.append((index, method, request.uri, op_id, status))
            if coverage is not None:
                seen = coverage[op_id]["seen"]
                code = str(status)
                seen[code] = seen.get(code, 0) + 1
            version = uri.api_version
            if version is not None and version not in versions_seen:
                self._note_version(version, op_id)
            s = Seen(name, index, interaction, uri, method, status, match.operation, match.params, bodies)
            found = run(s, current_model)
            if found:
                violations.extend(found)
            found = feed(s)
            if found:
                violations.extend(found)
        _apply_opt_outs(result, cassette)
        result.violations.sort(key=lambda v: v.interaction)
        return result

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
        report.coverage = {
            oid: {"declared": list(op.statuses), "seen": {}} for oid, op in sorted(self.spec.operations.items())
        }
        for cassette in cassettes:
            result = self.check_cassette(cassette, report.coverage)
            report.results.append(result)
            report.cassettes += 1
            report.interactions += result.interactions
            report.checked += result.checked
            report.outside_contract += result.outside_contract
            report.violations.extend(result.violations)
            for rule, n in result.skipped.items():
                report.skipped[rule] = report.skipped.get(rule, 0) + n
        report.warnings = self.warnings + self._run_warnings
        return report


_UNDOCUMENTED = "undocumented"  # in the VMSS namespace, matching no documented operation
_OUTSIDE = "outside"  # outside the contract
_DEPLOYMENT = "deployment"  # outside the contract, but a template deployment the state machines watch


def _place(match_operation: Any, method: str, path: str) -> Any:
    """The documented operation a request hits, else which kind of outside it is."""
    arm = _arm_path(path)
    match = match_operation(method, path) if arm else None
    if match is not None:
        return match
    if arm and in_namespace(path):
        return _UNDOCUMENTED
    # template deployments are outside the contract, but the state machines must know one is running
    return _DEPLOYMENT if "/deployments/" in path.lower() else _OUTSIDE


def _apply_opt_outs(result: CassetteResult, cassette: Cassette) -> None:
    """Move findings of rules the cassette opts out of (`metadata.checker.skip`) into `skipped`."""
    skip = set(((cassette.metadata or {}).get("checker") or {}).get("skip") or ())
    if not skip:
        return
    kept = []
    for v in result.violations:
        if v.rule in skip:
            result.skipped[v.rule] = result.skipped.get(v.rule, 0) + 1
        else:
            kept.append(v)
    result.violations = kept


def _arm_path(path: str) -> bool:
    head = path[:15].lower()  # len("/subscriptions/"): never case-fold a whole long path for this
    return head == "/subscriptions/" or head.startswith("/providers/")


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
