"""Rule sources point at something a user has: a public page, or a file shipped in the package."""
from __future__ import annotations

import re
from pathlib import Path

from contract.checker import RULES, rules_file_entries
from contract.checker.limits import NOT_CHECKED
from contract.rules import load_rules
from contract.sources import ARM_FACTS_FILE, SEED_DOCS, references
from contract.specs import specs_dir


def _squash(text: str) -> str:
    return re.sub(r"[\s*`]+", " ", text).strip().lower()


def test_every_rule_source_resolves_to_a_url_or_a_shipped_file() -> None:
    for info in [*RULES.values(), *rules_file_entries(load_rules())]:
        found = references(info.source)
        assert found, f"{info.id}: nothing a user can open in {info.source!r}"
        for ref in found:
            assert ref.startswith("https://") or Path(ref).is_file(), (info.id, ref)


def test_seed_citations_map_to_public_pages() -> None:
    assert references("seed 000 'Status code: 201 (Created)'") == [SEED_DOCS["000"]]
    assert references("002_d3ce88703c41e133.txt: 'quote'") == [SEED_DOCS["002"]]
    assert references("ARM-FACTS 'x'") == [str(specs_dir() / ARM_FACTS_FILE)]


def test_the_shipped_arm_facts_holds_every_quote_rules_yaml_takes_from_it() -> None:
    """specs/ARM-FACTS.md is the copy users get: each rules.yaml quote of ARM-FACTS must be in it."""
    shipped = _squash((specs_dir() / ARM_FACTS_FILE).read_text(encoding="utf-8"))
    quoted = [r for r in load_rules().rules.values() if r.source == ARM_FACTS_FILE]
    assert quoted
    for rule in quoted:
        for part in rule.quote.split(" ... "):
            assert _squash(part) in shipped, (rule.id, part)


def test_reports_say_what_they_do_not_check() -> None:
    from contract import check, report

    result = check([])
    assert report.render_text(result).count("not checked") >= 1
    assert json_not_checked(report.render_json(result)) == list(NOT_CHECKED)
    html = report.render_html(result, [])
    assert 'id="not-checked"' in html and "Requested vs answered values" in html


def json_not_checked(text: str) -> list[str]:
    import json

    return list(json.loads(text)["not_checked"])
