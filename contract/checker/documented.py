"""Documented examples as cassettes the checker can read.

Each example interaction becomes its own cassette: examples are independent
request/response pairs, not a sequence, so no state machine may connect them
(one example file documents both the 200 and the 201 answer of the same PUT).

Two rule groups cannot apply to documentation and are skipped, visibly (the
report counts every skipped finding under `skipped`):
- header rules: examples document bodies and only a few headers (a create's 201
  lists no Azure-AsyncOperation because nobody wrote it down, not because ARM omits it);
- `secret-echoed` and `provisioning-state` in `*_Gen` examples only: these are
  machine-generated from the schema ("MaximumSet" fills every member, writeOnly ones
  included, and strings with placeholders such as provisioningState "aaaaaaaaaaaaaa"),
  so those findings are artefacts of the generator, not documented behaviour.

A documented example that disagrees with our contract at one place is recorded in the spec
(`x-documented-example-findings`: example, api-version, rule, JSON path, `x-reason`); only that finding
is moved to `skipped`, so the rest of the example is still judged.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from contract.cassette import Cassette

HEADER_RULES = ("lro-headers", "json-content-type", "retry-after-on-error")


def known_mismatches(spec: Any = None) -> list[dict[str, Any]]:
    """The recorded mismatches between a documented example and our contract (`x-documented-example-findings`
    of the spec): each names the example file, its api-version, the rule and JSON path it trips, and why."""
    from contract.specs import load_spec

    document = (spec or load_spec()).document
    return [k for k in document.get("x-documented-example-findings") or () if isinstance(k, dict)]


def example_cassettes(folder: str | os.PathLike[str]) -> list[Cassette]:
    from contract.examples import load_examples

    out: list[Cassette] = []
    recorded = known_mismatches()
    for example in load_examples(Path(folder)):
        known = [{"rule": k.get("rule"), "path": k.get("path"), "reason": k.get("x-reason")} for k in recorded
                 if k.get("example") == example.name and str(k.get("api-version")) == example.api_version]
        skip = list(HEADER_RULES)
        reason = "documented examples list bodies and only some headers"
        if Path(example.name).stem.endswith("_Gen"):
            skip += ["secret-echoed", "provisioning-state"]
            reason += ("; *_Gen examples are generated from the schema: they fill writeOnly members and put "
                       "placeholders ('aaaaaaaaaaaaaa') in the open provisioningState string")
        for n, interaction in enumerate(example.interactions):
            name = f"{example.path}#{n}:{interaction.response.status}"
            checker: dict[str, Any] = {"skip": skip, "reason": reason}
            if known:
                checker["known"] = known
            out.append(Cassette([interaction], path=name, metadata={"checker": checker}))
    return out
