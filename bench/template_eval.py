"""Template evaluation rate: the corpus's real `az vmss create` template, planned, every resource
evaluated and its outputs read, beside `json.loads` of the same template text in the same run.

One "template" = prepare (parameters, copy, condition, dependsOn order) + evaluate every
resource body + outputs (the `reference()` in its output answered from the bodies just made).
Run: .venv/bin/python bench/template_eval.py [--seconds S]   (target: >= 2,000 templates/s)
"""
from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contract.cassette import load_cassette
from contract.templates import DeploymentContext, prepare

RECORDING = Path(__file__).resolve().parent.parent / "tests" / "data" / "recordings" / "test_vmss_create_and_modify.yaml"


def rate(fn: Callable[[], Any], seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    args = ap.parse_args()
    put = next(i for i in load_cassette(RECORDING).interactions
               if i.request.method == "PUT" and "/deployments/" in i.request.uri)
    text = json.dumps(put.request.json()["properties"]["template"])
    template = json.loads(text)
    parameters = put.request.json()["properties"]["parameters"]
    ctx = DeploymentContext("00000000-0000-0000-0000-000000000000", "cli_test_vmss_create_and_modify000001",
                            "westus", "mock-deployment")

    def evaluate() -> None:
        store: dict[str, Any] = {}
        plan = prepare(template, parameters, ctx, reference=lambda rid, api: store[rid.lower()])
        for instance in plan.instances:
            store[instance.id.lower()] = {"id": instance.id, **plan.evaluate(instance)}
        plan.outputs()

    ours = rate(evaluate, args.seconds)
    baseline = rate(lambda: json.loads(text), args.seconds)
    print(f"template: {len(text)} bytes, {len(template['resources'])} resources (az vmss create, corpus)")
    print(f"templates/s evaluated : {ours:,.0f}")
    print(f"json.loads/s (baseline): {baseline:,.0f}")
    print(f"ratio evaluate/json.loads: {ours / baseline:.3f} (evaluation costs {baseline / ours:.1f}x a parse)")


if __name__ == "__main__":
    main()
