"""Replay server throughput beside a bare aiohttp handler serving the same bytes.

Both servers run as their own process (the replay one through `vmss-contract replay`,
exactly as users start it); one aiohttp load client drives each in turn with the same
requests: N requests over C concurrent connections on loopback, after a warm-up.
The machine is shared, so rounds alternate bare/replay and the median round is shown.
Prints requests/s, p50/p99 latency and errors for both, and the replay/bare ratio.

    .venv/bin/python bench/replay_throughput.py [--requests 10000] [--concurrency 64] [--rounds 3] [--tls]
        [--baseline-tree DIR]   # also the replay server of another source tree, in the same rounds
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from contract.servers import LocalCA

ROOT = Path(__file__).resolve().parent.parent
CASSETTE = ROOT / "tests" / "data" / "recordings" / "test_vmss_create_and_modify.yaml"

# The bare baseline: the least an aiohttp server can do to answer with these bytes.
BARE_SERVER = r"""
import json, sys
from aiohttp import web
from contract.servers import serve_forever
answers = {k: bytes.fromhex(v) for k, v in json.load(open(sys.argv[1])).items()}
async def bare(request):
    return web.Response(body=answers[request.path_qs], content_type="application/json")
app = web.Application()
app.router.add_get("/{tail:.*}", bare)
serve_forever(app, "127.0.0.1", 0, tls=sys.argv[2] == "tls", tls_dir=sys.argv[3], allow_remote=True)  # bare: no guard at all
"""


@dataclass
class Result:
    name: str
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def targets() -> dict[str, bytes]:
    """The distinct GETs of a real recorded session (path+query -> the recorded body)."""
    from contract.cassette import load_cassette

    out: dict[str, bytes] = {}
    for interaction in load_cassette(CASSETTE).interactions:
        req, resp = interaction.request, interaction.response
        if req.method == "GET" and resp.status == 200 and "management.azure.com" in req.uri and resp.content:
            path_qs = "/" + req.uri.split("://", 1)[1].partition("/")[2]
            out.setdefault(path_qs, resp.content)
    return out


def start(cmd: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    cwd = Path(env["PYTHONPATH"]) if env and "PYTHONPATH" in env else ROOT
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd, env=env)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {' '.join(cmd)}")
    return proc, line.split()[-1]


async def load(name: str, base: str, paths: list[str], total: int, concurrency: int,
               ssl_ctx: ssl.SSLContext | bool) -> Result:
    connector = aiohttp.TCPConnector(limit=concurrency, ssl=ssl_ctx)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def run(count: int, record: list[float] | None) -> int:
            errors = 0
            next_index = 0

            async def worker() -> None:
                nonlocal next_index, errors
                while next_index < count:
                    i = next_index
                    next_index += 1
                    started = time.perf_counter()
                    try:
                        async with session.get(base + paths[i % len(paths)]) as resp:
                            await resp.read()
                            if resp.status != 200:
                                errors += 1
                    except aiohttp.ClientError:
                        errors += 1
                    if record is not None:
                        record.append(time.perf_counter() - started)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return errors

        errors = await run(min(1000, total), None)  # warm-up: connections, the replay's per-base render
        latencies: list[float] = []
        started = time.perf_counter()
        errors += await run(total, latencies)
        return Result(name, time.perf_counter() - started, latencies, errors)


def in_process(answers: dict[str, bytes], count: int = 20_000) -> tuple[float, float]:
    """Microseconds per answer without HTTP: the replay's match + render vs building a bare response."""
    from aiohttp import web

    from contract.cassette import Request
    from contract.replay import Replayer, load_cassettes

    replayer = Replayer(load_cassettes([CASSETTE]), allow_repeats=True, request_filter=None)
    requests = [Request("GET", "https://management.azure.com" + p) for p in answers]
    bodies = list(answers.values())
    base = "http://127.0.0.1:1"
    started = time.perf_counter()
    for i in range(count):
        web.Response(body=bodies[i % len(bodies)], content_type="application/json")
    bare = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        recorded = replayer.find(requests[i % len(requests)])
        assert recorded is not None
        recorded.response(base)
    replay = time.perf_counter() - started
    return bare / count * 1e6, replay / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/replay rounds (median shown)")
    parser.add_argument("--tls", action="store_true", help="measure over HTTPS (local CA)")
    parser.add_argument("--baseline-tree", help="source tree of another version whose replay joins the rounds")
    args = parser.parse_args()
    answers = targets()
    paths = list(answers)
    rounds: dict[str, list[Result]] = {"bare aiohttp": [], "replay": []}
    if args.baseline_tree:
        rounds["replay (baseline)"] = []
    with tempfile.TemporaryDirectory() as tmp:
        answers_file = Path(tmp) / "answers.json"
        answers_file.write_text(json.dumps({k: v.hex() for k, v in answers.items()}))
        tls_dir = str(Path(tmp) / "tls")
        tls_args = ["--tls", "--tls-dir", tls_dir] if args.tls else []
        commands = {
            "bare aiohttp": [sys.executable, "-c", BARE_SERVER, str(answers_file), "tls" if args.tls else "-", tls_dir],
            "replay": [sys.executable, "-m", "contract", "replay", str(CASSETTE), "--allow-repeats", *tls_args],
        }
        envs: dict[str, dict[str, str] | None] = {name: None for name in commands}
        if args.baseline_tree:
            tree = str(Path(args.baseline_tree).resolve())
            commands["replay (baseline)"] = commands["replay"]
            envs["replay (baseline)"] = {**os.environ, "PYTHONPATH": tree}
        procs: list[subprocess.Popen[str]] = []
        try:
            bases = {}
            for name, cmd in commands.items():
                proc, bases[name] = start(cmd, envs[name])
                procs.append(proc)
            ssl_ctx: ssl.SSLContext | bool = (
                LocalCA(tls_dir).client_ssl_context() if args.tls else False)
            for _ in range(args.rounds):
                for name, base in bases.items():
                    rounds[name].append(asyncio.run(
                        load(name, base, paths, args.requests, args.concurrency, ssl_ctx)))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)

    print(f"{args.requests} GETs per round, {args.rounds} alternating rounds, {len(paths)} distinct recorded "
          f"answers (median {statistics.median(len(v) for v in answers.values()):.0f} bytes), "
          f"{args.concurrency} connections, {'https' if args.tls else 'http'} on loopback, "
          f"server and client in separate processes")
    print(f"{'server':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}   rounds req/s")
    median: dict[str, Result] = {}
    for name, results in rounds.items():
        r = median[name] = sorted(results, key=lambda x: x.rate)[len(results) // 2]
        errors = sum(x.errors for x in results)
        each = " ".join(f"{x.rate:.0f}" for x in results)
        print(f"{name:<14}{r.rate:>10.0f}{r.pct(0.50):>10.2f}{r.pct(0.99):>10.2f}{errors:>8}   {each}")
    ratio = median["replay"].rate / median["bare aiohttp"].rate
    print(f"replay / bare throughput (median rounds): {ratio:.2f} (aim >= 0.80)")
    paired = sorted(r.rate / b.rate for r, b in zip(rounds["replay"], rounds["bare aiohttp"]))
    print("replay / bare per round: " + " ".join(f"{x:.2f}" for x in paired))
    if args.baseline_tree:
        base = sorted(r.rate / b.rate for r, b in zip(rounds["replay (baseline)"], rounds["bare aiohttp"]))
        print("baseline replay / bare per round: " + " ".join(f"{x:.2f}" for x in base)
              + f" (median {base[len(base) // 2]:.2f})")
    bare_us, replay_us = in_process(answers)
    print(f"in-process, no HTTP: bare response {bare_us:.1f} us, replay match + response {replay_us:.1f} us "
          "per request")
    if any(x.errors for results in rounds.values() for x in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
