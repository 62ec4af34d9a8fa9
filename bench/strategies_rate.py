"""How fast `contract.strategies` makes valid VMSS create bodies (aim: >= 200/s).

Prints, from one run on this machine:
- ours, one payload per hypothesis example (what `fuzz` and `@given` tests pay),
- ours, 10 payloads per example (the generator alone, engine overhead amortised),
- baseline: the hypothesis engine drawing one trivial integer per example (its floor here),
- baseline: hypothesis-jsonschema's `from_schema` on the same request schema (the library
  alone, no realism; stopped after its time budget).
Every payload of ours is also validated against the spec and rules inside the timing.

    .venv/bin/python bench/strategies_rate.py [--examples N]
"""
from __future__ import annotations

import argparse
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.specs import load_spec
from contract.strategies import valid_payloads

CREATE = "VirtualMachineScaleSets_CreateOrUpdate"


def rate(strategy: st.SearchStrategy[Any], examples: int, per_example: int = 1, budget: float = 60.0) -> tuple[float, int]:
    """Items per second through the hypothesis engine (generate phase only, no database)."""
    count = [0]
    started = [0.0]

    @settings(max_examples=examples, database=None, deadline=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def consume(value: Any) -> None:
        count[0] += per_example
        if time.perf_counter() - started[0] > budget:
            raise TimeoutError

    started[0] = time.perf_counter()
    try:
        consume()
    except TimeoutError:
        pass
    elapsed = time.perf_counter() - started[0]
    return count[0] / elapsed, count[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=400)
    args = parser.parse_args()
    spec = load_spec()
    ours = valid_payloads(CREATE)
    rate(ours, 10)  # warm caches (spec, compiled validators, strategy objects) outside the timing

    rows = [
        ("ours: valid create payloads, 1 per example", *rate(ours, args.examples)),
        ("ours: valid create payloads, 10 per example", *rate(st.lists(ours, min_size=10, max_size=10),
                                                            max(1, args.examples // 10), per_example=10)),
        ("baseline: engine floor, 1 integer per example", *rate(st.integers(0, 10**9), args.examples)),
    ]
    try:
        from hypothesis_jsonschema import from_schema

        library = from_schema(spec.request_schema(CREATE))
        rows.append(("baseline: hypothesis-jsonschema from_schema", *rate(library, min(args.examples, 100), budget=30)))
    except Exception as exc:  # noqa: BLE001 - the baseline failing is itself a figure worth printing
        rows.append((f"baseline: hypothesis-jsonschema failed ({type(exc).__name__})", 0.0, 0))

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'per second':>10}  {'items':>6}")
    for name, per_second, items in rows:
        print(f"{name:<{width}}  {per_second:>10.1f}  {items:>6}")
    ours_rate, floor = rows[0][1], rows[2][1]
    print(f"\nours / engine floor: {ours_rate / floor:.2f}   target >= 200/s: {'met' if ours_rate >= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
