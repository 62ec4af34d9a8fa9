"""Emulator throughput beside a bare aiohttp handler serving the very bytes the emulator answered.

`vmss-contract emulate` runs as its own process, exactly as users start it, and is seeded
over HTTP with a scale set of 10 VMs (public IPs, a run command). Its answers to the read
operations a lifecycle uses (scale set, instance view, VM list, VM, VM instance view, run
command, public IPs) are captured, and the bare server of `replay_throughput.py` serves the
same bytes for the same paths. One aiohttp load client drives both in alternating rounds
(median round shown). A second table times write cycles: PATCH the scale set, then poll its
Azure-AsyncOperation to Succeeded, as the SDK does.

    .venv/bin/python bench/emulator_throughput.py [--requests 10000] [--concurrency 64] [--rounds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay_throughput import BARE_SERVER, Result, start  # noqa: E402  (the same baseline server and figures)

from contract.network_setup import virtual_network_request  # noqa: E402

AUTH = {"Authorization": "Bearer bench"}
V = "api-version=2026-04-01"
RG = "/subscriptions/00000000-0000-0000-0000-00000000bench/resourceGroups/bench"
VMSS = f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/bench"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
BODY = {
    "location": "westus", "sku": {"name": "Standard_D2s_v3", "tier": "Standard", "capacity": 10},
    "properties": {"upgradePolicy": {"mode": "Manual"}, "virtualMachineProfile": {
        "osProfile": {"computerNamePrefix": "bench", "adminUsername": "azureuser", "adminPassword": "Bench#Pass1"},
        "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "UbuntuServer",
                                              "sku": "18.04-LTS", "version": "latest"},
                           "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}}},
        "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
            "primary": True, "ipConfigurations": [{"name": "ip", "properties": {
                "subnet": {"id": SUBNET}, "publicIPAddressConfiguration": {"name": "pip"}}}]}}]}}},
}
READS = [
    f"{VMSS}?{V}", f"{VMSS}/instanceView?{V}", f"{VMSS}/virtualMachines?{V}", f"{VMSS}/virtualMachines/3?{V}",
    f"{VMSS}/virtualMachines/3/instanceView?{V}", f"{VMSS}/virtualMachines/0/runCommands/hello?{V}",
    f"{VMSS}/publicipaddresses?api-version=2017-03-30",
]


async def seed(base: str) -> dict[str, bytes]:
    """Create the scale set through the emulator and capture its answers to the read paths."""
    async with aiohttp.ClientSession(headers=AUTH) as http:
        async def settle(resp: aiohttp.ClientResponse) -> None:
            while (await (await http.get(resp.headers["Azure-AsyncOperation"])).json())["status"] == "InProgress":
                pass

        async with http.put(f"{base}{RG}?api-version=2022-09-01", json={"location": "westus"}) as r:
            assert r.status == 201, await r.text()
        vnet_path, vnet = virtual_network_request(SUBNET, "westus")  # the subnet first, as Azure wants
        async with http.put(f"{base}{vnet_path}", json=vnet) as r:
            assert r.status == 201, await r.text()
            await settle(r)
        async with http.put(f"{base}{VMSS}?{V}", json=BODY) as r:
            assert r.status == 201, await r.text()
            await settle(r)
        async with http.put(f"{base}{VMSS}/virtualMachines/0/runCommands/hello?{V}",
                            json={"location": "westus", "properties": {"source": {"script": "echo hi"}}}) as r:
            assert r.status == 201, await r.text()
            await settle(r)
        answers = {}
        for path in READS:
            async with http.get(base + path) as r:
                assert r.status == 200, (path, await r.text())
                answers[path] = await r.read()
        return answers


async def reads(name: str, base: str, total: int, concurrency: int) -> Result:
    """`total` GETs over the read paths with a bearer token (the emulator, like ARM, wants one)."""
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession(headers=AUTH, connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def run(count: int, record: bool) -> None:
            nonlocal errors
            next_index = 0

            async def worker() -> None:
                nonlocal next_index, errors
                while next_index < count:
                    i, next_index = next_index, next_index + 1
                    started = time.perf_counter()
                    try:
                        async with http.get(base + READS[i % len(READS)]) as resp:
                            await resp.read()
                            errors += resp.status != 200
                    except aiohttp.ClientError:
                        errors += 1
                    if record:
                        latencies.append(time.perf_counter() - started)

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(min(1000, total), record=False)  # warm-up: connections, validators
        started = time.perf_counter()
        await run(total, record=True)
        return Result(name, time.perf_counter() - started, latencies, errors)


async def write_cycles(base: str, total: int, concurrency: int) -> Result:
    """PATCH tags then poll the operation to Succeeded; one cycle is one latency sample."""
    latencies: list[float] = []
    errors = 0
    remaining = total
    async with aiohttp.ClientSession(headers=AUTH, connector=aiohttp.TCPConnector(limit=concurrency)) as http:
        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                async with http.patch(f"{base}{VMSS}?{V}", json={"tags": {"n": str(remaining)}}) as r:
                    await r.read()
                    status_url = r.headers.get("Azure-AsyncOperation")
                    ok = r.status == 200 and status_url is not None
                while ok:
                    async with http.get(status_url) as poll:
                        state = (await poll.json())["status"]
                    if state != "InProgress":
                        ok = state == "Succeeded"
                        break
                errors += 0 if ok else 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Result("emulator writes", time.perf_counter() - started, latencies, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writes", type=int, default=2_000, help="PATCH+poll cycles per round")
    args = parser.parse_args()
    rounds: dict[str, list[Result]] = {"bare aiohttp": [], "emulator": []}
    writes: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        procs = []
        try:
            emulator, emulator_base = start([sys.executable, "-m", "contract", "emulate", "--lro-polls", "1",
                                             "--fast-forward-operations"])  # concurrent PATCHes of one set
            procs.append(emulator)
            answers = asyncio.run(seed(emulator_base))
            answers_file = Path(tmp) / "answers.json"
            answers_file.write_text(json.dumps({k: v.hex() for k, v in answers.items()}))
            bare, bare_base = start([sys.executable, "-c", BARE_SERVER, str(answers_file), "-", str(Path(tmp) / "tls")])
            procs.append(bare)
            bases = {"bare aiohttp": bare_base, "emulator": emulator_base}
            for _ in range(args.rounds):
                for name, base in bases.items():
                    rounds[name].append(asyncio.run(reads(name, base, args.requests, args.concurrency)))
                writes.append(asyncio.run(write_cycles(emulator_base, args.writes, args.concurrency)))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)
    print(f"{args.requests} GETs per round over {len(READS)} read operations (median answer "
          f"{statistics.median(len(v) for v in answers.values()):.0f} bytes), {args.rounds} alternating rounds, "
          f"{args.concurrency} connections, http on loopback, servers and client in separate processes")
    print(f"{'server':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}   rounds req/s")
    median: dict[str, Result] = {}
    for name, results in rounds.items():
        r = median[name] = sorted(results, key=lambda x: x.rate)[len(results) // 2]
        each = " ".join(f"{x.rate:.0f}" for x in results)
        print(f"{name:<16}{r.rate:>10.0f}{r.pct(0.50):>10.2f}{r.pct(0.99):>10.2f}"
              f"{sum(x.errors for x in results):>8}   {each}")
    print(f"emulator / bare read throughput (median rounds): "
          f"{median['emulator'].rate / median['bare aiohttp'].rate:.2f}")
    w = sorted(writes, key=lambda x: x.rate)[len(writes) // 2]
    print(f"{'PATCH+poll':<16}{w.rate:>10.0f}{w.pct(0.50):>10.2f}{w.pct(0.99):>10.2f}"
          f"{sum(x.errors for x in writes):>8}   cycles/s (each: PATCH 200, 1 InProgress poll, 1 Succeeded poll)")
    if any(x.errors for results in [*rounds.values(), writes] for x in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
