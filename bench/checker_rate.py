"""Interactions checked per second over the whole corpus, beside bare schema validation.

Baseline, measured in the same run over the same corpus: `json.loads` + the spec's
validator for every body the checker schema-validates, parsed from the form the cassette
stores it in (as the checker does) -- each in-contract response body (`validate_response`)
and each request body of a 2xx PUT/PATCH/POST (`validate_request` at its effective
api-version). Operations are matched outside the timer. Printed too: the responses-only
baseline, and validation with bodies already parsed (no JSON parsing at all).
Both the checker and the spec compile their validators once (a warm-up pass is not timed).

Every figure is a whole pass over the corpus, so all rates are in interactions/s of the same
400 interactions; the verdict uses the median of per-round ratios (interleaved, CPU time).

Usage: .venv/bin/python bench/checker_rate.py [--seconds S]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

from contract.cassette import Cassette, load_cassette
from contract.checker import Checker
from contract.checker.classify import split_uri
from contract.specs import UnknownApiVersion, load_spec

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "data" / "recordings"


def _measure(contenders: dict[str, Callable[[], int]], seconds: float) -> dict[str, list[float]]:
    """Per contender, the CPU seconds of each pass over the corpus, round by round.

    Contenders run interleaved, one pass each per round, so a noisy neighbour on this
    shared machine slows them alike; ratios are taken within a round. Passes are timed in
    this process's CPU time: with 2 cores shared by a whole team, wall time mostly
    measures the neighbours.
    """
    for fn in contenders.values():
        fn()  # warm-up: validators compile, caches fill
    times: dict[str, list[float]] = {name: [] for name in contenders}
    deadline = time.perf_counter() + seconds * len(contenders)
    while time.perf_counter() < deadline or min(len(t) for t in times.values()) < 5:
        for name, fn in contenders.items():
            started = time.process_time()
            fn()
            times[name].append(time.process_time() - started)
    return times


def _blank(body: Any) -> bool:
    return not body or not body.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2)")
    args = parser.parse_args()

    cassettes: list[Cassette] = [load_cassette(p) for p in sorted(RECORDINGS.glob("*.yaml"))]
    interactions = sum(len(c.interactions) for c in cassettes)
    spec = load_spec()
    checker = Checker(spec)

    # the baselines' inputs, prepared outside the timer: bodies as stored, operations matched
    responses: list[tuple[str, int, Any, Any]] = []  # (operationId, status, parsed, stored)
    requests: list[tuple[str, str | None, Any, Any]] = []  # (operationId, effective api-version, parsed, stored)
    for c in cassettes:
        for i in c.interactions:
            uri = split_uri(i.request.uri)
            method = i.request.method.upper()
            match = spec.match(method, uri.path)
            if match is None or uri.monitor:
                continue
            op = match.operation.operation_id
            if not _blank(i.response.body):
                responses.append((op, i.response.status, json.loads(i.response.body), i.response.body))
            if 200 <= i.response.status < 300 and method in ("PUT", "PATCH", "POST") and not _blank(i.request.body):
                try:
                    version = spec.resolve_api_version(uri.api_version, op).effective if uri.api_version else None
                except UnknownApiVersion:
                    version = None
                requests.append((op, version, json.loads(i.request.body), i.request.body))

    def run_checker() -> int:
        report = checker.check(cassettes)
        assert not report.violations
        return report.interactions

    def run_bare() -> int:
        validate, validate_request = spec.validate_response, spec.validate_request
        for op, status, body, _ in responses:
            validate(op, status, body)
        for op, version, body, _ in requests:
            validate_request(op, body, version)
        return interactions  # the same interactions, of which only these bodies needed anything

    def run_bare_parse() -> int:
        validate, validate_request, loads = spec.validate_response, spec.validate_request, json.loads
        for op, status, _, raw in responses:
            validate(op, status, loads(raw))
        for op, version, _, raw in requests:
            validate_request(op, loads(raw), version)
        return interactions

    def run_bare_parse_responses() -> int:
        validate, loads = spec.validate_response, json.loads
        for op, status, _, raw in responses:
            validate(op, status, loads(raw))
        return interactions

    times = _measure({"checker": run_checker, "bare": run_bare, "bare+parse": run_bare_parse,
                      "bare+parse, responses only": run_bare_parse_responses}, args.seconds)
    best = {name: interactions / min(t) for name, t in times.items()}
    median = {name: interactions / statistics.median(t) for name, t in times.items()}

    def ratio(name: str) -> float:
        """Median over rounds of (baseline pass time / checker pass time) in the same round."""
        return statistics.median(b / c for b, c in zip(times[name], times["checker"]))

    rounds = min(len(t) for t in times.values())
    print(f"corpus: {len(cassettes)} cassettes, {interactions} interactions; schema-validated bodies: "
          f"{len(responses)} responses + {len(requests)} requests; {rounds} interleaved rounds, CPU time")
    print("interactions/s, median pass (best pass):")
    print(f"  checker (all rules, state machines, LRO following): {median['checker']:9,.0f} ({best['checker']:,.0f})")
    print(f"  bare json.loads + validate, same bodies:             {median['bare+parse']:9,.0f} "
          f"({best['bare+parse']:,.0f})")
    print(f"  bare json.loads + validate, responses only:          {median['bare+parse, responses only']:9,.0f} "
          f"({best['bare+parse, responses only']:,.0f})")
    print(f"  bare validate, bodies pre-parsed:                    {median['bare']:9,.0f} ({best['bare']:,.0f})")
    print(f"checker / bare+parse (median of per-round ratios): {ratio('bare+parse'):.2f}; "
          f"vs responses-only {ratio('bare+parse, responses only'):.2f}; vs pre-parsed {ratio('bare'):.2f}")
    print(f"targets: >= 5,000 interactions/s: {'met' if median['checker'] >= 5000 else 'NOT met'}; "
          f">= 0.5 of bare+parse: {'met' if ratio('bare+parse') >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
