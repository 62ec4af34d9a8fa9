"""Latency the recording proxy adds per request, beside calling the upstream directly.

Upstream: the emulator (`vmss-contract emulate`), holding one scale set; proxy:
`vmss-contract record --upstream <emulator>` recording into a temp cassette — both their
own processes, started as users start them. One client sends the same GET of the scale
set model (a ~3 KB ARM answer), alternating direct / through the proxy so both see the
same machine load; every proxied exchange is sanitized and appended to the cassette
before its answer is sent. Prints p50/p90/p99 for both and the difference (aim: <= 2 ms
added at p50), and checks the cassette holds every proxied request.

    .venv/bin/python bench/proxy_latency.py [--requests 2000] [--rounds 5] [--concurrency 1]
        [--baseline-tree DIR]   # also a recorder from another source tree (e.g. an older commit
                                # unpacked with `git archive`), interleaved in the same rounds
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from contract.cassette import load_cassette

SUB = "5a1b2c3d-0000-4000-8000-00000000bead"
RG = f"/subscriptions/{SUB}/resourceGroups/bench"
VMSS = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1"
HEADERS = {"Authorization": "Bearer bench-token-not-a-secret", "Content-Type": "application/json"}
BODY = {"location": "westus", "sku": {"name": "Standard_D1_v2", "tier": "Standard", "capacity": 2},
        "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
            "osProfile": {"computerNamePrefix": "bench", "adminUsername": "azureuser", "adminPassword": "B3nch!pass"},
            "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                                  "sku": "18.04-LTS", "version": "latest"}}}}}


def start(args: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "contract", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"{args[0]} did not start: {line!r}")
    return proc, line.split()[-1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(direct: str, proxied: str, n: int, concurrency: int,
                other: str | None = None) -> tuple[list[float], list[float], list[float]]:
    url = VMSS + "?api-version=2024-07-01"
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        async with session.put(direct + RG + "?api-version=2022-09-01", json={"location": "westus"}) as r:
            assert r.status in (200, 201), await r.text()
        async with session.put(direct + url, json=BODY) as r:
            assert r.status in (200, 201), await r.text()
        bases = (direct, proxied) + ((other,) if other else ())
        for base in bases * 50:  # warm-up: connections, caches
            async with session.get(base + url) as r:
                await r.read()
        times: dict[str, list[float]] = {b: [] for b in bases}

        async def worker(k: int) -> None:
            for i in range(k, n, concurrency):
                for base in (bases if i % 2 else bases[::-1]):
                    start = time.perf_counter()
                    async with session.get(base + url) as r:
                        await r.read()
                        assert r.status == 200
                    times[base].append(time.perf_counter() - start)

        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return times[direct], times[proxied], times[other] if other else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5, help="the machine is shared: rounds, median shown")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--baseline-tree", help="source tree of another version's recorder to interleave")
    args = parser.parse_args()
    env = {**os.environ, "VMSS_CONTRACT_SALT": "bench"}
    per_round = max(1, args.requests // args.rounds)
    rounds: list[tuple[list[float], list[float], list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cassette = Path(tmp) / "bench.yaml"
        emulator, direct = start(["emulate"], env)
        try:
            proxy, proxied = start(["record", "--cassette", str(cassette), "--upstream", direct], env)
            other_proc, other = None, None
            if args.baseline_tree:
                other_env = {**env, "PYTHONPATH": str(Path(args.baseline_tree).resolve())}
                other_proc, other = start(["record", "--cassette", str(Path(tmp) / "baseline.yaml"),
                                           "--upstream", direct], other_env, cwd=args.baseline_tree)
            try:
                for _ in range(args.rounds):
                    rounds.append(asyncio.run(drive(direct, proxied, per_round, args.concurrency, other)))
            finally:
                for p in (proxy, other_proc):
                    if p is not None:
                        p.terminate()
                        p.wait(timeout=30)
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
        recorded = len(load_cassette(cassette).interactions)
        size = cassette.stat().st_size / 1e6
    print(f"{per_round * args.rounds} GETs of a scale set model each way in {args.rounds} rounds, "
          f"concurrency {args.concurrency}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    added = sorted(((pct(p, 0.5) - pct(d, 0.5), pct(p, 0.99) - pct(d, 0.99), d, p) for d, p, _ in rounds),
                   key=lambda r: r[0])
    median = added[len(added) // 2]
    print(f"{'(median round)':22}{'p50':>9}{'p90':>9}{'p99':>9}")
    for name, values in (("upstream direct", median[2]), ("through the proxy", median[3])):
        print(f"{name:22}" + "".join(f"{pct(values, q):7.2f}ms" for q in (0.5, 0.9, 0.99)))
    diffs = [pct(median[3], q) - pct(median[2], q) for q in (0.5, 0.9, 0.99)]
    print(f"{'added by the proxy':22}" + "".join(f"{a:7.2f}ms" for a in diffs) + "   (aim: p50 <= 2 ms)")
    print("added p50 per round: " + ", ".join(f"{a[0]:.2f}" for a in added) + " ms")
    if args.baseline_tree:
        base_added = sorted(pct(o, 0.5) - pct(d, 0.5) for d, _, o in rounds)
        same = sorted((pct(p, 0.5) - pct(d, 0.5), pct(o, 0.5) - pct(d, 0.5)) for d, p, o in rounds)
        print(f"baseline tree {args.baseline_tree}: added p50 per round: "
              + ", ".join(f"{a:.2f}" for a in base_added) + " ms; median round this tree vs baseline: "
              f"{same[len(same) // 2][0]:.2f} vs {same[len(same) // 2][1]:.2f} ms")
    expected = (per_round + 50) * args.rounds
    print(f"cassette: {recorded} interactions recorded ({size:.1f} MB), expected {expected}")


if __name__ == "__main__":
    main()
