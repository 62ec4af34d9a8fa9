"""Spec lookups on the checker's hot path, beside a naive baseline measured in the same run.

Ours: Spec.match + validate_request + validate_response + secret_paths + Rules.check_request per
recorded interaction (bodies pre-parsed, as the checker holds them). Baselines over the same bodies:
(a) the `jsonschema` package validating each body against a schema built once (what a plain
implementation would do), (b) bare jsonschema-rs `is_valid` (the floor our wrapper adds to).
Run: .venv/bin/python bench/spec_validation.py [--repeat R]   (target for the checker: >= 5,000/s)
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import jsonschema
import jsonschema_rs

from contract.cassette import load_cassette
from contract.rules import load_rules
from contract.specs import load_spec

RECORDINGS = Path(__file__).resolve().parent.parent / "tests" / "data" / "recordings"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    spec, rules = load_spec(), load_rules()
    rows = []
    for f in sorted(RECORDINGS.glob("*.yaml")):
        for it in load_cassette(f).interactions:
            rows.append((it.request.method, it.request.uri, it.request.json(), it.response.status, it.response.json()))

    def ours() -> int:
        n = 0
        for method, uri, req, status, body in rows:
            m = spec.match(method, uri)
            if m is None:
                continue
            oid = m.operation.operation_id
            if req is not None:
                spec.validate_request(oid, req)
            spec.validate_response(oid, status, body)
            spec.secret_paths(body)
            rules.check_request(oid, req, "2022-11-01")
            n += 1
        return n

    # the same (schema, body) pairs for the baselines, schemas built once
    pairs = []
    for method, uri, req, status, body in rows:
        m = spec.match(method, uri)
        if m is None:
            continue
        code = status if str(status) in spec.document["paths"][m.operation.path][method.lower()]["responses"] else "default"
        schema = spec.response_schema(m.operation.operation_id, code)
        if schema is not None:
            pairs.append((schema, body))
    py = {id(s): jsonschema.Draft202012Validator(s) for s, _ in pairs}
    rs = {id(s): jsonschema_rs.Draft202012Validator(s) for s, _ in pairs}

    def timed(fn) -> float:
        fn()  # warm-up: lazy compilation happens here, outside the clock
        best = float("inf")
        for _ in range(max(1, args.repeat // 5)):
            t = time.perf_counter()
            for _ in range(5):
                fn()
            best = min(best, (time.perf_counter() - t) / 5)
        return best

    in_contract = ours()
    t_ours = timed(ours)
    t_py = timed(lambda: [py[id(s)].is_valid(b) for s, b in pairs])
    t_rs = timed(lambda: [rs[id(s)].is_valid(b) for s, b in pairs])
    print(f"{len(rows)} recorded interactions, {in_contract} in the contract, {len(pairs)} response bodies with a schema")
    ours_rate = in_contract / t_ours  # conservative: the time of the out-of-contract misses is included
    py_rate, rs_rate = len(pairs) / t_py, len(pairs) / t_rs
    print(f"ours (match+request+response+secrets+rules): {ours_rate:12,.0f} in-contract interactions/s "
          f"({len(rows) / t_ours:,.0f}/s over all recorded)")
    print(f"baseline jsonschema (response only):          {py_rate:12,.0f} bodies/s   -> ours is {ours_rate / py_rate:.1f}x")
    print(f"floor jsonschema-rs is_valid (response only): {rs_rate:12,.0f} bodies/s   -> ours is {ours_rate / rs_rate:.2f}x")


if __name__ == "__main__":
    main()
