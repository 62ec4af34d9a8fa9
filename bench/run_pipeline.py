"""`vmss-contract run` beside its own floor, measured in one run.

Baseline: the very same steps (lifecycle + fuzzed payloads) sent straight to an embedded
emulator: no proxy, no cassette, no replay, no checker. Then the real pipeline:
record through the proxy, replay offline, check, write the reports. Prints both, the
time per phase and the overhead ratio; the README promises "well under a minute".

    .venv/bin/python bench/run_pipeline.py [--examples 3] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contract.emulator import create_app  # noqa: E402
from contract.arm_client import LOCAL_TOKEN, ArmClient  # noqa: E402
from contract.journeys import Target, fuzz_steps, lifecycle_steps, network_steps  # noqa: E402
from contract.pipeline import run_pipeline, run_steps  # noqa: E402
from contract.servers import BackgroundServer  # noqa: E402


def baseline(examples: int, seed: int) -> tuple[float, int]:
    steps = lifecycle_steps(Target()) + fuzz_steps(Target(), examples, seed)
    steps[1:1] = network_steps(Target())  # the subnet right after the group, as run sends it (Azure wants it first)
    with tempfile.TemporaryDirectory() as tls:
        started = time.perf_counter()
        with BackgroundServer(lambda: create_app(lro_polls=1), tls=True, tls_dir=tls) as emulator:
            client = ArmClient(emulator.url, str(emulator.ca_path), LOCAL_TOKEN)
            run_steps(client, steps)
        return time.perf_counter() - started, client.sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fuzz_steps(Target(), args.examples, 0)  # warm hypothesis and the spec once, for both sides

    base, runs, phases = [], [], {}
    sent = 0
    for i in range(args.repeat):
        seconds, sent = baseline(args.examples, i)
        base.append(seconds)
        with tempfile.TemporaryDirectory() as out:
            result = run_pipeline(out, examples=args.examples, seed=i)
            assert result.holds, "the contract must hold for the figures to mean anything"
            runs.append(result.seconds)
            for p in result.phases:
                phases.setdefault(f"record {p.name}", []).append(p.record_seconds)
                phases.setdefault(f"replay {p.name}", []).append(p.replay_seconds)
            phases.setdefault("check + reports", []).append(
                result.seconds - sum(p.record_seconds + p.replay_seconds for p in result.phases))

    med = statistics.median
    print(f"steps: lifecycle + {args.examples} valid + {args.examples} invalid fuzzed creates; {sent} requests per pass")
    print(f"baseline (same requests straight to the emulator): {med(base):6.2f} s  median of {args.repeat}")
    print(f"vmss-contract run (record+replay+check+reports):    {med(runs):6.2f} s  median of {args.repeat}")
    for name, values in phases.items():
        print(f"    {name:<22} {med(values):6.2f} s")
    print(f"ratio run / baseline: {med(runs) / med(base):.1f}x   (budget: well under 60 s)")


if __name__ == "__main__":
    main()
