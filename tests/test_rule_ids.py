"""Every rule id a test names exists: a test about a rule that does not exist asserts nothing real.

A rule is named in a test where a string sits in code that talks about rules (`rule=...`,
`v.rule == ...`, `{"rule": ...}`, `RULES[...]`, `{v.rule for v in ...} == {...}`, fnmatch lines
with `[rule-id]`). Every such kebab-case string must be a checker rule, a rules.yaml rule, or
`schema:<keyword>`.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from contract.checker import RULES
from contract.rules import load_rules

TESTS = Path(__file__).parent
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
_BRACKETED = re.compile(r"\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]")
# Kebab-case strings tests use near the word "rule" that are not rule ids.
NOT_RULES = {"rules-file", "vmss-contract", "no-cacheprovider"}


_RULE_WORD = re.compile(r"^(rules?|rule_id|RULES|by_rule)$")


def _mentions_rule(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        word = (sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute)
                else sub.value if isinstance(sub, ast.Constant) and isinstance(sub.value, str) else None)
        if word is not None and _RULE_WORD.match(word):
            return True
    return False


def _named_rule_ids(path: Path) -> list[tuple[int, str]]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("rule", "rule_id"):
            scope: ast.AST = node.value
        elif isinstance(node, ast.Compare | ast.Dict | ast.Subscript) and _mentions_rule(node):
            scope = node
        else:
            continue
        for sub in ast.walk(scope):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                if _ID.match(sub.value):
                    found.append((sub.lineno, sub.value))
                found += [(sub.lineno, m) for m in _BRACKETED.findall(sub.value)]
    return found


def test_every_rule_id_named_in_a_test_exists() -> None:
    from contract.specs import specs_dir

    # The checker's registry, the rules file's rules, and any other rule section of rules.yaml (`references:`).
    declared = re.findall(r"^\s*- id: ([a-z0-9-]+)\s*$", (specs_dir() / "rules.yaml").read_text(), re.M)
    known = set(RULES) | set(load_rules().rules) | set(declared)
    unknown = []
    named = 0
    for path in sorted(TESTS.glob("test_*.py")):
        for line, rule_id in _named_rule_ids(path):
            named += 1
            if rule_id not in known and rule_id not in NOT_RULES:
                unknown.append(f"{path.name}:{line}: {rule_id}")
    assert named > 20  # the scan really finds the rules tests talk about
    assert not unknown, unknown


def test_missing_inputs_skip_locally_but_fail_in_ci(monkeypatch: "pytest.MonkeyPatch") -> None:
    import pytest

    import support

    def probe() -> None:
        pass

    assert support.requires(True, "x")(probe) is probe
    monkeypatch.setattr(support, "IN_CI", False)
    assert support.requires(False, "x")(probe).pytestmark[0].name == "skip"  # type: ignore[attr-defined]
    monkeypatch.setattr(support, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="x is missing, and CI must run probe"):
        support.requires(False, "x")(probe)()
