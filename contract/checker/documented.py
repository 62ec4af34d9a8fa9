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
"""
from __future__ import annotations

import os
from pathlib import Path

from contract.cassette import Cassette

HEADER_RULES = ("lro-headers", "json-content-type", "retry-after-on-error")


def example_cassettes(folder: str | os.PathLike[str]) -> list[Cassette]:
    from contract.examples import load_examples

    out: list[Cassette] = []
    for example in load_examples(Path(folder)):
        skip = list(HEADER_RULES)
        reason = "documented examples list bodies and only some headers"
        if Path(example.name).stem.endswith("_Gen"):
            skip += ["secret-echoed", "provisioning-state"]
            reason += ("; *_Gen examples are generated from the schema: they fill writeOnly members and put "
                       "placeholders ('aaaaaaaaaaaaaa') in the open provisioningState string")
        for n, interaction in enumerate(example.interactions):
            name = f"{example.path}#{n}:{interaction.response.status}"
            out.append(Cassette([interaction], path=name,
                                metadata={"checker": {"skip": skip, "reason": reason}}))
    return out
